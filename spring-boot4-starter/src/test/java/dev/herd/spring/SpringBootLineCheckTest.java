package dev.herd.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one line a herd starter stops a worker with when the app's Spring Boot is not its line (both starters). */
class SpringBootLineCheckTest {

    @Test
    void eachStarterPassesTheVersionsOfItsLine() {
        for (String version : new String[] {"4.0.0", "4.0.7", "4.1.2", "4.1.0-RC1"}) {
            assertEquals(Optional.empty(), SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_4, version,
                    true), version);
        }
        assertEquals(Optional.empty(), SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_3, "3.5.7", true));
    }

    @Test
    void theBoot3StarterInABoot4AppNamesTheBoot4Starter() {
        assertEquals(Optional.of("Error: herd-spring-boot-starter supports Spring Boot 3.5; this app runs Spring Boot"
                        + " 4.1.2: use herd-spring-boot4-starter instead"),
                SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_3, "4.1.2", false));
    }

    @Test
    void theBoot4StarterInABoot35AppNamesTheBoot3Starter() {
        assertEquals(Optional.of("Error: herd-spring-boot4-starter supports Spring Boot 4.0 and 4.1; this app runs"
                        + " Spring Boot 3.5.7: use herd-spring-boot-starter instead"),
                SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_4, "3.5.7", false));
    }

    @Test
    void aLineNoStarterSupportsIsSaidToBeSo() {
        assertEquals(Optional.of("Error: herd-spring-boot4-starter supports Spring Boot 4.0 and 4.1; this app runs"
                        + " Spring Boot 4.2.0: no herd starter supports it (herd-spring-boot-starter for 3.5)"),
                SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_4, "4.2.0", true));
        assertEquals(Optional.of("Error: herd-spring-boot-starter supports Spring Boot 3.5; this app runs Spring Boot"
                        + " 3.4.1: no herd starter supports it (herd-spring-boot4-starter for 4.0 and 4.1)"),
                SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_3, "3.4.1", true));
        assertEquals(Optional.of("Error: herd-spring-boot4-starter supports Spring Boot 4.0 and 4.1; this app runs"
                        + " Spring Boot 4.10.0: no herd starter supports it (herd-spring-boot-starter for 3.5)"),
                SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_4, "4.10.0", true), "4.1 is not 4.10");
    }

    @Test
    void anUnknownVersionIsJudgedByTheClassesOfTheStartersLine() {
        assertEquals(Optional.empty(), SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_4, null, true));
        assertEquals(Optional.of("Error: herd-spring-boot4-starter supports Spring Boot 4.0 and 4.1; this app's Spring"
                        + " Boot (its version unknown) is another line: use the herd starter of its line"
                        + " (herd-spring-boot-starter for 3.5)"),
                SpringBootLineCheck.unsupportedLine(HerdStarter.SPRING_BOOT_4, null, false));
    }
}
