package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker JVM's feature version, from its JDK's release file or its -version, and the options it gets. */
class WorkerJvmsTest {

    @TempDir
    Path dir;

    private final WorkerJvms jvms = new WorkerJvms(0);

    @AfterEach
    void stopTheProbeThread() {
        jvms.close();
    }

    @Test
    void theFeatureOfEachVersionStringShape() {
        assertEquals(OptionalInt.of(17), WorkerJvms.featureOf("17.0.15"));
        assertEquals(OptionalInt.of(25), WorkerJvms.featureOf("25"));
        assertEquals(OptionalInt.of(21), WorkerJvms.featureOf("21-ea"));
        assertEquals(OptionalInt.of(8), WorkerJvms.featureOf("1.8.0_412"));
        assertEquals(OptionalInt.empty(), WorkerJvms.featureOf("unknown"));
    }

    @Test
    void theInstalledJdksAreReadFromTheirReleaseFiles() {
        for (var jdk : List.of(WorkerJavaJdks.JDK_17, WorkerJavaJdks.JDK_25)) {
            assumeTrue(Files.isDirectory(jdk), jdk + " is not installed");
        }
        assertEquals(OptionalInt.of(17), WorkerJvms.releaseFeature(WorkerJavaJdks.JDK_17.resolve("bin/java")));
        assertEquals(OptionalInt.of(25), WorkerJvms.releaseFeature(WorkerJavaJdks.JDK_25.resolve("bin/java")));
    }

    @Test
    void eachVersionGetsOnlyTheOptionsItTakes() {
        assertEquals(List.of("-XX:+ExitOnOutOfMemoryError"), WorkerJvm.herdOptions(OptionalInt.of(17)));
        assertEquals(List.of("-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow"), WorkerJvm.herdOptions(OptionalInt.of(25)));
        assertEquals(List.of("-XX:+ExitOnOutOfMemoryError"), WorkerJvm.herdOptions(OptionalInt.empty()),
                "a JVM of unknown version: what every JDK takes");
    }

    /** A java without a release file (a wrapper script here) is asked with -version, beside the caller. */
    @Test
    void aJavaWithoutAReleaseFileIsAskedItsVersionOnceAndAgainWhenItChanges() throws Exception {
        Path java = Files.createDirectories(dir.resolve("wrapper")).resolve("java");
        writeScript(java, "openjdk version \"21.0.4\" 2024-07-16");
        WorkerJvm jvm = new WorkerJvm(Optional.of(java), java);

        assertEquals(OptionalInt.of(21), jvms.awaitFeature(jvm, Duration.ofSeconds(30)));
        assertEquals(OptionalInt.of(21), jvms.feature(jvm), "cached");

        writeScript(java, "openjdk version \"25.0.1\" 2025-10-21");
        Files.setLastModifiedTime(java, FileTime.fromMillis(
                Files.getLastModifiedTime(java).toMillis() + 2000));
        assertEquals(OptionalInt.of(25), jvms.awaitFeature(jvm, Duration.ofSeconds(30)), "a new file is asked again");
    }

    private static void writeScript(Path path, String versionLine) throws Exception {
        Files.writeString(path, "#!/bin/sh\necho '" + versionLine + "' >&2\n");
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
