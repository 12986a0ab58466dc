package dev.herd.example.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * An ordinary Spring Boot web app: nothing in it knows about herd. The herd-spring-boot-starter dependency in its
 * pom is all it takes to run as herd's {@code worker.jar}; outside herd it serves on {@code server.port} as usual.
 */
@SpringBootApplication
@RestController
public class HelloApplication {

    private final ApplicationContext context;

    HelloApplication(ApplicationContext context) {
        this.context = context;
    }

    public static void main(String[] args) {
        SpringApplication.run(HelloApplication.class, args);
    }

    @GetMapping("/")
    String hello() {
        return "hello from spring, pid " + ProcessHandle.current().pid() + "\n";
    }

    /** A request in flight on purpose, to watch a drain finish it. */
    @GetMapping("/delay")
    String delay(@RequestParam(name = "ms", defaultValue = "0") long ms) throws InterruptedException {
        Thread.sleep(Math.max(0, Math.min(ms, 10_000)));
        return hello();
    }

    /** The app declares itself broken, as a health check of its own would (Spring's liveness state). */
    @PostMapping("/broken")
    String broken() {
        AvailabilityChangeEvent.publish(context, LivenessState.BROKEN);
        return "liveness BROKEN\n";
    }
}
