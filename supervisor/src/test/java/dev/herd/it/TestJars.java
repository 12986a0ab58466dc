package dev.herd.it;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** A jar of one of the tests' classes, for what takes jars only: a class-data archive, a {@code -javaagent}. */
final class TestJars {

    private TestJars() {
    }

    /**
     * {@code type}'s class file and its nested classes' (Name.class, Name$*.class), from the tests' compiled classes,
     * in a new jar at {@code jar} whose manifest has {@code attributes} besides its version.
     */
    static Path of(Path jar, Class<?> type, Map<String, String> attributes) {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach(manifest.getMainAttributes()::putValue);
        String packagePath = type.getPackageName().replace('.', '/');
        String name = type.getSimpleName();
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest);
             Stream<Path> files = Files.list(classesOf(type).resolve(packagePath))) {
            for (Path classFile : files.filter(f -> f.getFileName().toString().equals(name + ".class")
                    || f.getFileName().toString().startsWith(name + "$")).sorted().toList()) {
                out.putNextEntry(new JarEntry(packagePath + "/" + classFile.getFileName()));
                Files.copy(classFile, out);
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jar;
    }

    /** The directory of compiled classes {@code type} was loaded from (target/test-classes). */
    private static Path classesOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
