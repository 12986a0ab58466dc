package dev.herd.example.spring;

import java.time.Duration;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * An ordinary Spring Boot WebFlux app on Reactor Netty: nothing in it knows about herd. The herd-spring-boot-starter
 * dependency in its pom is all it takes to run as herd's {@code worker.jar}; outside herd it serves on
 * {@code server.port} as usual.
 */
@SpringBootApplication
@RestController
public class HelloApplication {

    public static void main(String[] args) {
        SpringApplication.run(HelloApplication.class, args);
    }

    @GetMapping("/")
    Mono<String> hello() {
        return Mono.just("hello from spring webflux, pid " + ProcessHandle.current().pid() + "\n");
    }

    /** A request in flight on purpose, to watch a drain finish it. */
    @GetMapping("/delay")
    Mono<String> delay(@RequestParam(name = "ms", defaultValue = "0") long ms) {
        return hello().delayElement(Duration.ofMillis(Math.max(0, Math.min(ms, 10_000))));
    }
}
