package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/herd in a checkout says when it builds, and why, before Maven's quiet wait (issue 10: the first run was silent
 * for seconds). A copy of the launcher runs in a bare checkout with a stand-in {@code mvn} first on PATH, which
 * records its arguments and fails: so the build's messages are seen without a build.
 */
class LauncherIT {

    @TempDir
    Path checkout;

    @Test
    void theFirstRunSaysItBuildsAndAFailedBuildShowsMavensOutput() throws IOException {
        Path mvnArguments = standIns();
        Cli.Result first = launcher("--version");
        assertEquals(1, first.exitCode(), first.toString());
        assertEquals(List.of("herd: building herd (first run; Maven may download its dependencies)...",
                "herd: building herd with Maven failed; its output follows", "[ERROR] stand-in build failure"),
                first.stderr().lines().toList());
        // Only what herd runs on, quietly: the example and benchmark modules are the tests' business.
        assertEquals("-B -q -DskipTests -Dherd.frameworks.skip=true -f " + checkout.resolve("pom.xml")
                + " -pl supervisor -am package",
                Files.readString(mvnArguments).strip());
    }

    @Test
    void sourcesNewerThanTheJarAreRebuiltWithSaying() throws IOException {
        standIns();
        Path jar = checkout.resolve("supervisor/target/herd.jar");
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "not a jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        Cli.Result stale = launcher("--version");
        assertEquals(1, stale.exitCode(), stale.toString());
        assertTrue(stale.stderr().startsWith("herd: sources changed since the last build; rebuilding herd...\n"),
                stale.stderr());
    }

    /** A checkout with no build: the poms and a source file; a stand-in mvn that fails. Returns its argument file. */
    private Path standIns() throws IOException {
        Files.createDirectories(checkout.resolve("bin"));
        Files.copy(HerdProcess.LAUNCHER, checkout.resolve("bin/herd"));
        Files.writeString(checkout.resolve("pom.xml"), "<project/>\n");
        for (String module : List.of("config", "worker-api", "worker", "supervisor")) {
            Files.createDirectories(checkout.resolve(module + "/src/main/java"));
            Files.writeString(checkout.resolve(module + "/pom.xml"), "<project/>\n");
        }
        Files.writeString(checkout.resolve("supervisor/src/main/java/Source.java"), "class Source {}\n");
        Path arguments = checkout.resolve("mvn-arguments");
        Path mvn = checkout.resolve("stand-ins/mvn");
        Files.createDirectories(mvn.getParent());
        Files.writeString(mvn, "#!/bin/sh\necho \"$*\" > '" + arguments + "'\necho '[ERROR] stand-in build failure'\n"
                + "exit 1\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));
        return arguments;
    }

    private Cli.Result launcher(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = checkout.resolve("bin/herd").toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return Cli.runIn(checkout, Map.of("PATH", checkout.resolve("stand-ins") + ":" + System.getenv("PATH")),
                Duration.ofSeconds(60), command);
    }
}
