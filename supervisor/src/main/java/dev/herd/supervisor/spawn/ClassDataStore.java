package dev.herd.supervisor.spawn;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The directory of app class-data archives ({@code classDataDirectory}). Every worker maps an archive as code, so
 * herd uses one only in a directory that its own uid owns and that neither group nor others may write, never
 * through a symlink, and writes one only under a temporary name that it renames once the training JVM is done.
 * Archives are named {@code app-APP-KEY.aot} (JDK 25's AOT cache) or {@code app-APP-KEY.jsa} (JDK 17's dynamic
 * CDS); a Spring Boot fat jar's extraction is the directory {@code app-APP-KEY.d} beside its archive, made under
 * {@code .extract-APP-KEY-N} and renamed into place (see {@link ClassDataExtractor}).
 */
final class ClassDataStore {

    private static final String PREFIX = "app-";
    private static final String EXTRACTING = ".extract-";
    /** The extracted application jar in an extraction ({@code --application-filename}). */
    static final String EXTRACTED_JAR = "app.jar";
    private static final Set<PosixFilePermission> GROUP_OR_OTHER_WRITE =
            Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private final Path directory;
    private final int uid;

    private ClassDataStore(Path directory, int uid) {
        this.directory = directory;
        this.uid = uid;
    }

    Path directory() {
        return directory;
    }

    /**
     * The store at {@code directory}, made (0700) if missing; empty, after one line that says why, when herd must
     * not keep code there.
     */
    static Optional<ClassDataStore> open(Path directory, int uid) {
        Path absolute = directory.toAbsolutePath().normalize();
        try {
            if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(absolute.getParent());
                Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            Optional<String> refusal = refusal(absolute, uid, true);
            if (refusal.isPresent()) {
                Log.warn("worker.classData: not using %s: %s; workers run without class data", absolute,
                        refusal.get());
                return Optional.empty();
            }
            return Optional.of(new ClassDataStore(absolute, uid));
        } catch (IOException e) {
            Log.warn("worker.classData: cannot use %s: %s; workers run without class data", absolute, e);
            return Optional.empty();
        }
    }

