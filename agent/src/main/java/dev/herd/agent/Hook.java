package dev.herd.agent;

/**
 * How the advice woven into the JDK's socket classes reaches the agent. The code woven into {@code java.base} may
 * name only types that {@code java.base} sees, so it finds the agent's {@link SocketAdoption} as a
 * {@code java.util.function.BiFunction} under {@link #KEY} in the system properties (put there by premain) and calls
 * it with one of the event names below and the event's arguments as an {@code Object[]}. No class is added to the
 * boot class path and no module gains a read edge.
 */
final class Hook {

    /** The system properties key of the hook; a value that is not a String, which {@code getProperty} skips. */
    static final String KEY = "dev.herd.agent.hook";

    /** {target, address, backlog or port}: the app binds a server socket; a non-null answer: herd adopted it. */
    static final String BIND = "bind";
    /** {target, the bind's arguments..., throwable}: a bind failed. */
    static final String BIND_FAILED = "bindFailed";
    /** {target, backlog}: a server socket is about to listen; a non-null answer: it is herd's, listening already. */
    static final String LISTEN = "listen";
    /** {target[, the SocketImpl to fill]}: a thread is about to wait in accept() on a server socket. */
    static final String ACCEPT = "accept";
    /** {target[, SocketImpl], throwable}: an accept() failed; herd's drain keeps its thread waiting instead. */
    static final String ACCEPT_FAILED = "acceptFailed";
    /** {target, ops}: a selector is told which events of a server socket channel to report. */
    static final String INTEREST = "interest";
    /**
     * {inherited channel}: the channel of {@code System.inheritedChannel()} is closed; a non-null answer: the agent
     * closed it and kept fds 0 to 2 as they are.
     */
    static final String CLOSE_INHERITED = "closeInherited";
    /** {connection, [blocking,] completed}: a read of a connection ends; completed: it brought bytes. */
    static final String READ_END = "readEnd";
    /**
     * {connection, bytes...}: a connection is about to write; a non-null answer: the agent wrote them (the count
     * written, or TRUE from a void write). Woven only while the worker drains ({@link ClosingResponses}).
     */
    static final String WRITE = "write";

    private Hook() {
    }
}
