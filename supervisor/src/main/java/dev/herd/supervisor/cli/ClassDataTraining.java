package dev.herd.supervisor.cli;

import dev.herd.config.ConfigJson;
import dev.herd.config.ConfigLoader;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.admin.AdminPaths;
import dev.herd.supervisor.admin.AdminReply;
import dev.herd.supervisor.admin.AdminRequest;
import dev.herd.supervisor.admin.AdminServer;
import dev.herd.supervisor.os.PosixOs;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The training run bin/herd makes once per JDK and build, with {@code -XX:ArchiveClassesAtExit} (JDK 17..24) or
 * {@code -XX:AOTCacheOutput} (JDK 25+). The archive written at its exit holds, parsed and verified, the classes it
 * loaded; the master and every CLI command then map it instead of reading and verifying the jars again.
 *
 * <p>It loads every class of herd's own and walks the paths every process takes through the libraries: the CLI's
 * command line, the config, the admin protocol's JSON, the native calls. Loading all of Jackson, jnr and Jetty
 * instead made a 40 MB archive that each JVM maps and, with the archive relocated for ASLR, touches in full: 28 MB
 * more resident memory and a slower start. Two things no archive holds: classes of Java 5's format
 * (picocli's) and classes generated at run time (jnr's native stubs).
 *
 * <p>It leaves out {@code herd top} and JLine: JDK 25's AOT cache loads every class it holds at each start, so a
 * cache with them would make every {@code herd status} load the terminal library that only {@code herd top} uses.
 */
public final class ClassDataTraining {

    private static final String TOP = "top";
    /** The classes of {@code herd top}, whose types are JLine's (see the class comment). */
    private static final String TOP_CLASSES = "dev.herd.supervisor.cli.Top";

    private ClassDataTraining() {
    }

    public static void main(String[] args) throws AdminException, IOException {
        int loaded = loadHerdClasses(ClassDataTraining.class.getClassLoader());

        // The CLI: picocli's reflection over each subcommand (but top), as each herd command starts with.
        HerdCli.commandLine("status").parseArgs("status");
        for (String name : HerdCli.subcommandNames()) {
            if (!name.equals(TOP) && !name.equals("help") && !name.equals("completion")) { // these two build all
                HerdCli.commandLine(name).getSubcommands().get(name).getUsageMessage();
            }
        }
        // The master's start: the config and its JSON rendering, a request of the admin protocol, the native calls.
        ConfigJson.render(ConfigLoader.defaults()).toString();
        AdminRequest.parse("{\"command\":\"status\"}".getBytes(StandardCharsets.UTF_8));
        AdminClient.JSON.readTree("{\"ok\":true,\"workers\":[{\"slot\":1,\"pid\":2,\"state\":\"ready\"}]}");
        new PosixOs().pid();
        // The admin channel from both ends, as the master and `herd status` use it: the JDK's Unix-domain sockets,
        // selectors and peer credentials are classes of the JDK that its own archive leaves out.
        try {
            pingThroughAnAdminSocket();
        } catch (IOException e) {
            System.err.println("herd: class data training: the admin socket round trip failed, the archive holds"
                    + " less: " + e.getMessage());
        }
        System.out.println("herd: class data training loaded " + loaded + " of herd's classes");
    }

    /** An admin server in a private directory of its own and `herd ping` against it, the way PlainRequest sends it. */
    private static void pingThroughAnAdminSocket() throws IOException {
        Path directory = Files.createTempDirectory("herd-training-");
        Path socket = directory.resolve("admin").resolve("herd.sock");
        try (AdminServer server = AdminServer.open(socket, Optional.empty(), AdminPaths.effectiveUid(),
                (request, reply) -> reply.complete(new AdminReply.Pong()))) {
            PlainRequest.parse(new String[] {"ping", "--admin-socket", socket.toString()}).orElseThrow().run();
        } finally {
            Files.deleteIfExists(socket.getParent());
            Files.deleteIfExists(directory);
        }
    }

    private static int loadHerdClasses(ClassLoader loader) {
        int loaded = 0;
        for (Path jarPath : jarsOnClasspath()) {
            try (JarFile jar = new JarFile(jarPath.toFile())) {
                for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                    String name = entries.nextElement().getName();
                    if (name.startsWith("dev/herd/") && name.endsWith(".class") && !name.contains("-")) {
                        String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                        if (!className.startsWith(TOP_CLASSES)) {
                            loaded += load(loader, className);
                        }
                    }
                }
            } catch (IOException e) {
                System.err.println("herd: class data training: " + jarPath + ": " + e.getMessage());
            }
        }
        return loaded;
    }

    /**
     * The jars of java.class.path and those their manifests' Class-Path names: in a checkout bin/herd runs
     * {@code -cp herd.jar}, whose manifest brings in target/lib/*.jar, and java.class.path shows herd.jar alone.
     */
    static Set<Path> jarsOnClasspath() {
        Set<Path> jars = new LinkedHashSet<>();
        Deque<Path> pending = new ArrayDeque<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.endsWith(".jar")) {
                pending.add(Path.of(entry).toAbsolutePath().normalize());
            }
        }
        while (!pending.isEmpty()) {
            Path jar = pending.removeFirst();
            if (!jar.toFile().isFile() || !jars.add(jar)) {
                continue;
            }
            try (JarFile file = new JarFile(jar.toFile())) {
                Manifest manifest = file.getManifest();
                String classPath = manifest == null ? null
                        : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
                if (classPath != null) {
                    for (String relative : classPath.trim().split("\\s+")) {
                        pending.add(jar.resolveSibling(relative).normalize());
                    }
                }
            } catch (IOException e) {
                System.err.println("herd: class data training: " + jar + ": " + e.getMessage());
            }
        }
        return jars;
    }

    /** Loads without initializing: no static initializer of a class runs here. */
    private static int load(ClassLoader loader, String className) {
        try {
            Class.forName(className, false, loader);
            return 1;
        } catch (LinkageError | ClassNotFoundException unusable) {
            return 0; // an optional dependency it refers to is not here; it is never used either
        }
    }
}
