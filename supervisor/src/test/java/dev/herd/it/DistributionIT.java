package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive that {@code mvn package} makes unpacks into the documented layout, and herd runs from
 * it the way the README installs it (through a symlink, as /usr/local/bin/herd), with no Maven and no source tree.
 */
class DistributionIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Path ARCHIVE = Path.of(System.getProperty("herd.distribution",
            "target/herd-0.1.0.tar.gz")).toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void archiveUnpacksAndRunsWithoutMaven() throws Exception {
        Path opt = Files.createDirectories(dir.resolve("opt"));
        Cli.Result untar = Cli.run(Duration.ofSeconds(60), "tar", "-xzf", ARCHIVE.toString(), "-C", opt.toString());
        assertEquals(0, untar.exitCode(), untar.stderr());
        String top = ARCHIVE.getFileName().toString().replace(".tar.gz", "");
        Path home = opt.resolve(top);
        for (String file : List.of("bin/herd", "lib/herd.jar", "lib/herd-agent.jar", "conf/herd.json",
                "systemd/herd.service", "systemd/herd.socket", "systemd/herd@.service", "systemd/herd@.socket",
                "README.md")) {
            assertTrue(Files.isRegularFile(home.resolve(file)), file + " in " + top);
        }
        assertTrue(Files.isExecutable(home.resolve("bin/herd")));
        try (var jars = Files.list(home.resolve("lib"))) {
            assertTrue(jars.anyMatch(jar -> jar.getFileName().toString().startsWith("jnr-posix-")), "dependencies");
        }
        // The guides and the example apps' sources, not what building them left in docs/*/target.
        assertTrue(Files.isRegularFile(home.resolve("docs/your-app.md")));
        try (var docs = Files.walk(home.resolve("docs"))) {
            assertEquals(List.of(), docs.filter(path -> path.getFileName().toString().equals("target")).toList());
        }

        // /usr/local/bin/herd -> /opt/herd-VERSION/bin/herd, and an mvn first on PATH that would leave a mark.
        Path bin = Files.createDirectories(dir.resolve("usr-local-bin"));
        Path herdLink = Files.createSymbolicLink(bin.resolve("herd"), home.resolve("bin/herd"));
        Path mavenCalled = dir.resolve("maven-was-called");
        Path fakeMaven = Files.writeString(bin.resolve("mvn"), "#!/bin/sh\ntouch " + mavenCalled + "\nexit 97\n");
        Files.setPosixFilePermissions(fakeMaven, PosixFilePermissions.fromString("rwxr-xr-x"));

        ProcessBuilder builder = new ProcessBuilder(herdLink.toString(), "run", "-c",
                home.resolve("conf/herd.json").toString(), "--listen", "127.0.0.1:0", "--workers", "1",
                "--admin-socket", dir.resolve("admin/herd.sock").toString())
                .directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        try (HerdProcess herd = HerdProcess.start(builder)) {
            int port = herd.port();
            herd.awaitWorkersAccepting(1, START);
            assertEquals("War and Peace", EchoClient.roundTrip(port, "War and Peace"));
            assertTrue(ProcFs.cmdline(herd.pid()).contains(home.resolve("lib") + "/"), "runs the unpacked jars");
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            assertTrue(herd.hasLine("master\\[" + herd.pid() + "\\] stopped"), herd.output());
        }
        assertFalse(Files.exists(mavenCalled), "the unpacked distribution must not call Maven");
    }
}
