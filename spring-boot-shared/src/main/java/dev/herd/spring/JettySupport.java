package dev.herd.spring;

import dev.herd.worker.Herd;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.Executor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;

/**
 * Jetty on herd's socket: {@link ServerConnector#setInheritChannel(boolean)} serves on
 * {@link System#inheritedChannel()}. With Spring's default of at least one acceptor thread Jetty accepts in blocking
 * mode. The drain stops the acceptor with {@link Herd#closeListener()}, which closes the channel and returns once
 * no accept() is in progress (a connection that accept() had just taken is returned, and served), after
 * {@code setAccepting(false)} so that the acceptor then waits instead of spinning on the closed channel. It must not
 * shut the connector down then: when Jetty's shutdown (which interrupts the acceptor) followed the close at once, a
 * connection the acceptor took just then was left open, its request unread, until the JVM exited and reset it (seen
 * on JDK 25 with {@code ss}: the draining worker held it on a descriptor Jetty did not know; 2 to 5 resets in 6
 * reloads, none in 12 once the shutdown waited). Spring's graceful shutdown shuts Jetty down once the drain has
 * waited for its clients. Spring Boot's own Jetty classes moved in Boot 4: each starter's auto-configuration hands
 * this class the server.
 */
final class JettySupport {

    private static final String CONNECTOR_LOGGER = "org.eclipse.jetty.server.AbstractConnector";

    private static final Log log = LogFactory.getLog(JettySupport.class);

    private JettySupport() {
    }

    /** A server customizer: its connectors accept on herd's socket and count their connections for herd. */
    static void inheritChannel(Server server) {
        for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector serverConnector) {
                serverConnector.setInheritChannel(true);
                serverConnector.addEventListener(new Connection.Listener() {
                    @Override
                    public void onOpened(Connection connection) {
                        Herd.connectionOpened();
                    }

                    @Override
                    public void onClosed(Connection connection) {
                        Herd.connectionClosed();
                    }
                });
            }
        }
    }

    /** The running Jetty that {@link #inheritChannel} customized. */
    static HerdServer running(Server server, LoggingSystem loggingSystem) {
        return new Running(server, loggingSystem);
    }

    private record Running(Server server, LoggingSystem loggingSystem) implements HerdServer {

        @Override
        public String name() {
            return "Jetty";
        }

        @Override
        public Executor requestExecutor() {
            return server.getThreadPool();
        }

        @Override
        public void stopAccepting() {
            // The acceptor meets the closed channel: Jetty warns of an accept failure, which here is none.
            loggingSystem.setLogLevel(CONNECTOR_LOGGER, LogLevel.ERROR);
            for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
                if (connector instanceof AbstractConnector abstractConnector) {
                    // Woken by the close below, the acceptor then waits instead of spinning on the closed channel.
                    abstractConnector.setAccepting(false);
                }
            }
            try {
                Herd.closeListener(); // this worker's copy only; returns once no accept() is in progress
            } catch (IOException e) {
                log.warn("herd: closing the shared socket: " + e.getMessage());
            }
        }

        @Override
        public long openConnections() {
            return Arrays.stream(server.getConnectors()).mapToLong(c -> c.getConnectedEndPoints().size()).sum();
        }
    }
}
