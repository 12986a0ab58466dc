package dev.herd.agent;

import java.util.function.BiFunction;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * The code Byte Buddy inlines into the JDK's two server socket implementations: {@code sun.nio.ch
 * .ServerSocketChannelImpl} (ServerSocketChannel: Tomcat, Jetty, Netty NIO, Undertow, Vert.x, the JDK's HttpServer)
 * and {@code sun.nio.ch.NioSocketImpl} (java.net.ServerSocket: Helidon 4, plain apps). It names only JDK types (see
 * {@link Hook}); everything else happens in {@link SocketAdoption}. Where there is no hook (not installed yet, or
 * removed) the JDK's code runs as it always did.
 */
final class JdkSocketAdvice {

    private JdkSocketAdvice() {
    }

    /** {@code ServerSocketChannelImpl.bind(SocketAddress, int)}: binding and listening in one. */
    static final class ChannelBind {
        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
        @SuppressWarnings("unchecked")
        static boolean enter(@Advice.This Object channel, @Advice.Argument(0) Object local) {
            Object hook = System.getProperties().get(Hook.KEY);
            return hook != null && ((BiFunction<Object, Object, Object>) hook)
                    .apply(Hook.BIND, new Object[] {channel, local}) != null;
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class)
        @SuppressWarnings("unchecked")
        static void exit(@Advice.This Object channel, @Advice.Argument(0) Object local, @Advice.Enter boolean adopted,
                         @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object returned,
                         @Advice.Thrown Throwable thrown) {
            if (adopted) {
                returned = channel;
            } else if (thrown != null) {
                Object hook = System.getProperties().get(Hook.KEY);
                if (hook != null) {
                    ((BiFunction<Object, Object, Object>) hook)
                            .apply(Hook.BIND_FAILED, new Object[] {channel, local, thrown});
                }
            }
        }
    }

    /** {@code ServerSocketChannelImpl.accept()}. */
    static final class ChannelAccept {
        @Advice.OnMethodEnter
        @SuppressWarnings("unchecked")
        static void enter(@Advice.This Object channel) {
            Object hook = System.getProperties().get(Hook.KEY);
            if (hook != null) {
                ((BiFunction<Object, Object, Object>) hook).apply(Hook.ACCEPT, new Object[] {channel});
            }
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class)
        @SuppressWarnings("unchecked")
        static void exit(@Advice.This Object channel, @Advice.Thrown Throwable thrown) {
            if (thrown != null) {
                Object hook = System.getProperties().get(Hook.KEY);
                if (hook != null) {
                    ((BiFunction<Object, Object, Object>) hook)
                            .apply(Hook.ACCEPT_FAILED, new Object[] {channel, thrown});
                }
            }
        }
    }

    /** {@code ServerSocketChannelImpl.translateInterestOps(int)}: a selector is to watch the channel. */
    static final class ChannelInterest {
        @Advice.OnMethodEnter
        @SuppressWarnings("unchecked")
        static void enter(@Advice.This Object channel, @Advice.Argument(0) int ops) {
            if ((ops & 16) != 0) { // SelectionKey.OP_ACCEPT
                Object hook = System.getProperties().get(Hook.KEY);
                if (hook != null) {
                    ((BiFunction<Object, Object, Object>) hook).apply(Hook.INTEREST, new Object[] {channel});
                }
            }
        }
    }

    /** {@code NioSocketImpl.bind(InetAddress, int)}: ServerSocket binds, then listens (below). */
    static final class ImplBind {
        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
        @SuppressWarnings("unchecked")
        static boolean enter(@Advice.This Object impl, @Advice.Argument(0) Object host, @Advice.Argument(1) int port) {
            Object hook = System.getProperties().get(Hook.KEY);
            return hook != null && ((BiFunction<Object, Object, Object>) hook)
                    .apply(Hook.BIND, new Object[] {impl, host, port}) != null;
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class)
        @SuppressWarnings("unchecked")
        static void exit(@Advice.This Object impl, @Advice.Argument(1) int port, @Advice.Enter boolean adopted,
                         @Advice.Thrown Throwable thrown) {
            if (!adopted && thrown != null) {
                Object hook = System.getProperties().get(Hook.KEY);
                if (hook != null) {
                    ((BiFunction<Object, Object, Object>) hook)
                            .apply(Hook.BIND_FAILED, new Object[] {impl, port, thrown});
                }
            }
        }
    }

    /** {@code NioSocketImpl.listen(int)}: herd's socket listens already. */
    static final class ImplListen {
        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
        @SuppressWarnings("unchecked")
        static boolean enter(@Advice.This Object impl) {
            Object hook = System.getProperties().get(Hook.KEY);
            return hook != null && ((BiFunction<Object, Object, Object>) hook)
                    .apply(Hook.LISTEN, new Object[] {impl}) != null;
        }
    }

    /** {@code NioSocketImpl.accept(SocketImpl)}. */
    static final class ImplAccept {
        @Advice.OnMethodEnter
        @SuppressWarnings("unchecked")
        static void enter(@Advice.This Object impl) {
            Object hook = System.getProperties().get(Hook.KEY);
            if (hook != null) {
                ((BiFunction<Object, Object, Object>) hook).apply(Hook.ACCEPT, new Object[] {impl});
            }
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class)
        @SuppressWarnings("unchecked")
        static void exit(@Advice.This Object impl, @Advice.Thrown Throwable thrown) {
            if (thrown != null) {
                Object hook = System.getProperties().get(Hook.KEY);
                if (hook != null) {
                    ((BiFunction<Object, Object, Object>) hook).apply(Hook.ACCEPT_FAILED, new Object[] {impl, thrown});
                }
            }
        }
    }
}
