package dev.herd.agent;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;

/**
 * The JDK internals socket adoption needs, reached by reflection: herd opens {@code java.base/sun.nio.ch} and
 * {@code java.base/java.net} to the agent on the worker's command line (see {@link #OPENS}). Every member named
 * here exists, with the same signature, in JDK 17 and JDK 25 ({@code javap -p --module java.base}). Resolved once,
 * in premain, so that a JDK without one of them fails the worker's start with a clear line instead of its first
 * bind.
 */
final class JdkSockets {

    /** The options the worker's JVM needs for this class; WorkerLauncher writes the same. */
    static final String[] OPENS = {"java.base/sun.nio.ch", "java.base/java.net"};

    static final String CHANNEL_CLASS = "sun.nio.ch.ServerSocketChannelImpl";
    static final String SOCKET_IMPL_CLASS = "sun.nio.ch.NioSocketImpl";
    /** The SocketChannel of a connection, accepted or not. */
    static final String CONNECTION_CLASS = "sun.nio.ch.SocketChannelImpl";
    /** What {@code System.inheritedChannel()} returns for a listening socket on fd 0: herd's, in a worker. */
    static final String INHERITED_CHANNEL_CLASS = "sun.nio.ch.InheritedChannel$InheritedServerSocketChannelImpl";

    private final Class<?> channelClass;
    private final Class<?> socketImplClass;
    private final Method dup2;
    private final Method fdVal;
    private final Method configureBlocking;
    private final Method localAddressOf;
    private final Field channelFd;
    private final Field channelLocalAddress;
    private final Field implFd;
    private final Field implServer;
    private final Field implAddress;
    private final Field implLocalPort;
    private final Method implClose;
    private final Class<?> connectionClass;
    private final Field connectionFd;
    private final Method poll;
    private final int pollOut;
    private final Method implWrite;
    private final Class<?> inheritedChannelClass;
    /** ServerSocketChannelImpl's implCloseSelectableChannel, called on an inherited channel without its override. */
    private final MethodHandle closeAsServerChannel;

    private JdkSockets() throws ReflectiveOperationException {
        ClassLoader boot = null;
        channelClass = Class.forName(CHANNEL_CLASS, false, boot);
        socketImplClass = Class.forName(SOCKET_IMPL_CLASS, false, boot);
        Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil", false, boot);
        // dup2(2) as the JDK's own System.inheritedChannel() support calls it: JDK 17's FileDispatcherImpl.dup0 is
        // gone in later JDKs, this one is in both.
        dup2 = accessible(Class.forName("sun.nio.ch.InheritedChannel", false, boot)
                .getDeclaredMethod("dup2", int.class, int.class));
        fdVal = accessible(ioUtil.getDeclaredMethod("fdVal", FileDescriptor.class));
        configureBlocking = accessible(ioUtil.getDeclaredMethod("configureBlocking", FileDescriptor.class,
                boolean.class));
        localAddressOf = accessible(Class.forName("sun.nio.ch.Net", false, boot)
                .getDeclaredMethod("localAddress", FileDescriptor.class));
        channelFd = accessible(channelClass.getDeclaredField("fd"));
        channelLocalAddress = accessible(channelClass.getDeclaredField("localAddress"));
        implFd = accessible(java.net.SocketImpl.class.getDeclaredField("fd"));
        implServer = accessible(socketImplClass.getDeclaredField("server"));
        implAddress = accessible(java.net.SocketImpl.class.getDeclaredField("address"));
        implLocalPort = accessible(java.net.SocketImpl.class.getDeclaredField("localport"));
        implClose = accessible(socketImplClass.getDeclaredMethod("close"));
        connectionClass = Class.forName(CONNECTION_CLASS, false, boot);
        connectionFd = accessible(connectionClass.getDeclaredField("fd"));
        Class<?> net = Class.forName("sun.nio.ch.Net", false, boot);
        poll = accessible(net.getDeclaredMethod("poll", FileDescriptor.class, int.class, long.class));
        pollOut = accessible(net.getDeclaredField("POLLOUT")).getShort(null);
        implWrite = accessible(socketImplClass.getDeclaredMethod("write", byte[].class, int.class, int.class));
        inheritedChannelClass = Class.forName(INHERITED_CHANNEL_CLASS, false, boot);
        closeAsServerChannel = MethodHandles.privateLookupIn(inheritedChannelClass, MethodHandles.lookup())
                .findSpecial(channelClass, "implCloseSelectableChannel", MethodType.methodType(void.class),
                        inheritedChannelClass);
    }

    /** @throws IllegalStateException naming what is missing or closed to the agent */
    static JdkSockets resolve() {
        try {
            return new JdkSockets();
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("this JDK (" + Runtime.version() + ") lacks a socket internal herd's "
                    + "agent needs, or the worker was started without --add-opens " + String.join(",", OPENS)
                    + ": " + e, e);
        }
    }

    Class<?> channelClass() {
        return channelClass;
    }

    Class<?> socketImplClass() {
        return socketImplClass;
    }

    Class<?> connectionClass() {
        return connectionClass;
    }

    Class<?> inheritedChannelClass() {
        return inheritedChannelClass;
    }

    /** Whether the channel is the one {@code System.inheritedChannel()} made of fd 0 (a dup of herd's socket). */
    boolean isInheritedChannel(Object target) {
        return inheritedChannelClass.isInstance(target);
    }

