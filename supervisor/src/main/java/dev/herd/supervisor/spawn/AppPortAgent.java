package dev.herd.supervisor.spawn;

import dev.herd.config.ConfigException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * herd's Java agent, which a JVM worker of {@code worker.appPort} runs with (agent/, docs/your-app.md "Any JVM
 * server, unchanged"): where its jar is, and the options that attach it. The jar sits beside herd's own jars: in
 * lib/ of the distribution, next to herd.jar, and in target/lib/ of a build, below herd.jar (and target/classes).
 */
final class AppPortAgent {

    static final String JAR_NAME = "herd-agent.jar";

    /**
     * The JDK internals the agent reaches by reflection (it hands the app's server socket herd's descriptor): the
     * same list as the agent's JdkSockets.OPENS.
     */
    private static final List<String> OPENS = List.of("java.base/sun.nio.ch", "java.base/java.net");

    private AppPortAgent() {
    }

    /** The agent's jar, or a configuration error saying where it was looked for. */
    static Path locate() throws ConfigException {
        Path herd = herdCodeSource();
        List<Path> candidates = List.of(herd.resolveSibling(JAR_NAME), herd.resolveSibling("lib").resolve(JAR_NAME));
        Optional<Path> found = candidates.stream().filter(Files::isRegularFile).findFirst();
        return found.orElseThrow(() -> new ConfigException("\"worker.appPort\" needs herd's agent, " + JAR_NAME
                + ", which is not beside herd's jars (looked for " + candidates.get(0) + " and " + candidates.get(1)
                + ")"));
    }

    /**
     * The JVM options that attach the agent to a worker for the app's port; the agent lets the worker's clients
     * close their connections for half of {@code gracefulTimeout} before the app's own stop.
     */
    static List<String> jvmOptions(Path jar, int appPort, java.time.Duration gracefulTimeout) {
        List<String> options = new java.util.ArrayList<>();
        for (String open : OPENS) {
            options.add("--add-opens=" + open + "=ALL-UNNAMED");
        }
        options.add("-javaagent:" + jar + "=appPort=" + appPort + ",gracefulTimeoutMillis="
                + gracefulTimeout.toMillis());
        return options;
    }

    /** herd.jar, or the classes directory of a build. */
    private static Path herdCodeSource() throws ConfigException {
        try {
            return Path.of(AppPortAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toAbsolutePath().normalize();
        } catch (URISyntaxException | RuntimeException e) {
            throw new ConfigException("\"worker.appPort\": cannot tell where herd's jars are: " + e.getMessage(), e);
        }
    }
}
