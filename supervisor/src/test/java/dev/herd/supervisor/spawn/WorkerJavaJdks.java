package dev.herd.supervisor.spawn;

import java.nio.file.Path;

/** The JDKs the worker.java tests run workers on (tests that need one assume it is installed). */
final class WorkerJavaJdks {

    static final Path JDK_17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    static final Path JDK_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    private WorkerJavaJdks() {
    }
}
