package dev.herd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.herd.agent.SocketWeaver.OnEntry;
import dev.herd.agent.SocketWeaver.Weave;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The code SocketWeaver adds, run for real: a class shaped like the JDK's socket classes is woven, defined (so the
 * JVM's verifier checks the added code and frames) and called with a hook in the system properties.
 */
class SocketWeaverTest {

    /** Stands in for ServerSocketChannelImpl and NioSocketImpl: the same shapes of method. */
    public static final class FakeSocket {
        public int bound;
        public int listened;

        public Object bind(Object address, int backlog) throws IOException {
            if (backlog < 0) {
                throw new IOException("refused " + address);
            }
            bound++;
            return "bound by the original";
        }

        public int write(Object bytes) {
            return -7; // the original's count
        }

        public long write(Object[] buffers, int offset, int length) {
            return -8L;
        }

        public void listen(int backlog) {
            try {
                listened += backlog;
            } catch (IllegalStateException e) {
                listened = -1; // a handler of the method's own: it must keep seeing its exceptions first
            }
        }
    }

    private final List<String> events = new ArrayList<>();

    @AfterEach
    void removeHook() {
        System.getProperties().remove(Hook.KEY);
    }

    @Test
    void anAnsweredEntrySkipsTheMethodAndReturnsThis() throws Exception {
        Class<?> woven = weave();
        Object socket = woven.getConstructor().newInstance();
        installHook((event, args) -> {
            events.add(event + Arrays.toString((Object[]) args).replace(socket.toString(), "this"));
            return event.equals(Hook.BIND) ? Boolean.TRUE : null;
        });

        assertSame(socket, method(woven, "bind").invoke(socket, "addr", 7));
        assertEquals(0, woven.getField("bound").getInt(socket));
        assertEquals(List.of("bind[this, addr, 7]"), events);
    }

    @Test
    void anUnansweredEntryRunsTheMethodAndAThrowIsReportedThenRethrown() throws Exception {
        Class<?> woven = weave();
        Object socket = woven.getConstructor().newInstance();
        installHook((event, args) -> {
            Object[] arguments = (Object[]) args;
            events.add(event + (event.equals(Hook.BIND_FAILED) ? ":" + ((Throwable) arguments[3]).getMessage() : ""));
            return null;
        });

        assertEquals("bound by the original", method(woven, "bind").invoke(socket, "addr", 7));
        InvocationTargetException thrown = assertThrows(InvocationTargetException.class,
                () -> method(woven, "bind").invoke(socket, "addr", -1));
        assertEquals("refused addr", thrown.getCause().getMessage());
        method(woven, "listen").invoke(socket, 5);
        assertEquals(5, woven.getField("listened").getInt(socket));
        assertEquals(List.of("bind", "bind", "bindFailed:refused addr", "listen"), events);
    }

    @Test
    void anAnsweredCountIsReturnedAndNoAnswerRunsTheOriginal() throws Exception {
        Class<?> woven = weave();
        Object socket = woven.getConstructor().newInstance();
        Method write = woven.getMethod("write", Object.class);
        Method gatheringWrite = woven.getMethod("write", Object[].class, int.class, int.class);
        installHook((event, args) -> "answer".equals(((Object[]) args)[1]) ? Integer.valueOf(42) : null);
        assertEquals(42, write.invoke(socket, "answer"));
        assertEquals(-7, write.invoke(socket, "other"));
        installHook((event, args) -> ((Object[]) args)[2].equals(1) ? Long.valueOf(43) : null);
        assertEquals(43L, gatheringWrite.invoke(socket, new Object[0], 1, 0));
        assertEquals(-8L, gatheringWrite.invoke(socket, new Object[0], 0, 0));
    }

    @Test
    void withoutAHookTheMethodsRunAsBefore() throws Exception {
        Class<?> woven = weave();
        Object socket = woven.getConstructor().newInstance();
        assertEquals("bound by the original", method(woven, "bind").invoke(socket, "addr", 1));
        assertEquals(1, woven.getField("bound").getInt(socket));
    }

    @Test
    void aMissingMethodIsAnErrorNotASilentNoOp() throws Exception {
        assertThrows(IllegalStateException.class, () -> SocketWeaver.weave(classFile(),
                List.of(new Weave("accept", "()V", Hook.ACCEPT, OnEntry.NOTIFY, null))));
    }

    private static Class<?> weave() throws IOException {
        byte[] woven = SocketWeaver.weave(classFile(), List.of(
                new Weave("bind", "(Ljava/lang/Object;I)Ljava/lang/Object;", Hook.BIND, OnEntry.SKIP_IF_ANSWERED,
                        Hook.BIND_FAILED),
                new Weave("listen", "(I)V", Hook.LISTEN, OnEntry.SKIP_IF_ANSWERED, null),
                new Weave("write", "(Ljava/lang/Object;)I", Hook.WRITE, OnEntry.SKIP_IF_ANSWERED, null),
                new Weave("write", "([Ljava/lang/Object;II)J", Hook.WRITE, OnEntry.SKIP_IF_ANSWERED, null)));
        return new ClassLoader(SocketWeaverTest.class.getClassLoader()) {
            Class<?> define() {
                return defineClass(FakeSocket.class.getName(), woven, 0, woven.length);
            }
        }.define();
    }

    private static byte[] classFile() throws IOException {
        try (InputStream in = FakeSocket.class.getResourceAsStream("SocketWeaverTest$FakeSocket.class")) {
            return in.readAllBytes();
        }
    }

    private static Method method(Class<?> type, String name) {
        return Arrays.stream(type.getMethods()).filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
    }

    private static void installHook(BiFunction<String, Object, Object> hook) {
        System.getProperties().put(Hook.KEY, (BiFunction<Object, Object, Object>) (event, args) ->
                hook.apply((String) event, args));
    }
}
