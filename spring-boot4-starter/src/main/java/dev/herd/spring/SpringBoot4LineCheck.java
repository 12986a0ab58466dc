package dev.herd.spring;

/** herd-spring-boot4-starter's {@link SpringBootLineCheck}: Spring Boot 4.0 and 4.1. */
public final class SpringBoot4LineCheck extends SpringBootLineCheck {

    public SpringBoot4LineCheck() {
        super(HerdStarter.SPRING_BOOT_4);
    }
}
