package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HerdTest {

    /**
     * The counters ({@code requestServed}, {@code connectionOpened}) run on every request of an app: a
     * {@code static synchronized} method on the way to the context would put one global lock on the data path, as
     * {@code Herd.context()} once did.
     */
    @Test
    void noMethodOfTheApiTakesAGlobalLock() {
        List<String> locking = new ArrayList<>();
        List<Class<?>> classes = new ArrayList<>(List.of(Herd.class));
        classes.addAll(List.of(Herd.class.getDeclaredClasses()));
        for (Class<?> type : classes) {
            for (Method method : type.getDeclaredMethods()) {
                if (Modifier.isStatic(method.getModifiers()) && Modifier.isSynchronized(method.getModifiers())) {
                    locking.add(type.getSimpleName() + "." + method.getName());
                }
            }
        }
        assertEquals(List.of(), locking, "static synchronized methods");
    }

    /**
     * What closeListener does to a listener whose acceptor is blocked in accept(): the channel is closed, the
     * acceptor is woken and leaves through the close (AsynchronousCloseException, never by taking a connection
     * or hanging), and closing again is harmless.
     */
    @Test
    void closingTheListenerWakesABlockedAcceptorAndCanBeRepeated() throws Exception {
        for (int round = 0; round < 20; round++) {
            ServerSocketChannel listener = ServerSocketChannel.open();
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            AtomicReference<Throwable> how = new AtomicReference<>();
            Thread acceptor = new Thread(() -> {
                try {
                    listener.accept();
                } catch (Throwable e) {
                    how.set(e);
                }
            });
            acceptor.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!isBlockedInAccept(acceptor) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            Herd.closeAndAwaitAccepts(listener);
            assertFalse(listener.isOpen());
            acceptor.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(acceptor.isAlive(), "round " + round + ": the acceptor still waits in accept()");
            assertEquals(AsynchronousCloseException.class, how.get() == null ? null : how.get().getClass(),
                    "round " + round + ": " + how.get());
            Herd.closeAndAwaitAccepts(listener); // a second drain, or the app's own close after herd's
        }
    }

    private static boolean isBlockedInAccept(Thread thread) {
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (frame.getMethodName().equals("accept") && frame.getClassName().startsWith("sun.nio.ch.Net")) {
                return true;
            }
        }
        return false;
    }
}
