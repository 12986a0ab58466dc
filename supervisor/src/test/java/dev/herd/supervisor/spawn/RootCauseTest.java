package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.log.Log;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which line of what a worker printed says why it could not boot (the text of {@code cannot boot:}). */
class RootCauseTest {

    private static final String STDOUT = "stdout";
    private static final String STDERR = "stderr";

    private final RootCause cause = new RootCause("worker.java=/usr/lib/jvm/java-17-openjdk-amd64/bin/java");

    /** Lines on stderr, unmarked (WARN), as a JVM writes them. */
    private void stderr(String text) {
        text.lines().forEach(line -> cause.accept(STDERR, line, level(line, Log.Level.WARN)));
    }

    private void stdout(String text) {
        text.lines().forEach(line -> cause.accept(STDOUT, line, level(line, Log.Level.INFO)));
    }

    /** The level herd's relay gives these lines: the one a framework's line names, else the stream's. */
    private static Log.Level level(String line, Log.Level unmarked) {
        String start = line.substring(0, Math.min(48, line.length()));
        return start.contains(" ERROR ") ? Log.Level.ERROR : start.contains(" WARN ") ? Log.Level.WARN : unmarked;
    }

    @Test
    void anUncaughtExceptionIsReportedByTheLastCauseOfItsTrace() {
        stderr("""
                Exception in thread "main" java.lang.IllegalStateException: outer
                \tat app.Main.main(Main.java:10)
                Caused by: java.lang.RuntimeException: middle
                \tat app.Main.start(Main.java:20)
                \t... 1 more
                Caused by: java.io.FileNotFoundException: /etc/app.conf (No such file or directory)
                \tat java.base/java.io.FileInputStream.open0(Native Method)
                \t... 2 more
                """);

        assertEquals(Optional.of("java.io.FileNotFoundException: /etc/app.conf (No such file or directory)"),
                cause.line());
    }

    @Test
    void aTraceWithoutCausesIsReportedByItsFirstLineWithoutTheThreadName() {
        stderr("""
                Exception in thread "main" java.lang.IllegalStateException: no config
                \tat app.Main.main(Main.java:10)
                """);

        assertEquals(Optional.of("java.lang.IllegalStateException: no config"), cause.line());
    }

    @Test
    void aCauseWhoseMessageHasSeveralLinesKeepsItsFirstAndStartsNoNewTrace() {
        stderr("""
                java.lang.IllegalStateException: outer
                \tat app.Main.main(Main.java:10)
                Caused by: app.BindFailure: port 8080 in use
                while starting the connector
                \tat app.Main.start(Main.java:20)
                """);

        assertEquals(Optional.of("app.BindFailure: port 8080 in use"), cause.line());
    }

    @Test
    void anErrorHerdsOwnCodeInTheWorkerWroteComesBeforeTheTraceThatFollowsIt() {
        cause.accept(this, "this app also binds port 8081 itself (each worker binds it: move or disable it)",
                Log.Level.ERROR, true);
        cause.accept(this, "Exception in thread \"main\" java.net.BindException: Address already in use",
                Log.Level.ERROR, false);
        cause.accept(this, "\tat java.base/sun.nio.ch.Net.bind0(Native Method)", Log.Level.ERROR, false);

        assertEquals(Optional.of("this app also binds port 8081 itself (each worker binds it: move or disable it)"),
                cause.line());
    }

    @Test
    void suppressedExceptionsAndTheirCausesAreNotTheRootCause() {
        stderr("""
                java.lang.IllegalStateException: outer
                \tat app.Main.main(Main.java:10)
                \tSuppressed: java.io.IOException: close failed
                \t\tat app.Main.close(Main.java:30)
                \tCaused by: java.io.IOException: disk gone
                Caused by: java.net.BindException: Address already in use
                \tat app.Main.bind(Main.java:40)
                """);

        assertEquals(Optional.of("java.net.BindException: Address already in use"), cause.line());
    }

    /** Spring Boot logs much (warnings, an ERROR line, its condition-report hint) before its trace. */
    @Test
    void aFrameworkThatLogsManyLinesBeforeItsTraceIsReportedByTheTracesRootCause() {
        stdout("2026-12-07T03:33:21.123Z  WARN 42 --- [main] o.s.d.r.c.Repository : could not identify store");
        for (int i = 0; i < 20_000; i++) {
            stdout("2026-12-07T03:33:21.123Z  INFO 42 --- [main] o.s.Bean : bean " + i + " " + "x".repeat(200));
        }
        stdout("""
                2026-12-07T03:33:21.123Z ERROR 42 --- [main] o.s.b.TomcatStarter : Error starting Tomcat context.
                Error starting ApplicationContext. To display the condition evaluation report re-run your application.
                2026-12-07T03:33:21.123Z ERROR 42 --- [main] o.s.boot.SpringApplication : Application run failed
                org.springframework.context.ApplicationContextException: Unable to start web server
                \tat org.springframework.boot.SpringApplication.run(SpringApplication.java:1)
                Caused by: java.lang.ClassNotFoundException: org.springframework.boot.web.embedded.tomcat.X
                \tat java.base/jdk.internal.loader.BuiltinClassLoader.loadClass(BuiltinClassLoader.java:641)
                \t... 12 common frames omitted
                """);

        assertEquals(Optional.of("java.lang.ClassNotFoundException: org.springframework.boot.web.embedded.tomcat.X"),
                cause.line());
    }

