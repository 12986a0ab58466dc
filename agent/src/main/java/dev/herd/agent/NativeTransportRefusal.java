package dev.herd.agent;

import dev.herd.log.Log;
import dev.herd.worker.WorkerContract;

/**
 * An app that asks Netty for its native transport by name ({@code EpollIoHandler}, {@code EpollEventLoopGroup},
 * io_uring) cannot run under herd's agent: those transports bind in native code, where no JDK socket class is
 * involved and herd cannot hand the app its socket, so herd turns them off ({@code io.netty.transport.noNative}) and
 * Netty refuses with an {@link UnsatisfiedLinkError} whose cause names that property, as if the user had set it.
 * When that error ends a thread (the app's main, typically), the worker stops at once with one line saying what to
 * change, and {@link WorkerContract#EXIT_BOOT_FAILURE}, rather than a trace that blames a property the user never
 * set, or a JVM that lives on without serving until {@code readyTimeout}. Installed as the default uncaught
 * exception handler before the app's main; every other uncaught exception is printed as the JVM prints it.
 */
final class NativeTransportRefusal implements Thread.UncaughtExceptionHandler {

    /** Netty's property: its refusal names it ("Native transport was explicit disabled with -D..."). */
    static final String NETTY_NO_NATIVE = "io.netty.transport.noNative";

    static final String LINE = "this app asks for Netty's native transport (epoll or io_uring), which binds in native "
            + "code where herd cannot hand the app its socket: under herd (worker.appPort) use Netty's NIO transport "
            + "(NioIoHandler or NioEventLoopGroup, NioServerSocketChannel), or set the framework's native transport "
            + "option to false";

    private NativeTransportRefusal() {
    }

    static void install() {
        Thread.setDefaultUncaughtExceptionHandler(new NativeTransportRefusal());
    }

    @Override
    public void uncaughtException(Thread thread, Throwable thrown) {
        if (isNativeTransportRefused(thrown)) {
            Log.error("%s", LINE);
            Runtime.getRuntime().halt(WorkerContract.EXIT_BOOT_FAILURE);
        }
        // What ThreadGroup.uncaughtException prints when no default handler is set.
        System.err.print("Exception in thread \"" + thread.getName() + "\" ");
        thrown.printStackTrace(System.err);
    }

    /** Netty's refusal: an UnsatisfiedLinkError caused by the property that turns the native transports off. */
    static boolean isNativeTransportRefused(Throwable thrown) {
        boolean linkError = false;
        for (Throwable t = thrown; t != null; t = t.getCause() == t ? null : t.getCause()) {
            linkError |= t instanceof UnsatisfiedLinkError;
            if (linkError && t.getMessage() != null && t.getMessage().contains(NETTY_NO_NATIVE)) {
                return true;
            }
        }
        return false;
    }
}