    /**
     * Closes an inherited channel's descriptor as any server socket channel's close does, without what the JDK's
     * override adds: it points fds 0, 1 and 2 at /dev/null (inetd's convention, where they were the connection),
     * and in a worker fds 1 and 2 carry its log to the master.
     */
    void closeKeepingStandardStreams(Object inheritedChannel) throws IOException {
        try {
            closeAsServerChannel.invoke(inheritedChannel);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("implCloseSelectableChannel failed: " + e, e);
        }
    }

    /** The local port of a bound server socket channel; -1 if it has none. */
    static int localPort(Object channel) throws IOException {
        return ((java.nio.channels.NetworkChannel) channel).getLocalAddress() instanceof InetSocketAddress local
                ? local.getPort() : -1;
    }

    boolean isChannel(Object target) {
        return channelClass.isInstance(target);
    }

    /** Whether a NioSocketImpl belongs to a ServerSocket (not to a client Socket, which may bind too). */
    boolean isServerImpl(Object impl) {
        return getBoolean(implServer, impl);
    }

    /** Whether the channel or impl was bound already (the JDK's own bind then throws as it always did). */
    boolean isBound(Object target) {
        return isChannel(target) ? get(channelLocalAddress, target) != null : getInt(implLocalPort, target) != 0;
    }

    /** Whether the channel or impl is still open: its descriptor has not been closed. */
    boolean isOpen(Object target) {
        if (isChannel(target)) {
            return ((SelectableChannel) target).isOpen();
        }
        FileDescriptor fd = (FileDescriptor) get(implFd, target);
        return fd != null && fd.valid();
    }

    /**
     * Puts {@code sharedFd}'s socket on the target's own descriptor number (dup2 closes the unbound socket the
     * app created there) and records the address as the JDK's bind would: the channel's or impl's fields then
     * read as bound and listening, on herd's address. Returns that address.
     */
    InetSocketAddress adopt(Object target, int sharedFd) throws IOException {
        FileDescriptor fd = (FileDescriptor) get(isChannel(target) ? channelFd : implFd, target);
        invoke(dup2, sharedFd, invoke(fdVal, fd));
        InetSocketAddress local = (InetSocketAddress) invoke(localAddressOf, fd);
        if (isChannel(target)) {
            // O_NONBLOCK belongs to the open file all workers share; the app made its own socket non-blocking
            // before the bind (Netty does in its constructor), and its selector loop must not block in accept().
            if (!((SelectableChannel) target).isBlocking()) {
                invoke(configureBlocking, fd, false);
            }
            set(channelLocalAddress, target, local);
        } else {
            set(implAddress, target, local.getAddress());
            set(implLocalPort, target, local.getPort());
        }
        return local;
    }

    /** Closes the channel or impl as its owner would; a thread blocked in its accept() wakes with an exception. */
    void close(Object target) throws IOException {
        if (isChannel(target)) {
            ((SelectableChannel) target).close();
        } else {
            invoke(implClose, target);
        }
    }

    /**
     * The local port of a connection (a SocketChannel, or the SocketImpl of a java.net.Socket), which is the
     * listening socket's port for a connection accepted from it; -1 for a server socket's impl, or a closed or
     * unconnected channel.
     */
    int connectionPort(Object target) {
        if (connectionClass.isInstance(target)) {
            try {
                return ((java.nio.channels.NetworkChannel) target).getLocalAddress()
                        instanceof InetSocketAddress local ? local.getPort() : -1;
            } catch (IOException closed) {
                return -1;
            }
        }
        return socketImplClass.isInstance(target) && !isServerImpl(target) ? getInt(implLocalPort, target) : -1;
    }

    /** Waits until a connection's channel can take more bytes (poll(2) for POLLOUT); false if the time ran out. */
    boolean awaitWritable(Object channel, long millis) throws IOException {
        return (int) invoke(poll, get(connectionFd, channel), pollOut, millis) > 0;
    }

    /** The write of a java.net.Socket's output stream (blocking, it writes it all): without the hook's answer. */
    void writeToSocketImpl(Object impl, byte[] bytes, int offset, int length) throws IOException {
        invoke(implWrite, impl, bytes, offset, length);
    }

    /** The port a ServerSocketChannel's bind asks for; -1 for none (an ephemeral port, a Unix socket). */
    static int requestedPort(Object local) {
        return local instanceof InetSocketAddress address ? address.getPort() : -1;
    }

    static InetAddress requestedHost(Object local) {
        return local instanceof InetSocketAddress address ? address.getAddress() : null;
    }

    private static <T extends java.lang.reflect.AccessibleObject> T accessible(T member) {
        member.setAccessible(true);
        return member;
    }

    /** Calls a static method, or an instance method with its target first. */
    private static Object invoke(Method method, Object... arguments) throws IOException {
        boolean isStatic = java.lang.reflect.Modifier.isStatic(method.getModifiers());
        try {
            return isStatic ? method.invoke(null, arguments)
                    : method.invoke(arguments[0], java.util.Arrays.copyOfRange(arguments, 1, arguments.length));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IllegalStateException(method.getName() + " failed: " + e.getCause(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object get(Field field, Object target) {
        try {
            return field.get(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean getBoolean(Field field, Object target) {
        try {
            return field.getBoolean(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int getInt(Field field, Object target) {
        try {
            return field.getInt(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void set(Field field, Object target, Object value) {
        try {
            field.set(target, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
