package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
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
}
