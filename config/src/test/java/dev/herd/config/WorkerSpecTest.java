package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a WorkerSpec says about the program it runs; its values and rules are checked by the builder. */
class WorkerSpecTest {

    private static WorkerSpec spec(Optional<String> mainClass, Optional<String> jar, List<String> command) {
        return new WorkerSpec(List.of(), Map.of(), List.of(), Optional.empty(), Optional.empty(), mainClass, jar, List.of(),
                List.of(), command);
    }

    @Test
    void theKindFollowsWhatIsSet() {
        assertEquals(WorkerSpec.Kind.BUILT_IN_APP, spec(Optional.empty(), Optional.empty(), List.of()).kind());
        assertEquals(WorkerSpec.Kind.MAIN_CLASS, spec(Optional.of("a.B"), Optional.empty(), List.of()).kind());
        assertEquals(WorkerSpec.Kind.JAR, spec(Optional.empty(), Optional.of("a.jar"), List.of()).kind());
        assertEquals(WorkerSpec.Kind.COMMAND, spec(Optional.empty(), Optional.empty(), List.of("./s")).kind());
    }

    @Test
    void describesWhatTheWorkersRunForTheFirstLogLine() {
        assertEquals("app http", spec(Optional.empty(), Optional.empty(), List.of()).describe("http"));
        assertEquals("main class com.example.Main",
                spec(Optional.of("com.example.Main"), Optional.empty(), List.of()).describe("echo"));
        assertEquals("jar /opt/app.jar", spec(Optional.empty(), Optional.of("/opt/app.jar"), List.of()).describe("echo"));
        assertEquals("command ./server -v",
                spec(Optional.empty(), Optional.empty(), List.of("./server", "-v")).describe("echo"));
    }

    @Test
    void copiesItsLists() {
        List<String> args = new ArrayList<>(List.of("a"));
        WorkerSpec spec = new WorkerSpec(List.of(), Map.of(), List.of(), Optional.empty(), Optional.empty(),
                Optional.of("a.B"), Optional.empty(), List.of(), args, List.of());

        args.add("b");

        assertEquals(List.of("a"), spec.args());
    }
}