    @Test
    void indentedLinesThatAreNoFramesStartNoTrace() {
        stdout("""
                  .   ____          _            __ _ _
                 /\\\\ / ___'_ __ _ _(_)_ __  __ _ \\ \\ \\ \\
                 =========|_|==============|___/=/_/_/_/
                """);
        stderr("bind: address already in use");

        assertEquals(Optional.of("bind: address already in use"), cause.line());
    }

    @Test
    void anErrorLoggedAfterATraceIsNewerThanIt() {
        stderr("""
                java.lang.IllegalStateException: a warning's trace, handled
                \tat app.Main.main(Main.java:10)
                """);
        stdout("2026-12-07T03:33:21.123Z ERROR 42 --- [main] app.Main : cannot start: port 8080 in use");

        assertTrue(cause.line().orElseThrow().endsWith("cannot start: port 8080 in use"), cause.line().toString());
    }

    @Test
    void theLaunchersErrorLineWinsOverTheCauseItPrintsAfterIt() {
        stderr("""
                Error: Could not find or load main class app.Main
                Caused by: java.lang.ClassNotFoundException: app.Main
                """);

        assertEquals(Optional.of("Error: Could not find or load main class app.Main"), cause.line());
    }

    @Test
    void aLineOfTheLaunchersShapeWinsOverATraceThatFollowsIt() {
        stderr("Error: herd-spring-boot-starter supports Spring Boot 3.5, 4.0 and 4.1; this app runs 4.2.0");
        stderr("""
                Exception in thread "main" java.lang.IllegalStateException: Application run failed
                \tat app.Main.main(Main.java:10)
                Caused by: java.lang.NoSuchMethodError: 'void org.springframework.X.y()'
                \t... 1 more
                """);

        assertEquals(Optional.of("Error: herd-spring-boot-starter supports Spring Boot 3.5, 4.0 and 4.1; this app "
                + "runs 4.2.0"), cause.line());
    }

    @Test
    void anErrorLineLoggedByAFrameworkIsQuotedFromItsErrorWord() {
        stdout("2026-12-07T03:33:21.123Z ERROR 42 --- [main] d.h.s.HerdStarter : Error: herd's starter refuses this");

        assertEquals(Optional.of("Error: herd's starter refuses this"), cause.line());
    }

    @Test
    void anUnknownVmOptionIsTheJvmsOwnLineNotItsGenericErrorLines() {
        stderr("""
                Unrecognized VM option 'NoSuchHerdOption'
                Error: Could not create the Java Virtual Machine.
                Error: A fatal exception has occurred. Program will exit.
                """);

        assertEquals(Optional.of("Unrecognized VM option 'NoSuchHerdOption'"), cause.line());
    }

    @Test
    void aClassBuiltForANewerJavaIsSaidAsSuchWithTheWorkersJvm() {
        stderr("""
                Error: LinkageError occurred while loading main class app.Main
                \tjava.lang.UnsupportedClassVersionError: app/Main has been compiled by a more recent version of the \
                Java Runtime (class file version 69.0), this version of the Java Runtime only recognizes class file \
                versions up to 61.0
                """);

        assertEquals(Optional.of("UnsupportedClassVersionError: app/Main is built for Java 25 (class file 69), this "
                + "worker runs Java 17 (worker.java=/usr/lib/jvm/java-17-openjdk-amd64/bin/java)"), cause.line());
    }

    @Test
    void springBootsFailureAnalysisIsQuotedByItsDescription() {
        stdout("""
                2026-12-07T03:33:21.123Z ERROR 42 --- [main] o.s.b.d.LoggingFailureAnalysisReporter :\s
                ***************************
                APPLICATION FAILED TO START
                ***************************
                Description:
                Web server failed to start. Port 8080 was already in use.
                Action:
                Identify and stop the process that's listening on port 8080 or configure this application to listen \
                on another port.
                """);

        assertEquals(Optional.of("Web server failed to start. Port 8080 was already in use."), cause.line());
    }

    @Test
    void withoutATraceTheLastErrorLineWinsElseTheFirstWarning() {
        stderr("WARNING: A terminally deprecated method in sun.misc.Unsafe has been called");
        stderr("usage: server PORT");
        assertEquals(Optional.of("WARNING: A terminally deprecated method in sun.misc.Unsafe has been called"),
                cause.line());

        stdout("2026-12-07T03:33:21.123Z ERROR 42 --- [main] app : first failure");
        stdout("2026-12-07T03:33:21.123Z ERROR 42 --- [main] app : last failure");
        assertTrue(cause.line().orElseThrow().endsWith("last failure"), cause.line().toString());
    }

    @Test
    void aLongLineIsCut() {
        stderr("Error: " + "x".repeat(100_000));

        assertEquals(RootCause.MAX_CHARS + 3, cause.line().orElseThrow().length());
    }

    @Test
    void nothingPrintedNothingFound() {
        stdout("2026-12-07T03:33:21.123Z  INFO 42 --- [main] app : started");

        assertEquals(Optional.empty(), cause.line());
    }
}
