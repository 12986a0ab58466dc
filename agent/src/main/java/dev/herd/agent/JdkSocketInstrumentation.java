package dev.herd.agent;

import dev.herd.agent.SocketWeaver.OnEntry;
import dev.herd.agent.SocketWeaver.Weave;
import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.ClassDefinition;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.util.List;

/**
 * Puts the hook calls ({@link SocketWeaver}) into the JDK's two server socket implementations, once, in premain:
 * {@code sun.nio.ch.ServerSocketChannelImpl} (ServerSocketChannel: Tomcat, Jetty, Netty NIO, Undertow, Vert.x, the
 * JDK's HttpServer) and {@code sun.nio.ch.NioSocketImpl} (java.net.ServerSocket: Helidon 4, plain apps), and into
 * the close of the channel {@code System.inheritedChannel()} returns (Jetty's inheritChannel). Their class files are
 * read from the runtime image and installed with {@link Instrumentation#redefineClasses}. No transformer stays
 * registered, so the app's own classes load as they would without the agent, and a later retransformation by
 * another agent starts from the redefined class and keeps the calls. {@code Net.bind}, {@code listen} and
 * {@code accept} are native and static: the calls go into the methods that call them.
 */
final class JdkSocketInstrumentation {

    private static final List<Weave> CHANNEL = List.of(
            // bind(SocketAddress, int) binds and listens in one; it returns the channel.
            new Weave("bind", "(Ljava/net/SocketAddress;I)Ljava/nio/channels/ServerSocketChannel;", Hook.BIND,
                    OnEntry.SKIP_IF_ANSWERED, Hook.BIND_FAILED),
            new Weave("accept", "()Ljava/nio/channels/SocketChannel;", Hook.ACCEPT, OnEntry.NOTIFY,
                    Hook.ACCEPT_FAILED),
            // A selector is told the events to watch: OP_ACCEPT is the server's first wait, without an accept().
            new Weave("translateInterestOps", "(I)I", Hook.INTEREST, OnEntry.NOTIFY, null));

    /** The channel System.inheritedChannel() returns: its close must not send fds 1 and 2, herd's log, to /dev/null. */
    private static final List<Weave> INHERITED_CHANNEL = List.of(
            new Weave("implCloseSelectableChannel", "()V", Hook.CLOSE_INHERITED, OnEntry.SKIP_IF_ANSWERED, null));

    private static final List<Weave> SOCKET_IMPL = List.of(
            new Weave("bind", "(Ljava/net/InetAddress;I)V", Hook.BIND, OnEntry.SKIP_IF_ANSWERED, Hook.BIND_FAILED),
            new Weave("listen", "(I)V", Hook.LISTEN, OnEntry.SKIP_IF_ANSWERED, null),
            new Weave("accept", "(Ljava/net/SocketImpl;)V", Hook.ACCEPT, OnEntry.NOTIFY, Hook.ACCEPT_FAILED));

    /** The connections' reads and writes, for {@link ClosingResponses}: woven only when the drain begins. */
    private static final List<Weave> CONNECTION_CHANNEL = List.of(
            new Weave("endRead", "(ZZ)V", Hook.READ_END, OnEntry.NOTIFY, null),
            new Weave("write", "(Ljava/nio/ByteBuffer;)I", Hook.WRITE, OnEntry.SKIP_IF_ANSWERED, null),
            new Weave("write", "([Ljava/nio/ByteBuffer;II)J", Hook.WRITE, OnEntry.SKIP_IF_ANSWERED, null));

    private static final List<Weave> CONNECTION_SOCKET_IMPL = List.of(
            new Weave("endRead", "(Z)V", Hook.READ_END, OnEntry.NOTIFY, null),
            new Weave("write", "([BII)V", Hook.WRITE, OnEntry.SKIP_IF_ANSWERED, null));

    private JdkSocketInstrumentation() {
    }

    static void install(Instrumentation instrumentation, JdkSockets sockets)
            throws IOException, ClassNotFoundException, UnmodifiableClassException {
        Class<?> channel = sockets.channelClass();
        Class<?> impl = sockets.socketImplClass();
        Class<?> inherited = sockets.inheritedChannelClass();
        instrumentation.redefineClasses(
                new ClassDefinition(channel, SocketWeaver.weave(classFile(channel), CHANNEL)),
                new ClassDefinition(impl, SocketWeaver.weave(classFile(impl), SOCKET_IMPL)),
                new ClassDefinition(inherited, SocketWeaver.weave(classFile(inherited), INHERITED_CHANNEL)));
    }

    /**
     * Adds the connections' read and write calls for the drain ({@link ClosingResponses}): to
     * {@code sun.nio.ch.SocketChannelImpl}, and to {@code NioSocketImpl} again with its server calls kept. Woven
     * at the drain's start only, so that no read or write pays for a hook before, and no class-data archive sees a
     * rewritten SocketChannelImpl. A thread inside one of these methods now finishes that call as it began it.
     */
    static void installResponseClose(Instrumentation instrumentation, JdkSockets sockets)
            throws IOException, ClassNotFoundException, UnmodifiableClassException {
        Class<?> connection = sockets.connectionClass();
        Class<?> impl = sockets.socketImplClass();
        List<Weave> implWeaves = new java.util.ArrayList<>(SOCKET_IMPL);
        implWeaves.addAll(CONNECTION_SOCKET_IMPL);
        instrumentation.redefineClasses(
                new ClassDefinition(connection, SocketWeaver.weave(classFile(connection), CONNECTION_CHANNEL)),
                new ClassDefinition(impl, SocketWeaver.weave(classFile(impl), implWeaves)));
    }

    /** The class file as the runtime image holds it (java.base's .class resources are not encapsulated). */
    private static byte[] classFile(Class<?> type) throws IOException {
        String resource = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getModule().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no class file for " + type.getName() + " in " + type.getModule());
            }
            return in.readAllBytes();
        }
    }
}
