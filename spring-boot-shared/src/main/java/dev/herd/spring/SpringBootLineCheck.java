package dev.herd.spring;

import dev.herd.worker.WorkerContract;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;
import org.springframework.boot.SpringBootVersion;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.ClassUtils;

/**
 * Under herd, stops a worker whose Spring Boot line this starter does not support before Spring builds anything,
 * with one line naming the versions it supports and the starter to use instead, and herd's boot-failure exit code
 * ({@link WorkerContract#EXIT_BOOT_FAILURE}): herd shows that line as the worker's {@code cannot boot:} reason and
 * backs off. Without it the worker would fail deep in its context refresh on a class that moved between Boot lines,
 * with a line about something else. Registered in {@code META-INF/spring.factories}, which Spring Boot 3 and 4 both
 * read before they refresh the context. Outside herd it does nothing.
 */
abstract class SpringBootLineCheck implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private final HerdStarter starter;

    SpringBootLineCheck(HerdStarter starter) {
        this.starter = starter;
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        if (System.getenv(WorkerContract.MASTER_PID) == null) {
            return;
        }
        String version = SpringBootVersion.getVersion(); // from spring-boot's manifest: null if a repackaging lost it
        boolean lineClassPresent = ClassUtils.isPresent(starter.lineClass(), getClass().getClassLoader());
        unsupportedLine(starter, version, lineClassPresent).ifPresent(error -> {
            // Not an exception: Spring would log it as a stack trace, and herd would quote the wrong line of it.
            System.err.println(error);
            System.err.flush();
            System.exit(WorkerContract.EXIT_BOOT_FAILURE);
        });
    }

    /**
     * The line to stop with, or empty when {@code starter} supports this Spring Boot. An unknown version is judged by
     * whether the classes of the starter's line are there.
     */
    static Optional<String> unsupportedLine(HerdStarter starter, String version, boolean lineClassPresent) {
        if (version == null ? lineClassPresent : starter.supports(version)) {
            return Optional.empty();
        }
        String supports = "Error: " + starter.artifactId() + " supports Spring Boot " + starter.supportedLines();
        if (version == null) {
            return Optional.of(supports + "; this app's Spring Boot (its version unknown) is another line: use the herd"
                    + " starter of its line (" + others(starter) + ")");
        }
        return Optional.of(supports + "; this app runs Spring Boot " + version + ": " + HerdStarter.forVersion(version)
                .map(other -> "use " + other.artifactId() + " instead")
                .orElse("no herd starter supports it (" + others(starter) + ")"));
    }

    private static String others(HerdStarter starter) {
        return Arrays.stream(HerdStarter.values()).filter(other -> other != starter)
                .map(other -> other.artifactId() + " for " + other.supportedLines())
                .collect(Collectors.joining(", "));
    }
}