    /** Why herd must not trust this file or directory, if it must not. */
    private static Optional<String> refusal(Path path, int uid, boolean directory) throws IOException {
        if (Files.isSymbolicLink(path)) {
            return Optional.of("it is a symlink");
        }
        if (directory ? !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)
                : !Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.of(directory ? "it is not a directory" : "it is not a regular file");
        }
        int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (owner != uid) {
            return Optional.of("it belongs to uid " + owner + ", not herd's " + uid);
        }
        Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
        if (permissions.stream().anyMatch(GROUP_OR_OTHER_WRITE::contains)) {
            return Optional.of("its group or others may write to it ("
                    + PosixFilePermissions.toString(permissions) + ")");
        }
        return Optional.empty();
    }

    Path archive(ClassDataKey key, String suffix) {
        return directory.resolve(PREFIX + key.app() + "-" + key.shortHex() + "." + suffix);
    }

    /** Where a training run writes, renamed by {@link #commit} once it is complete. */
    Path partial(ClassDataKey key, String suffix, int serial) {
        return directory.resolve("." + PREFIX + key.app() + "-" + key.shortHex() + "." + suffix + ".partial"
                + (-serial));
    }

    /** Where the Spring Boot fat jar of {@code key} is extracted: the jar to run is {@link #EXTRACTED_JAR} in it. */
    Path extraction(ClassDataKey key) {
        return directory.resolve(PREFIX + key.app() + "-" + key.shortHex() + ".d");
    }

    /** Where an extraction is made before {@link #commitExtraction} renames it into place. */
    Path extracting(ClassDataKey key, int serial) {
        return directory.resolve(EXTRACTING + key.app() + "-" + key.shortHex() + "-" + serial);
    }

    /**
     * The jar to run in {@code extraction} if herd may trust it: the directory, its jar and its {@code lib} are
     * herd's uid's, no symlink, writable by nobody else (herd made them so; anything else is refused).
     */
    Optional<Path> usableExtraction(Path extraction) {
        Path jar = extraction.resolve(EXTRACTED_JAR);
        try {
            if (!Files.exists(extraction, LinkOption.NOFOLLOW_LINKS) || refusal(extraction, uid, true).isPresent()
                    || refusal(jar, uid, false).isPresent()) {
                return Optional.empty();
            }
            Path lib = extraction.resolve("lib");
            if (Files.exists(lib, LinkOption.NOFOLLOW_LINKS) && refusal(lib, uid, true).isPresent()) {
                return Optional.empty();
            }
            return Optional.of(jar);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Makes what the extractor wrote herd's alone (whatever the umask: no group or other write) and renames it
     * into place; refuses it if it holds anything but directories and regular files of herd's uid.
     */
    void commitExtraction(Path extracted, Path extraction) throws IOException {
        Files.walkFileTree(extracted, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                return trust(dir, attributes);
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                return trust(file, attributes);
            }

            private FileVisitResult trust(Path path, BasicFileAttributes attributes) throws IOException {
                if (!attributes.isDirectory() && !attributes.isRegularFile()) {
                    throw new IOException("the extraction holds " + path + ", neither a file nor a directory");
                }
                int owner = (Integer) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                if (owner != uid) {
                    throw new IOException(path + " belongs to uid " + owner + ", not herd's " + uid);
                }
                Set<PosixFilePermission> permissions = EnumSet.copyOf(
                        Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
                if (permissions.removeAll(GROUP_OR_OTHER_WRITE)) {
                    Files.setPosixFilePermissions(path, permissions);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        if (usableExtraction(extracted).isEmpty()) {
            throw new IOException("the extraction has no " + EXTRACTED_JAR);
        }
        Files.move(extracted, extraction, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Removes a directory of the store and all in it, never following a symlink (one found in it is removed as a
     * link), with a warning if it cannot.
     */
    void deleteTree(Path tree) {
        if (!Files.isDirectory(tree, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            // walkFileTree does not follow symlinks unless asked: a link is visited as a file and unlinked.
            Files.walkFileTree(tree, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            Log.warn("removing %s: %s", tree, e);
        }
    }

    /** Removes what an earlier master left of its extractions of this app (a master stopped mid-way). */
    void removeLeftExtractions(ClassDataKey key) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, EXTRACTING + key.app() + "-*")) {
            entries.forEach(this::deleteTree);
        } catch (IOException e) {
            Log.warn("listing %s: %s", directory, e);
        }
    }

    /** Whether {@code archive} exists as a non-empty regular file of herd's that nobody else may write. */
    boolean usable(Path archive) {
        try {
            return Files.exists(archive, LinkOption.NOFOLLOW_LINKS) && refusal(archive, uid, false).isEmpty()
                    && Files.size(archive) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Renames a complete training output into place (atomically: a worker sees the old name or the whole file). */
    void commit(Path partial, Path archive) throws IOException {
        if (!usable(partial)) {
            throw new IOException("the training run left no archive at " + partial);
        }
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes a file of the store quietly, with a warning if it cannot (and the JVM's side files of a partial). */
    void delete(Path file) {
        for (Path each : new Path[] {file, file.resolveSibling(file.getFileName() + ".config")}) {
            try {
                Files.deleteIfExists(each);
            } catch (IOException e) {
                Log.warn("removing %s: %s", each, e);
            }
        }
    }

    /**
     * Removes every archive, extraction and leftover partial of the store except {@code keep}: the current key's
     * archive and extraction, and the extractions workers still run from (a worker still running on an older archive
     * keeps its mapping of the removed file; a reload back to an older build trains again, once).
     */
    void removeAllBut(ClassDataKey key, Set<Path> keep) {
        String app = PREFIX + key.app() + "-";
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                boolean ours = name.startsWith(app) || name.startsWith("." + app);
                if (ours && !keep.contains(entry) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Log.info("removing the old class-data archive %s", entry);
                    delete(entry);
                } else if (ours && !keep.contains(entry) && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Log.info("removing the old extraction %s", entry);
                    deleteTree(entry);
                }
            }
        } catch (IOException e) {
            Log.warn("listing %s: %s", directory, e);
        }
    }

    /** The default directory: see ConfigKeys.CLASS_DATA_DIRECTORY. */
    static Path defaultDirectory(Map<String, String> environment) {
        String explicit = environment.get("HERD_CLASS_DATA_DIR");
        if (explicit != null && !explicit.isEmpty()) {
            return Path.of(explicit, "apps");
        }
        String systemd = environment.get("CACHE_DIRECTORY");
        if (systemd != null && !systemd.isEmpty()) {
            // systemd may list several, separated by ':'; herd's unit names one.
            return Path.of(systemd.split(":")[0], "apps");
        }
        String xdg = environment.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isEmpty() ? Path.of(xdg)
                : Path.of(environment.getOrDefault("HOME", "/nonexistent"), ".cache");
        return cache.resolve("herd").resolve("apps");
    }
}
