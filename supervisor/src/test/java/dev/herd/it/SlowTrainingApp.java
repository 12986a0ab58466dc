package dev.herd.it;

import java.lang.management.ManagementFactory;

/**
 * herd's echo app, except in a class-data training run (its JVM writes an archive at exit), which it holds back
 * for {@code -Dherd.test.trainingDelay=SECONDS} before it starts: a training run that is surely still going when
 * a test acts (ClassDataIT's upgrade). Run from a jar, as class data needs.
 */
public final class SlowTrainingApp {

    private SlowTrainingApp() {
    }

    public static void main(String[] args) throws Exception {
        boolean training = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(option -> option.startsWith("-XX:ArchiveClassesAtExit=")
                        || option.startsWith("-XX:AOTCacheOutput="));
        if (training) {
            Thread.sleep(Long.getLong("herd.test.trainingDelay", 0) * 1000);
        }
        // herd's worker module is on a mainClass worker's classpath, not on this test's compile classpath.
        Class.forName("dev.herd.worker.app.WorkerMain").getMethod("main", String[].class).invoke(null,
                (Object) args);
    }
}
