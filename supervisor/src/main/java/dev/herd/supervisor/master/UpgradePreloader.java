package dev.herd.supervisor.master;

import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads every class of herd's own jars that the master runs from (the master's, its configuration's, its log's),
 * once, on a thread beside the loop as the master starts, so that an upgrade never has to read a class from them.
 * A JVM reads a class from its jar when the class is first used, and an upgrade runs code that nothing ran before in
 * the old master (the check's outcome, the hand-over, the exec). An install that rewrites a jar in place (a
 * truncating copy, {@code cp} over lib/herd.jar) leaves the old master reading other bytes at the offsets it knew:
 * without this, the upgrade failed on the loop with a NoClassDefFoundError, and the loop's failure killed every
 * worker. Classes are loaded, not initialized: no static initializer runs early. Third-party jars are left alone:
 * their file names carry their versions, so a new version is a new file, and a file replaced by renaming over it
 * stays readable through the descriptor the JVM holds (docs/upgrade.md, "Installing the new herd").
 */
final class UpgradePreloader {

    /** One class of each of herd's jars that the master's code is in: their jars (or class directories) are loaded. */
    private static final List<Class<?>> ANCHORS = List.of(UpgradePreloader.class, HerdConfig.class, Log.class);

    private UpgradePreloader() {
    }

    /**
     * What a preload did.
     *
     * @param failed the classes that could not be loaded, and why
     */
    record Outcome(int loaded, List<String> failed) {
    }

    /** Preloads on a daemon thread of its own: the loop and the first workers' start do not wait for it. */
    static void startBesideTheLoop() {
        Thread thread = new Thread(UpgradePreloader::preloadAndSay, "herd-preload");
        thread.setDaemon(true);
        thread.start();
    }

    /** Silent when every class loads: it does at every start. */
    private static void preloadAndSay() {
        Outcome outcome;
        try {
            outcome = preload(locations(ANCHORS), UpgradePreloader.class.getClassLoader());
        } catch (IOException e) {
            Log.warn("upgrade: cannot read herd's jars to preload their classes: %s; an install that rewrites them "
                    + "in place may fail the next upgrade", e.getMessage());
            return;
        }
        if (!outcome.failed().isEmpty()) {
            Log.warn("upgrade: %d of herd's classes could not be preloaded (first: %s); an install that rewrites "
                    + "herd's jars in place may fail the next upgrade", outcome.failed().size(),
                    outcome.failed().get(0));
        }
    }

    /** The jars (or class directories) the anchors were loaded from, each once. */
    static List<Path> locations(List<Class<?>> anchors) throws IOException {
        Set<Path> locations = new LinkedHashSet<>();
        for (Class<?> anchor : anchors) {
            CodeSource source = anchor.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                throw new IOException("no code source for " + anchor.getName());
            }
            try {
                locations.add(Path.of(source.getLocation().toURI()));
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IOException("the code source of " + anchor.getName() + ", " + source.getLocation()
                        + ", is not a file: " + e.getMessage(), e);
            }
        }
        return List.copyOf(locations);
    }

    /** Loads, without initializing them, the classes in each location; what could not be loaded is listed. */
    static Outcome preload(List<Path> locations, ClassLoader loader) throws IOException {
        int loaded = 0;
        List<String> failed = new ArrayList<>();
        for (Path location : locations) {
            for (String name : classNames(location)) {
                try {
                    Class.forName(name, false, loader);
                    loaded++;
                } catch (ClassNotFoundException | LinkageError e) {
                    failed.add(name + ": " + e);
                }
            }
        }
        return new Outcome(loaded, List.copyOf(failed));
    }

    /**
     * The binary names of the classes in a jar or under a class directory: every {@code .class} file but
     * module-info, package-info and what is under META-INF (a multi-release jar's versions).
     */
    static List<String> classNames(Path location) throws IOException {
        List<String> paths = new ArrayList<>();
        if (Files.isDirectory(location)) {
            try (Stream<Path> files = Files.walk(location)) {
                files.filter(Files::isRegularFile).forEach(file -> paths.add(location.relativize(file).toString()));
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile())) {
                jar.stream().forEach(entry -> paths.add(entry.getName()));
            }
        }
        return paths.stream()
                .filter(path -> path.endsWith(".class") && !path.startsWith("META-INF/")
                        && !path.endsWith("module-info.class") && !path.endsWith("package-info.class"))
                .map(path -> path.substring(0, path.length() - ".class".length()).replace('/', '.'))
                .sorted()
                .toList();
    }
}
