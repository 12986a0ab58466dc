package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * worker.classData: the archive's life with real JVMs, on JDK 25 (AOT cache) and JDK 17 (dynamic CDS). The app is
 * herd's own echo app as a mainClass worker, with a jar of the test's on its classpath that stands for the app's
 * build. Trained once after the first worker is ready; a restarted worker runs with it (its command line has the
 * option, its /proc/PID/maps names the file, status says classData "app"); a corrupt one is ignored (the worker
 * still becomes ready), deleted and trained again; a new build at reload gets a new archive and the old one is
 * removed; {@code herd reload --train-first} to a newer build trains its archive before the rolling restart and
 * starts every new worker with it; every thread of a training run runs at nice 19 and SCHED_IDLE; a directory
 * others can write is refused with one line; the key turns it off. A Spring Boot 4.1 fat jar
 * (docs/spring-boot4-app, built by the reactor; one worker, for the test's time) is extracted beside its archive,
 * trained and run extracted, its corrupt archive retrained, its extraction replaced for a new build (the Boot 4.1
 * Jetty example copied over the same path) on JDK 25; extracted, trained and used on JDK 17; and run as the fat jar
 * it is when the directory is refused. Their cost on the 2-core machine shared with other builds: 105 s on JDK 25
 * at a load average near 12 (three training runs of 11 to 22 s, five Spring Boot starts), 425 s at 20 to 37; 32 s
 * on JDK 17 (one training run); 7 s for the refusal.
 */
class ClassDataIT {

    private static final Duration START = Duration.ofSeconds(120);
    private static final Path JDK_17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    private static final Path JDK_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    private static final Pattern TRAINED = Pattern.compile("class-data: trained (\\S+) in \\d+ ms");

    @TempDir
    Path dir;

    @Test
    void onJdk25TheAotCacheIsTrainedUsedRetrainedWhenCorruptAndReplacedForANewBuild() throws Exception {
        archiveLife(JDK_25, "-XX:AOTCache=");
    }

    /** With neither key in the config: class data is on by default, in the user's cache directory. */
    @Test
    void onJdk17ADynamicArchiveIsTrainedUsedRetrainedWhenCorruptAndReplacedForANewBuild() throws Exception {
        archiveLife(JDK_17, "-XX:SharedArchiveFile=", true);
    }

    private void archiveLife(Path jdk, String runOption) throws Exception {
        archiveLife(jdk, runOption, false);
    }

    private void archiveLife(Path jdk, String runOption, boolean byDefault) throws Exception {
        assumeTrue(Files.isExecutable(jdk.resolve("bin/java")), jdk + " is not installed");
        AdminFixture admin = new AdminFixture(dir);
        Path xdgCache = dir.resolve("xdg-cache");
        Path cache = byDefault ? xdgCache.resolve("herd/apps") : dir.resolve("cache");
        Path config = configFor(byDefault, cache, build(1));
        try (HerdProcess herd = startHerd(admin, jdk, config, Map.of("XDG_CACHE_HOME", xdgCache.toString()))) {
            admin.awaitReady(2, START);
            assertRunsAtTheLowestPriority(herd);
            Path archive = awaitTrained(herd, 1);
            assertTrue(Files.isRegularFile(archive), archive.toString());
            assertEquals(cache, archive.getParent());

            Set<Long> restarted = restart(admin);
            for (long pid : restarted) {
                assertTrue(List.of(ProcFs.cmdline(pid).split(" ")).contains(runOption + archive),
                        ProcFs.cmdline(pid));
                assertTrue(maps(pid).contains(archive.toString()), "pid " + pid + " maps " + archive);
            }
            // A reload of the same app (its key computed again): the reload's first worker starts with it too.
            for (long pid : replaceAll(admin, 2, "reload")) {
                assertTrue(maps(pid).contains(archive.toString()), "pid " + pid + " maps " + archive
                        + " after a reload of the same app");
            }
            admin.status().path("workers").forEach(worker ->
                    assertEquals("app", worker.path("classData").asText(), worker.toString()));

            // Corrupt: same name, garbage inside (renamed over it: the running workers keep their mapping). The
            // JVM runs without it; herd deletes it and trains again.
            byte[] garbage = new byte[64 * 1024];
            new java.util.Random(7).nextBytes(garbage);
            Path corrupt = Files.write(cache.resolve("corrupt"), garbage);
            Files.move(corrupt, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            restart(admin);
            herd.awaitLine("worker.classData: a worker's JVM ran without " + Pattern.quote(archive.toString()),
                    START);
            assertEquals(archive, awaitTrained(herd, 2));
            assertNotEquals(garbage.length, Files.size(archive));

            // A new build of the app at reload: a new archive, the old one removed.
            configFor(byDefault, cache, build(2));
            Cli.Result reload = admin.cli("reload");
            assertEquals(0, reload.exitCode(), reload.toString());
            Path next = awaitTrained(herd, 3);
            assertNotEquals(archive, next);
            assertTrue(Files.isRegularFile(next), next.toString());
            Poll.until(START, archive + " removed (after its successor's \"trained\" line)",
                    () -> Files.exists(archive) ? Optional.empty() : Optional.of(true));
            for (long pid : restart(admin)) {
                assertTrue(maps(pid).contains(next.toString()), "pid " + pid + " maps " + next);
            }

            // reload --train-first: the new build's archive is trained before the rolling restart, so every new
            // worker starts with it (without it, the reload's first worker would start before any training).
            Set<Long> before = admin.awaitReady(2, START);
            configFor(byDefault, cache, build(3));
            Cli.Result trainFirst = admin.cli("reload", "--train-first");
            assertEquals(0, trainFirst.exitCode(), trainFirst.toString());
            Path third = awaitTrained(herd, 4);
            assertNotEquals(next, third);
            Set<Long> after = admin.awaitReady(2, START);
            assertTrue(after.stream().noneMatch(before::contains), after + " after " + before);
            for (long pid : after) {
                assertTrue(List.of(ProcFs.cmdline(pid).split(" ")).contains(runOption + third), ProcFs.cmdline(pid));
            }
            assertTrue(herd.output().indexOf("class-data: trained " + third)
                    < herd.output().indexOf("reload: class data ready; replacing workers"), herd.output());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
        assertNoTemporaryFiles(cache);
    }

    @Test
    void onJdk25ASpringBootFatJarIsExtractedTrainedRunExtractedRetrainedWhenCorruptAndReplacedForANewBuild()
            throws Exception {
        Path jar = Files.copy(springBootJar("spring-boot4-app"), dir.resolve("app.jar"));
        AdminFixture admin = new AdminFixture(dir);
        Path cache = dir.resolve("cache");
        Path config = writeJarConfig(cache, jar);
        try (HerdProcess herd = startHerd(admin, JDK_25, config)) {
            admin.awaitReady(1, START);
            Path archive = awaitTrained(herd, 1);
            Path extraction = extractionOf(archive);
            assertTrue(Files.isRegularFile(extraction.resolve("app.jar")), extraction + " holds app.jar");
            assertRunsExtracted(restart(admin, 1), jar, extraction, "-XX:AOTCache=" + archive);
            admin.status().path("workers").forEach(worker ->
                    assertEquals("app", worker.path("classData").asText(), worker.toString()));

            corrupt(archive, cache);
            restart(admin, 1);
            herd.awaitLine("worker.classData: a worker's JVM ran without " + Pattern.quote(archive.toString()),
                    START);
            assertEquals(archive, awaitTrained(herd, 2));

            // A new build at the same path: a new extraction and archive; the old ones go once no worker uses them.
            Files.copy(springBootJar("spring-boot4-jetty-app"), jar, StandardCopyOption.REPLACE_EXISTING);
            Cli.Result reload = admin.cli("reload");
            assertEquals(0, reload.exitCode(), reload.toString());
            Path next = awaitTrained(herd, 3);
            assertNotEquals(archive, next);
            Path nextExtraction = extractionOf(next);
            // One pass over the directory removes both, one after the other (a large extraction takes a while).
            Poll.until(START, extraction + " and " + archive + " removed:\n" + herd.output(),
                    () -> Files.exists(extraction) || Files.exists(archive) ? Optional.empty() : Optional.of(true));
            assertRunsExtracted(restart(admin, 1), jar, nextExtraction, "-XX:AOTCache=" + next);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
        assertEquals(2, listNames(cache).size(), "the archive and its extraction: " + listNames(cache));
    }

    @Test
    void onJdk17ASpringBootFatJarIsExtractedTrainedAndRunExtracted() throws Exception {
        assumeTrue(Files.isExecutable(JDK_17.resolve("bin/java")), JDK_17 + " is not installed");
        Path jar = Files.copy(springBootJar("spring-boot4-app"), dir.resolve("app.jar"));
        AdminFixture admin = new AdminFixture(dir);
        Path cache = dir.resolve("cache");
        try (HerdProcess herd = startHerd(admin, JDK_17, writeJarConfig(cache, jar))) {
            admin.awaitReady(1, START);
            Path archive = awaitTrained(herd, 1);
            assertRunsExtracted(restart(admin, 1), jar, extractionOf(archive), "-XX:SharedArchiveFile=" + archive);
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
    }

    @Test
    void aSpringBootFatJarRunsAsItIsWhenTheDirectoryIsRefused() throws Exception {
        Path jar = Files.copy(springBootJar("spring-boot4-app"), dir.resolve("app.jar"));
        AdminFixture admin = new AdminFixture(dir);
        Path cache = Files.createDirectories(dir.resolve("shared"));
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (HerdProcess herd = startHerd(admin, JDK_25, writeJarConfig(cache, jar))) {
            for (long pid : admin.awaitReady(1, START)) {
                assertWithoutClassData(pid);
                assertTrue(ProcFs.cmdline(pid).contains("-jar " + jar), ProcFs.cmdline(pid));
            }
            assertTrue(herd.hasLine("worker.classData: not using " + Pattern.quote(cache.toString())), herd.output());
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
        assertEquals(List.of(), listNames(cache), "nothing written to " + cache);
    }

    /** The worker runs the extraction's app.jar with the archive, and its command line names the user's jar. */
    private static void assertRunsExtracted(Set<Long> pids, Path jar, Path extraction, String archiveOption)
            throws Exception {
        for (long pid : pids) {
            List<String> words = List.of(ProcFs.cmdline(pid).split(" "));
            assertTrue(words.contains(archiveOption), words.toString());
            assertTrue(words.contains("-Dherd.worker.jar=" + jar), words.toString());
            assertEquals(extraction.resolve("app.jar").toString(), words.get(words.indexOf("-jar") + 1));
            assertTrue(maps(pid).contains(archiveOption.substring(archiveOption.indexOf('=') + 1)),
                    "pid " + pid + " maps its archive");
        }
    }

    /** An extraction sits beside its archive, by the same name: app-APP-KEY.d beside app-APP-KEY.aot. */
    private static Path extractionOf(Path archive) {
        String name = archive.getFileName().toString();
        Path extraction = archive.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".d");
        assertTrue(Files.isDirectory(extraction), extraction + " beside " + archive);
        return extraction;
    }

    /** Garbage under the archive's name (renamed over it: the running workers keep their mapping). */
    private static void corrupt(Path archive, Path cache) throws Exception {
        byte[] garbage = new byte[64 * 1024];
        new java.util.Random(7).nextBytes(garbage);
        Path corrupt = Files.write(cache.resolve("corrupt"), garbage);
        Files.move(corrupt, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path springBootJar(String app) {
        Path jar = HerdProcess.HOME.resolve("docs/" + app + "/target/herd-" + app + "-0.1.0.jar");
        assertTrue(Files.exists(jar), jar + " is built by the reactor before this module");
        return jar;
    }

    private Path writeJarConfig(Path cache, Path jar) throws Exception {
        return Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"readyTimeout\": \"3m\", "
                + "\"classDataDirectory\": \"" + cache + "\", \"worker\": {\"jar\": \"" + jar + "\", "
                + "\"classData\": true}}");
    }

    private static List<String> listNames(Path directory) throws Exception {
        try (var entries = Files.list(directory)) {
            return entries.map(entry -> entry.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aDirectoryOthersCanWriteIsRefusedWithOneLineAndWorkersRunWithout() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path cache = Files.createDirectories(dir.resolve("shared"));
        Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path config = writeConfig(true, cache, build(1));
        try (HerdProcess herd = startHerd(admin, JDK_25, config)) {
            Set<Long> pids = admin.awaitReady(2, START);
            List<String> refusals = herd.lines().stream()
                    .filter(line -> line.contains("worker.classData: not using " + cache)).toList();
            assertEquals(1, refusals.size(), herd.output());
            assertTrue(refusals.get(0).contains("its group or others may write to it"), refusals.get(0));
            for (long pid : pids) {
                assertWithoutClassData(pid);
            }
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            try (var entries = Files.list(cache)) {
                assertEquals(0, entries.count(), "nothing written to " + cache);
            }
        }
    }

    @Test
    void theKeyTurnsItOff() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path cache = dir.resolve("cache");
        Path config = writeConfig(false, cache, build(1));
        try (HerdProcess herd = startHerd(admin, JDK_25, config)) {
            admin.awaitReady(2, START);
            for (long pid : restart(admin)) {
                assertWithoutClassData(pid);
            }
            // The directory is made when a configuration with class data is applied, before any worker starts.
            assertFalse(Files.exists(cache), cache + " should not be made");
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            assertTrue(herd.lines().stream().noneMatch(line -> line.contains("class-data")), herd.output());
        }
    }

    /**
     * A classpath directory: both JDKs refuse to write an archive then, so herd does not train, says why in one
     * info line, and the workers run as they would without class data (on by default, it must cost them nothing).
     */
    @Test
    void aClasspathDirectoryIsNotTrainedAndHerdSaysWhyOnce() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Files.writeString(classes.resolve("build.txt"), "build 1\n");
        Path xdgCache = dir.resolve("xdg-cache");
        Path config = writeDefaultConfig(classes, build(1));
        try (HerdProcess herd = startHerd(admin, JDK_17, config, Map.of("XDG_CACHE_HOME", xdgCache.toString()))) {
            admin.awaitReady(2, START);
            String why = "INFO .*worker.classData: the classpath holds the directory "
                    + Pattern.quote(classes.toString()) + ", and the JDK archives classes from jars only";
            herd.awaitLine(why, START);
            for (long pid : restart(admin)) {
                assertWithoutClassData(pid);
            }
            assertEquals(1, herd.lines().stream().filter(line -> Pattern.compile(why).matcher(line).find()).count(),
                    herd.output());
            assertFalse(herd.hasLine("class-data \\(pid"), "no training run: " + herd.output());
            assertFalse(Files.exists(xdgCache.resolve("herd")), "nothing written to the cache");
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
    }

    /**
     * An upgrade does not wait for a training run (an optimisation): the hand-over ends it, and the new herd trains
     * again once its first worker is ready. Before, the upgrade was refused while the run lasted.
     */
    @Test
    void anUpgradeEndsATrainingRunAndTheNewHerdTrainsAgain() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path jar = TestJars.of(dir.resolve("slow-training-app.jar"), SlowTrainingApp.class, Map.of());
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"worker\": {\"mainClass\": \""
                + SlowTrainingApp.class.getName() + "\", \"args\": [\"echo\"], \"jvmOptions\": "
                + "[\"-Dherd.test.trainingDelay=600\"], \"classpath\": [\"" + jar + "\"]}}");
        try (HerdProcess herd = startHerd(admin, JDK_17, config,
                Map.of("XDG_CACHE_HOME", dir.resolve("xdg-cache").toString()))) {
            admin.awaitReady(2, START);
            long first = Long.parseLong(herd.awaitLine("class-data \\(pid (\\d+)\\): training", START).group(1));
            Cli.Result upgrade = Cli.run(START, HerdProcess.LAUNCHER.toString(), "upgrade", "--admin-socket",
                    admin.socket().toString());
            assertEquals(0, upgrade.exitCode(), upgrade + herd.output());
            herd.awaitLine("class-data \\(pid " + first + "\\): training ended: herd is being upgraded", START);
            assertTrue(ProcFs.exited(first), "the training run " + first + " was reaped before the exec");
            long second = Long.parseLong(herd.awaitLine("class-data \\(pid (?!" + first + "\\))(\\d+)\\): training",
                    START).group(1));
            assertNotEquals(first, second);
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
    }

    private static void assertWithoutClassData(long pid) throws Exception {
        String cmdline = ProcFs.cmdline(pid);
        assertFalse(cmdline.contains("-XX:AOTCache=") || cmdline.contains("-XX:SharedArchiveFile="), cmdline);
        assertFalse(maps(pid).contains("/app-"), "pid " + pid + " maps an app archive");
    }

    /** A rolling restart of every worker; the new workers' pids once both are ready. */
    private static Set<Long> restart(AdminFixture admin) {
        return restart(admin, 2);
    }

    private static Set<Long> restart(AdminFixture admin, int workers) {
        return replaceAll(admin, workers, "restart");
    }

    /** {@code herd COMMAND} (restart, reload) replaces every worker: the new workers' pids once all are ready. */
    private static Set<Long> replaceAll(AdminFixture admin, int workers, String command) {
        Set<Long> before = admin.awaitReady(workers, START);
        Cli.Result restart = admin.cli(command);
        assertEquals(0, restart.exitCode(), restart.toString());
        Set<Long> after = Poll.until(START, "new workers after " + before, () -> admin.tryStatus()
                .map(AdminFixture::readyPids)
                .filter(ready -> ready.size() == workers && ready.stream().noneMatch(before::contains)));
        assertEquals(after, admin.awaitReady(workers, START), "the old workers gone, the new ones stay");
        assertTrue(after.stream().noneMatch(before::contains), after + " after " + before);
        return after;
    }

    /**
     * The training run, every thread of it, runs at nice 19 and SCHED_IDLE (policy 5): it must never slow a
     * worker's start or serving. Read while it runs (it lasts seconds: a JVM's start and its archive's dump).
     */
    private static void assertRunsAtTheLowestPriority(HerdProcess herd) {
        long pid = Long.parseLong(herd.awaitLine("class-data \\(pid (\\d+)\\): training", START).group(1));
        Map<Long, String> threads = ProcFs.threadsNiceAndPolicy(pid);
        assertFalse(threads.isEmpty(), "the training run " + pid + " has threads to read");
        threads.forEach((thread, niceAndPolicy) ->
                assertEquals("19 5", niceAndPolicy, "thread " + thread + " of the training run " + pid));
    }

    /** The archive named by the {@code nth} "trained" line of the master's log, once it is there. */
    private static Path awaitTrained(HerdProcess herd, int nth) {
        return Poll.until(START, "training number " + nth + " in:\n" + herd.output(), () -> {
            List<Path> trained = new ArrayList<>();
            for (String line : herd.lines()) {
                Matcher matcher = TRAINED.matcher(line);
                if (matcher.find()) {
                    trained.add(Path.of(matcher.group(1)));
                }
            }
            return trained.size() >= nth ? Optional.of(trained.get(nth - 1)) : Optional.empty();
        });
    }

    private static String maps(long pid) throws Exception {
        return Files.readString(Path.of("/proc", Long.toString(pid), "maps"));
    }

    private static void assertNoTemporaryFiles(Path cache) throws Exception {
        try (var entries = Files.list(cache)) {
            List<String> names = entries.map(entry -> entry.getFileName().toString()).toList();
            assertTrue(names.stream().noneMatch(name -> name.startsWith(".")), names.toString());
            assertEquals(1, names.size(), names.toString());
        }
    }

    /** The app's "build": a jar on the classpath whose content differs from one build to the next. */
    private Path build(int number) throws Exception {
        Path jar = dir.resolve("app.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (OutputStream file = Files.newOutputStream(jar);
             JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.putNextEntry(new ZipEntry("build.txt"));
            out.write(("build " + number + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }

    private Path writeConfig(boolean classData, Path cache, Path jar) throws Exception {
        return Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"classDataDirectory\": \"" + cache
                + "\", \"worker\": {\"mainClass\": \"dev.herd.worker.app.WorkerMain\", \"args\": [\"echo\"], "
                + "\"classpath\": [\"" + jar + "\"], \"classData\": " + classData + "}}");
    }

    /** With class data by default (neither key), or asked for in {@code cache}. */
    private Path configFor(boolean byDefault, Path cache, Path jar) throws Exception {
        return byDefault ? writeDefaultConfig(jar) : writeConfig(true, cache, jar);
    }

    /** The same app with neither class-data key: what a user who never heard of class data writes. */
    private Path writeDefaultConfig(Path... classpath) throws Exception {
        String entries = String.join("\", \"", java.util.Arrays.stream(classpath).map(Path::toString).toList());
        return Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"worker\": {\"mainClass\": "
                + "\"dev.herd.worker.app.WorkerMain\", \"args\": [\"echo\"], \"classpath\": [\"" + entries + "\"]}}");
    }

    /** A master on {@code jdk}, whose java also runs the workers. */
    private static HerdProcess startHerd(AdminFixture admin, Path jdk, Path config) {
        return startHerd(admin, jdk, config, Map.of());
    }

    private static HerdProcess startHerd(AdminFixture admin, Path jdk, Path config, Map<String, String> more) {
        Map<String, String> environment = new java.util.HashMap<>(more);
        environment.put("JAVA_HOME", jdk.toString());
        return HerdProcess.start(List.of("run", "--listen", "127.0.0.1:0", "--admin-socket",
                admin.socket().toString(), "-c", config.toString()), environment);
    }
}
