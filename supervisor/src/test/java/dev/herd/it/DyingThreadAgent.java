package dev.herd.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Java agent for {@link ThreadDeathIT}, loaded into a real master with {@code HERD_JAVA_OPTS=-javaagent:...}: it
 * starts a thread in the master's JVM that dies of an uncaught exception once the file named by the agent's
 * argument exists. A thread of the master dying, without a test hook in herd's own code. JDK classes only: the
 * agent's jar holds this one class.
 */
public final class DyingThreadAgent {

    static final String THREAD = "test-dying";
    static final String FAILURE = "this thread dies on purpose (DyingThreadAgent)";

    private DyingThreadAgent() {
    }

    public static void premain(String trigger) {
        Thread thread = new Thread(() -> {
            Path file = Path.of(trigger);
            while (!Files.exists(file)) {
                try {
                    Thread.sleep(50); // waits for the test's signal; the JVM does not wait for this daemon
                } catch (InterruptedException e) {
                    return;
                }
            }
            throw new IllegalStateException(FAILURE);
        }, THREAD);
        thread.setDaemon(true);
        thread.start();
    }

    /** Writes the agent's jar into {@code dir}: this class and a manifest naming it. */
    static Path jar(Path dir) {
        return TestJars.of(dir.resolve("dying-thread-agent.jar"), DyingThreadAgent.class,
                Map.of("Premain-Class", DyingThreadAgent.class.getName()));
    }
}
