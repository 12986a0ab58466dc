package dev.herd.it.apps;

import java.io.FileNotFoundException;

/**
 * A worker that cannot boot, in the ways BootErrorsIT checks that {@code cannot boot:} quotes the root cause of:
 * {@code nested} dies of an exception with nested causes; {@code spring-like} first logs many lines as Spring Boot
 * does (warnings, an ERROR line, its condition-evaluation hint) and then dies the same way; {@code starter-error}
 * prints a line as herd's Spring Boot starter does when it refuses a Spring Boot version, then dies of an exception.
 */
public final class FailingApp {

    private static final String ROOT = "/etc/app/app.conf (No such file or directory)";

    private FailingApp() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "nested" -> throw nested();
            case "spring-like" -> {
                log("WARN", "o.s.d.r.c.RepositoryConfigurationDelegate", "Spring Data: could not safely "
                        + "identify store assignment for repository candidate interface");
                for (int i = 0; i < 2000; i++) {
                    log("INFO", "o.s.b.w.e.tomcat.TomcatWebServer", "bean " + i + " initialised");
                }
                log("ERROR", "o.s.b.web.embedded.tomcat.TomcatStarter", "Error starting Tomcat context. Exception: "
                        + "org.springframework.beans.factory.BeanCreationException");
                System.out.println();
                System.out.println("Error starting ApplicationContext. To display the condition evaluation report "
                        + "re-run your application with 'debug' enabled.");
                log("ERROR", "o.s.boot.SpringApplication", "Application run failed");
                nested().printStackTrace(System.out); // logback writes the trace after its line, on stdout
                System.exit(1);
            }
            case "starter-error" -> {
                System.err.println("Error: herd-spring-boot-starter supports Spring Boot 3.5, 4.0 and 4.1; this app "
                        + "runs Spring Boot 9.9.9");
                throw new IllegalStateException("Application run failed", nested());
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static RuntimeException nested() {
        return new IllegalStateException("Failed to start bean 'webServerStartStop'",
                new RuntimeException("Unable to start embedded Tomcat\nwhose message has two lines",
                        new FileNotFoundException(ROOT)));
    }

    private static void log(String level, String logger, String message) {
        System.out.printf("2026-12-07T03:33:21.123Z %5s 4242 --- [demo] [           main] %-40s : %s%n", level,
                logger, message);
    }
}
