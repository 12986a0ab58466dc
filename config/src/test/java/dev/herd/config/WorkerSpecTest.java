package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerSpecTest {

    private static WorkerSpec spec(List<String> jvmOptions, Optional<String> mainClass, List<String> classpath,
            List<String> args, List<String> command) {
        return new WorkerSpec(jvmOptions, Map.of(), mainClass, classpath, args, command);
    }

    private static String conflict(List<String> jvmOptions, Optional<String> mainClass, List<String> classpath,
            List<String> args, List<String> command) {
        return assertThrows(KeyConflictException.class,
                () -> spec(jvmOptions, mainClass, classpath, args, command)).getMessage();
    }

    @Test
    void rejectsBadEnvironmentNamesAndEmptyOptions() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerSpec(List.of(), Map.of("1A", "x")));
        assertThrows(IllegalArgumentException.class, () -> new WorkerSpec(List.of(""), Map.of()));
        assertEquals(Map.of("A", "x"), new WorkerSpec(List.of(), Map.of("A", "x")).env());
    }

    @Test
    void theDefaultRunsTheBuiltInApp() {
        assertEquals(WorkerSpec.Kind.BUILT_IN_APP, WorkerSpec.DEFAULT.kind());
        assertEquals(Optional.empty(), WorkerSpec.DEFAULT.mainClass());
        assertEquals(List.of(), WorkerSpec.DEFAULT.classpath());
        assertEquals(List.of(), WorkerSpec.DEFAULT.args());
        assertEquals(List.of(), WorkerSpec.DEFAULT.command());
    }

    @Test
    void aMainClassWorkerTakesJvmOptionsClasspathAndArgs() {
        WorkerSpec spec = spec(List.of("-Xmx8m"), Optional.of("com.example.Main"), List.of("app.jar"),
                List.of("a"), List.of());

        assertEquals(WorkerSpec.Kind.MAIN_CLASS, spec.kind());
        assertEquals(Optional.of("com.example.Main"), spec.mainClass());
    }

    @Test
    void aCommandWorkerTakesOnlyItsCommandAndEnvironment() {
        WorkerSpec spec = new WorkerSpec(List.of(), Map.of("A", "1"), Optional.empty(), List.of(), List.of(),
                List.of("/usr/bin/server", "-v"));

        assertEquals(WorkerSpec.Kind.COMMAND, spec.kind());
        assertEquals(List.of("/usr/bin/server", "-v"), spec.command());
    }

    @Test
    void commandCannotBeUsedWithAnyJvmPart() {
        List<String> command = List.of("./server");
        assertEquals("\"worker.command\" cannot be used with \"worker.mainClass\"",
                conflict(List.of(), Optional.of("a.B"), List.of(), List.of(), command));
        assertEquals("\"worker.command\" cannot be used with \"worker.jvmOptions\"",
                conflict(List.of("-Xmx8m"), Optional.empty(), List.of(), List.of(), command));
        assertEquals("\"worker.command\" cannot be used with \"worker.classpath\"",
                conflict(List.of(), Optional.empty(), List.of("a.jar"), List.of(), command));
        assertEquals("\"worker.command\" cannot be used with \"worker.args\"",
                conflict(List.of(), Optional.empty(), List.of(), List.of("x"), command));
    }

    @Test
    void classpathAndArgsNeedAMainClass() {
        assertEquals("\"worker.classpath\" needs \"worker.mainClass\"",
                conflict(List.of(), Optional.empty(), List.of("a.jar"), List.of(), List.of()));
        assertEquals("\"worker.args\" needs \"worker.mainClass\"",
                conflict(List.of(), Optional.empty(), List.of(), List.of("x"), List.of()));
    }

    @Test
    void checksEachValue() {
        assertThrows(InvalidValueException.class,
                () -> spec(List.of(), Optional.of("1a.B"), List.of(), List.of(), List.of()));
        assertThrows(InvalidValueException.class,
                () -> spec(List.of(), Optional.of("a.B"), List.of(""), List.of(), List.of()));
        assertThrows(InvalidValueException.class,
                () -> spec(List.of(), Optional.of("a.B"), List.of(), List.of("\0"), List.of()));
        assertThrows(InvalidValueException.class,
                () -> spec(List.of(), Optional.empty(), List.of(), List.of(), List.of("server")));
        assertThrows(InvalidValueException.class,
                () -> spec(List.of(), Optional.empty(), List.of(), List.of(), List.of("./server", "a\0")));
    }

    @Test
    void copiesItsLists() {
        List<String> args = new ArrayList<>(List.of("a"));
        WorkerSpec spec = spec(List.of(), Optional.of("a.B"), List.of(), args, List.of());

        args.add("b");

        assertEquals(List.of("a"), spec.args());
    }
}
