package dev.herd.spring;

import java.util.concurrent.Executor;

/**
 * What the starter needs from the embedded server once it runs on herd's shared socket: the threads that serve
 * requests (heartbeats go through them), a way to stop accepting at once, and how many connections are still open.
 * One implementation per server: {@link TomcatSupport}, {@link NettySupport}, {@link JettySupport}.
 */
interface HerdServer {

    /** The name for log lines: Tomcat, Reactor Netty, Jetty. */
    String name();

    /** Runs heartbeats: if the server's request threads are stuck, the beats stop and herd replaces the worker. */
    Executor requestExecutor();

    /**
     * Stops accepting now: this worker's copy of the shared socket closes (the other workers keep theirs and what
     * waits in the backlog), connections already open stay open.
     */
    void stopAccepting();

    /** Connections open now, or -1 when the server does not tell. */
    long openConnections();
}
