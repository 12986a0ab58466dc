package dev.herd.spring;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * herd's Spring Boot starters, one per Spring Boot line, and the Boot versions each supports: Boot 4 moved the web
 * server classes the starter builds on, so one jar cannot serve both lines. Each starter knows the other, to name it
 * when it finds itself in an app of the other line ({@link SpringBootLineCheck}).
 */
enum HerdStarter {

    SPRING_BOOT_3("herd-spring-boot-starter", List.of("3.5"),
            "org.springframework.boot.web.context.WebServerInitializedEvent"),
    SPRING_BOOT_4("herd-spring-boot4-starter", List.of("4.0", "4.1"),
            "org.springframework.boot.web.server.context.WebServerInitializedEvent");

    private final String artifactId;
    private final List<String> lines;
    /** A class of this line that the starter needs and the other line does not have: the line of an unknown version. */
    private final String lineClass;

    HerdStarter(String artifactId, List<String> lines, String lineClass) {
        this.artifactId = artifactId;
        this.lines = lines;
        this.lineClass = lineClass;
    }

    String artifactId() {
        return artifactId;
    }

    String lineClass() {
        return lineClass;
    }

    /** "3.5", "4.0 and 4.1". */
    String supportedLines() {
        return lines.size() == 1 ? lines.get(0)
                : String.join(", ", lines.subList(0, lines.size() - 1)) + " and " + lines.get(lines.size() - 1);
    }

    /** Whether this starter supports Spring Boot {@code version} ("4.1.2", "4.0.0-RC1"): its major.minor line. */
    boolean supports(String version) {
        return lines.stream().anyMatch(line -> version.equals(line) || version.startsWith(line + "."));
    }

    /** The starter for Spring Boot {@code version}, if herd has one. */
    static Optional<HerdStarter> forVersion(String version) {
        return Arrays.stream(values()).filter(starter -> starter.supports(version)).findFirst();
    }
}
