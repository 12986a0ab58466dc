package dev.herd.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

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
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Premain-Class", DyingThreadAgent.class.getName());
        Path jar = dir.resolve("dying-thread-agent.jar");
        String entry = DyingThreadAgent.class.getName().replace('.', '/') + ".class";
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             InputStream classFile = DyingThreadAgent.class.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new JarEntry(entry));
            classFile.transferTo(out);
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jar;
    }
}
