package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpgradePreloaderTest {

    private static final String INITIALIZED = "herd.test.preloaded.initialized";
    private static final String PLAIN = Plain.class.getName();

    @TempDir
    Path dir;

    /** A class with nothing but java.base behind it, whose static initializer leaves a mark. */
    static final class Plain {
        static {
            System.setProperty(INITIALIZED, "yes");
        }
    }

    /** A loader that says which classes it has loaded itself. */
    private static final class Loader extends URLClassLoader {
        Loader(Path location) throws IOException {
            super(new URL[] {location.toUri().toURL()}, null); // no parent: every class of the location is its own
        }

        boolean loaded(String name) {
            return findLoadedClass(name) != null;
        }
    }

    @Test
    void loadsEveryClassOfALocationWithoutInitializingItAndListsWhatItCannotLoad() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("classes"));
        copyClassFile(Plain.class, classes);
        Path broken = Files.createDirectories(classes.resolve("dev/herd/broken")).resolve("Broken.class");
        Files.writeString(broken, "not a class file");
        System.clearProperty(INITIALIZED);

        try (Loader loader = new Loader(classes)) {
            UpgradePreloader.Outcome outcome = UpgradePreloader.preload(List.of(classes), loader);

            assertEquals(1, outcome.loaded(), outcome.toString());
            assertTrue(loader.loaded(PLAIN), "the class is loaded by the loader it was asked of");
            assertNull(System.getProperty(INITIALIZED), "loaded, not initialized");
            assertEquals(1, outcome.failed().size(), outcome.toString());
            assertTrue(outcome.failed().get(0).startsWith("dev.herd.broken.Broken: java.lang.ClassFormatError"),
                    outcome.failed().get(0));
        }
    }

    @Test
    void theClassesOfAJarAreItsClassFilesButModuleAndPackageInfoAndMultiReleaseVersions() throws Exception {
        Path jar = dir.resolve("some.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String entry : List.of("META-INF/MANIFEST.MF", "module-info.class", "a/B.class", "a/B$C.class",
                    "a/package-info.class", "a/readme.txt", "META-INF/versions/11/a/B.class", "a/d/E.class")) {
                out.putNextEntry(new JarEntry(entry));
                out.write(entry.getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }

        assertEquals(List.of("a.B", "a.B$C", "a.d.E"), UpgradePreloader.classNames(jar));
    }

    @Test
    void theClassesOfADirectoryAreItsClassFilesAtAnyDepth() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("classes"));
        for (String file : List.of("a/B.class", "a/B$C.class", "a/d/E.class", "a/package-info.class", "a/x.txt")) {
            Path path = classes.resolve(file);
            Files.createDirectories(path.getParent());
            Files.writeString(path, file);
        }

        assertEquals(List.of("a.B", "a.B$C", "a.d.E"), UpgradePreloader.classNames(classes));
    }

    @Test
    void herdsOwnJarsAreTheMastersItsConfigurationsAndItsLogs() throws Exception {
        List<Path> locations = UpgradePreloader.locations(List.of(UpgradePreloader.class, HerdConfig.class,
                Log.class, Upgrader.class));

        assertEquals(3, locations.size(), locations.toString()); // Upgrader is in the master's, listed once
        locations.forEach(location -> assertTrue(Files.exists(location), location.toString()));
        assertTrue(UpgradePreloader.classNames(locations.get(0)).contains(Upgrader.class.getName()));
        assertTrue(UpgradePreloader.classNames(locations.get(1)).contains(HerdConfig.class.getName()));
        assertTrue(UpgradePreloader.classNames(locations.get(2)).contains(Log.class.getName()));
    }

    private static void copyClassFile(Class<?> type, Path root) throws IOException {
        String file = type.getName().replace('.', '/') + ".class";
        Path target = root.resolve(file);
        Files.createDirectories(target.getParent());
        try (InputStream in = type.getClassLoader().getResourceAsStream(file);
             OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        }
    }
}
