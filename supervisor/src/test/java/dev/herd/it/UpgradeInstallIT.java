package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21's "upgrade to a build with a different version string", from the distribution archive installed the way
 * the README installs it ({@code /opt/herd -> herd-A}, {@code /usr/local/bin/herd -> /opt/herd/bin/herd}), with
 * keep-alive HTTP clients on one master and echo clients on another through three deploys of a new build (a copy
 * of the install whose lib/herd.jar says another Implementation-Version, as a release build does):
 * <ol>
 *   <li>to a new directory, the link switched by renaming a new link over it (the deploy the docs recommend);</li>
 *   <li>in place over the running install, each file written beside and renamed over (dpkg, rpm, install(1));</li>
 *   <li>in place by a truncating copy ({@code cp} over lib/herd.jar): the very file the old master has open gets
 *       other bytes, so anything it had not loaded from it yet is gone. The master preloads herd's classes at
 *       start (UpgradePreloader); without that, this upgrade died with a NoClassDefFoundError and took every
 *       worker with it.</li>
 * </ol>
 * Each time {@code herd upgrade} exits 0 and says both versions, {@code herd version} names the new one, the master
 * keeps its pid and its pid file, the old workers are gone, and no request fails. The masters run without the
 * class-data archive: every class then comes from the jars, the case where a rewritten jar matters most.
 */
class UpgradeInstallIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration UPGRADE = Duration.ofSeconds(180);
    private static final Path ARCHIVE = Path.of(System.getProperty("herd.distribution",
            "target/herd-0.1.0.tar.gz")).toAbsolutePath();

    @TempDir
    Path dir;

    private Path opt;
    private Path herd;
    private Map<String, String> environment;

    /** One master started through the installed link, on an admin socket and pid file of its own. */
    private record Master(String name, int workers, HerdProcess process, AdminFixture admin, Path pidFile) {
    }

    @Test
    void echoAndKeepAliveClientsGoThroughUpgradesToANewDirectoryAndInPlaceByRenameAndByTruncatingCopy()
            throws Exception {
        install();
        List<Master> masters = new ArrayList<>();
        try {
            Master web = start("web", "http", 2);
            masters.add(web);
            Master echo = start("echo", "echo", 1);
            masters.add(echo);
            String installed = web.admin().status().path("version").asText();
            Set<Long> everyWorker = new HashSet<>();
            try (KeepAliveLoad keepAlive = new KeepAliveLoad(web.process().port(), "/", 4);
                 EchoLoad clients = new EchoLoad(echo.process().port(), 2)) {
                Poll.until(START, "keep-alive responses before the upgrades", () -> keepAlive.responses() >= 200);
                clients.awaitServed(20, START);

                // (1) A new directory, the link switched atomically.
                Path running = opt.resolve("herd-B");
                copyTree(opt.resolve("herd-A"), running);
                Path jar = running.resolve("lib/herd.jar");
                replaceByRename(jar, withVersion(jar, "0.2.0-new-directory"));
                switchLink(opt.resolve("herd"), "herd-B");
                for (Master master : masters) {
                    everyWorker.addAll(upgrade(master, installed, "0.2.0-new-directory", 1));
                }

                // (2) In place, as package managers do it: written beside, renamed over.
                Object before = fileKey(jar);
                replaceByRename(jar, withVersion(jar, "0.3.0-renamed-in-place"));
                replaceByRename(running.resolve("bin/herd"), Files.readAllBytes(running.resolve("bin/herd")));
                assertNotEquals(before, fileKey(jar), "a new file at the path");
                for (Master master : masters) {
                    everyWorker.addAll(upgrade(master, "0.2.0-new-directory", "0.3.0-renamed-in-place", 2));
                }

                // (3) In place by a truncating copy: the bytes of the file the old master reads its classes from.
                before = fileKey(jar);
                for (Master master : masters) {
                    assertTrue(hasOpen(master.process().pid(), jar), master.name() + " has " + jar + " open");
                }
                Files.write(jar, withVersion(jar, "0.4.0-copied-in-place"), StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                assertEquals(before, fileKey(jar), "the same file, as cp leaves it");
                for (Master master : masters) {
                    everyWorker.addAll(upgrade(master, "0.3.0-renamed-in-place", "0.4.0-copied-in-place", 3));
                }

                long afterUpgrades = keepAlive.responses();
                Poll.until(START, "keep-alive responses after the upgrades",
                        () -> keepAlive.responses() >= afterUpgrades + 200);
                clients.awaitServed(20, START);
                keepAlive.close();
                clients.close();
                assertEquals(0, keepAlive.errors(), keepAlive.summary());
                assertEquals(0, keepAlive.non2xx(), keepAlive.summary());
                assertEquals(0, clients.failed(), clients.toString());
            }

            for (Master master : masters) {
                everyWorker.addAll(master.admin().awaitReady(master.workers(), START));
                Cli.Result stop = cli("stop", "--admin-socket", master.admin().socket().toString());
                assertEquals(0, stop.exitCode(), stop.stderr());
                assertEquals(0, master.process().awaitExit(START), master.process().output());
                assertFalse(Files.exists(master.pidFile()), "the pid file is removed at exit");
            }
            everyWorker.forEach(pid -> assertTrue(ProcFs.exited(pid), "worker " + pid + " left behind"));
        } finally {
            closeAll(masters);
        }
    }

    /** The archive unpacked as opt/herd-A, {@code opt/herd -> herd-A} and {@code usr-local-bin/herd} linked to it. */
    private void install() throws IOException {
        opt = Files.createDirectories(dir.resolve("opt"));
        Cli.Result untar = Cli.run(Duration.ofSeconds(60), "tar", "-xzf", ARCHIVE.toString(), "-C", opt.toString());
        assertEquals(0, untar.exitCode(), untar.stderr());
        Files.move(opt.resolve(ARCHIVE.getFileName().toString().replace(".tar.gz", "")), opt.resolve("herd-A"));
        Files.createSymbolicLink(opt.resolve("herd"), Path.of("herd-A"));
        Path bin = Files.createDirectories(dir.resolve("usr-local-bin"));
        herd = Files.createSymbolicLink(bin.resolve("herd"), opt.resolve("herd/bin/herd"));
        // The JDK this test runs on runs herd (CI's second pass: 25); no class-data archive (see the class comment).
        environment = Map.of("JAVA_HOME", System.getProperty("java.home"), "HERD_CLASS_DATA", "off");
    }

    private Master start(String name, String app, int workers) throws IOException {
        Path home = Files.createDirectories(dir.resolve(name));
        AdminFixture admin = new AdminFixture(home);
        Path pidFile = home.resolve("herd.pid");
        Path config = Files.writeString(home.resolve("herd.json"), "{\"workers\": " + workers + ", \"app\": \""
                + app + "\", \"gracefulTimeout\": \"10s\", \"pidFile\": \"" + pidFile + "\", \"adminSocket\": \""
                + admin.socket() + "\"}");
        ProcessBuilder builder = new ProcessBuilder(herd.toString(), "run", "-c", config.toString(), "--listen",
                "127.0.0.1:0").directory(home.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        HerdProcess process = HerdProcess.start(builder);
        admin.awaitReady(workers, START);
        assertTrue(ProcFs.cmdline(process.pid()).contains(opt.toRealPath().resolve("herd-A/lib") + "/"),
                "runs the install: " + ProcFs.cmdline(process.pid()));
        return new Master(name, workers, process, admin, pidFile);
    }

    /**
     * {@code herd upgrade} of one master, through the installed link, and what must hold after it; returns the
     * workers it had before.
     */
    private Set<Long> upgrade(Master master, String from, String to, int count) throws IOException {
        Set<Long> old = master.admin().awaitReady(master.workers(), START);
        long pid = master.process().pid();

        Cli.Result upgrade = cli("upgrade", "--admin-socket", master.admin().socket().toString());

        assertEquals(0, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr() + master.process().output());
        assertTrue(upgrade.stdout().contains("upgraded: herd " + from + " -> " + to + ", "), upgrade.stdout());
        Cli.Result version = cli("version", "--admin-socket", master.admin().socket().toString());
        assertTrue(version.stdout().startsWith("master: herd " + to + " on Java "), version.stdout());
        JsonNode status = master.admin().status();
        assertEquals(pid, status.path("pid").asLong(), "the same master process");
        assertEquals(count, status.path("upgrade").path("count").asInt(), status.toString());
        assertEquals("done", status.path("upgrade").path("phase").asText(), status.toString());
        assertEquals(Long.toString(pid), Files.readString(master.pidFile()).strip());
        Set<Long> now = master.admin().awaitReady(master.workers(), START);
        old.forEach(worker -> assertTrue(ProcFs.exited(worker), "old worker " + worker + " left behind"));
        assertEquals(Set.copyOf(now), Set.copyOf(ProcFs.children(pid)),
                master.name() + ": the master's children are its new workers, no zombie, nothing else");
        return old;
    }

    /** The installed herd, through the link, on the test's JDK. */
    private Cli.Result cli(String... args) {
        List<String> command = new ArrayList<>(List.of(herd.toString()));
        command.addAll(List.of(args));
        return Cli.runIn(dir, environment, UPGRADE, command.toArray(String[]::new));
    }

    /** A copy of {@code jar} whose manifest says {@code version}: what a release build changes. */
    private static byte[] withVersion(Path jar, String version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            Manifest manifest = in.getManifest();
            manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                for (JarEntry entry; (entry = in.getNextJarEntry()) != null; ) {
                    out.putNextEntry(new JarEntry(entry.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return bytes.toByteArray();
    }

    /** Writes a new file beside {@code path} and renames it over: the running JVMs keep the old one open. */
    private static void replaceByRename(Path path, byte[] contents) throws IOException {
        Path beside = path.resolveSibling("." + path.getFileName() + ".new");
        Files.write(beside, contents);
        Files.setPosixFilePermissions(beside, Files.getPosixFilePermissions(path));
        Files.move(beside, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** {@code ln -s TARGET LINK.new && mv -T LINK.new LINK}: the link names the old or the new tree, never none. */
    private static void switchLink(Path link, String target) throws IOException {
        Path beside = link.resolveSibling("." + link.getFileName() + ".new");
        Files.createSymbolicLink(beside, Path.of(target));
        Files.move(beside, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Files.copy(path, to.resolve(from.relativize(path).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
            }
        }
    }

    private static Object fileKey(Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    /** Whether the process holds a descriptor of this very file (device and inode), not merely of its path. */
    private static boolean hasOpen(long pid, Path file) throws IOException {
        Object key = fileKey(file);
        for (int fd : ProcFs.descriptors(pid).keySet()) {
            try {
                if (key.equals(fileKey(Path.of("/proc", Long.toString(pid), "fd", Integer.toString(fd))))) {
                    return true;
                }
            } catch (IOException closedMeanwhile) {
                // not this one
            }
        }
        return false;
    }

    /** SIGKILLs every master started and its descendants, whatever the test left; each one even if another fails. */
    private static void closeAll(List<Master> masters) {
        AssertionError first = null;
        for (Master master : masters) {
            try {
                master.process().close();
            } catch (AssertionError e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
