package dev.herd.spring;

/** herd-spring-boot-starter's {@link SpringBootLineCheck}: Spring Boot 3.5. */
public final class SpringBoot3LineCheck extends SpringBootLineCheck {

    public SpringBoot3LineCheck() {
        super(HerdStarter.SPRING_BOOT_3);
    }
}
