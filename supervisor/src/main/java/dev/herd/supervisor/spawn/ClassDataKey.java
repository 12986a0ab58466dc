package dev.herd.supervisor.spawn;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * What a class-data archive was made for, as a SHA-256: the worker's JVM command line (every option, the classpath
 * or jar, the main class; the slot aside), the content of each jar on it (a directory: its files' names, sizes and
 * modification times), and the JVM's identity (its release file and the real path and mtime of its lib/modules).
 * The JVM refuses an archive made for another classpath or JDK build anyway; the key makes herd train a new one
 * instead of offering the stale one. Hashing a large jar takes a while: {@link #compute} runs beside the loop.
 *
 * @param generation which configuration of the launcher it was computed for (a reload makes the next)
 * @param app        which app, whatever its build: a hash of its jar's path, or of its main class and classpath's
 *                   paths; a new build of it replaces its archive, another app's archives in the same directory
 *                   are left alone
 * @param hex        the key, or empty when it could not be computed (a jar could not be read)
 * @param problem    why not, when {@code hex} is empty
 * @param springBoot the Spring-Boot-Version of a jar on it that is a Spring Boot fat jar (its manifest says so)
 */
public record ClassDataKey(int generation, String app, String hex, String problem, Optional<String> springBoot) {

    ClassDataKey(int generation, String app, String hex, String problem) {
        this(generation, app, hex, problem, Optional.empty());
    }

    /** A directory on the classpath with more files than this is keyed on its first ones only. */
    private static final int MAX_DIRECTORY_FILES = 100_000;

    boolean known() {
        return !hex.isEmpty();
    }

    /** Short, for file names and log lines. */
    String shortHex() {
        return hex.substring(0, 16);
    }

    static ClassDataKey compute(int generation, String appName, Path javaHome, List<String> commandLine,
                                List<Path> classpath) {
        String app;
        try {
            app = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(appName.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            commandLine.forEach(word -> update(digest, "arg " + word));
            Path release = javaHome.resolve("release");
            if (Files.isRegularFile(release)) {
                digest.update(Files.readAllBytes(release));
            }
            Path modules = javaHome.resolve("lib").resolve("modules");
            update(digest, "modules " + modules.toRealPath() + " " + Files.getLastModifiedTime(modules).toMillis());
            Optional<String> springBoot = Optional.empty();
            for (Path entry : jarsOf(classpath)) {
                hashEntry(digest, entry);
                if (springBoot.isEmpty() && Files.isRegularFile(entry)) {
                    springBoot = springBootVersion(entry);
                }
            }
            return new ClassDataKey(generation, app, HexFormat.of().formatHex(digest.digest()), "", springBoot);
        } catch (IOException | java.io.UncheckedIOException e) {
            // Files.walk throws the unchecked kind while it lists a directory.
            return new ClassDataKey(generation, app, "", "reading " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The key of the same build run from its extraction (a Spring Boot fat jar extracted, see
     * {@link ClassDataExtractor}): another classpath, so another archive, and never one trained on the fat jar.
     */
    ClassDataKey extracted() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, hex);
            update(digest, "extracted to " + ClassDataStore.EXTRACTED_JAR);
            return new ClassDataKey(generation, app, HexFormat.of().formatHex(digest.digest()), problem, springBoot);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * The classpath as the JVM reads it: {@code DIR/*}, the launcher's wildcard, stands for every jar in DIR (by
     * name here; a jar added or rebuilt there changes the key).
     */
    static List<Path> jarsOf(List<Path> classpath) throws IOException {
        List<Path> entries = new ArrayList<>();
        for (Path entry : classpath) {
            if (entry.getFileName() == null || !entry.getFileName().toString().equals("*")) {
                entries.add(entry);
                continue;
            }
            Path directory = entry.getParent() == null ? Path.of(".") : entry.getParent();
            try (Stream<Path> files = Files.list(directory)) {
                files.filter(file -> file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar"))
                        .filter(file -> Files.isRegularFile(file)).sorted().forEach(entries::add);
            }
        }
        return entries;
    }

    private static void hashEntry(MessageDigest digest, Path entry) throws IOException {
        update(digest, "entry " + entry);
        BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class);
        if (attributes.isDirectory()) {
            try (Stream<Path> files = Files.walk(entry)) {
                files.limit(MAX_DIRECTORY_FILES).sorted().forEach(file -> {
                    try {
                        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class,
                                LinkOption.NOFOLLOW_LINKS);
                        update(digest, "file " + entry.relativize(file) + " " + a.size() + " "
                                + a.lastModifiedTime().toMillis());
                    } catch (IOException e) {
                        update(digest, "file " + entry.relativize(file) + " unreadable");
                    }
                });
            }
        } else {
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(entry)) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    digest.update(buffer, 0, n);
                }
            }
        }
    }

    /** A Spring Boot fat jar's manifest names the Spring Boot version that built it. */
    private static Optional<String> springBootVersion(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            return manifest == null ? Optional.empty()
                    : Optional.ofNullable(manifest.getMainAttributes().getValue("Spring-Boot-Version"));
        } catch (java.util.zip.ZipException notAJar) {
            return Optional.empty();
        }
    }

    private static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
    }
}
