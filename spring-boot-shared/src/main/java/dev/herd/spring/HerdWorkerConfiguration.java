package dev.herd.spring;

import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * The beans of a herd worker that do not depend on the Spring Boot line: the {@link HerdWorker}, its drain state and
 * the request filter (servlet or reactive). Each starter's auto-configuration imports it, under herd only, and adds
 * what names its line's server classes: the server customizers, the probes, and the listener that tells the worker
 * of its web server.
 */
@Configuration(proxyBeanMethods = false)
class HerdWorkerConfiguration {

    @Bean
    DrainState herdDrainState() {
        return new DrainState();
    }

    @Bean
    HerdWorker herdWorker(ApplicationContext context, List<HerdServerProbe> probes, DrainState drainState) {
        return new HerdWorker(context, probes, drainState);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    static class ServletConfiguration {

        @Bean
        FilterRegistrationBean<HerdServletFilter> herdServletFilter(DrainState drainState) {
            FilterRegistrationBean<HerdServletFilter> registration =
                    new FilterRegistrationBean<>(new HerdServletFilter(drainState));
            registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
            return registration;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    static class ReactiveConfiguration {

        @Bean
        @Order(Ordered.HIGHEST_PRECEDENCE)
        HerdWebFilter herdWebFilter(DrainState drainState) {
            return new HerdWebFilter(drainState);
        }
    }
}
