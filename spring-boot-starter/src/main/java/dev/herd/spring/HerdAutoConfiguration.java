package dev.herd.spring;

import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.embedded.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.web.embedded.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.embedded.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Runs a Spring Boot web app as a herd worker when herd started it ({@code HERD_MASTER_PID} is set): the embedded
 * Tomcat, Reactor Netty or Jetty serves on herd's shared socket instead of binding {@code server.port}, and
 * {@link HerdWorker} ties Spring's readiness, liveness and shutdown to herd's. Outside herd nothing of it is created
 * and the app runs as it always did. Each server customizer's bean takes the {@link HerdWorker} (unused there) so
 * that the worker exists, and has taken the socket, before the server is built.
 */
@AutoConfiguration
@ConditionalOnWebApplication
@ConditionalOnProperty(name = "HERD_MASTER_PID")
public class HerdAutoConfiguration {

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

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.apache.catalina.startup.Tomcat")
    static class TomcatConfiguration {

        @Bean
        WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> herdTomcatCustomizer(HerdWorker worker) {
            return TomcatSupport.customizer();
        }

        @Bean
        HerdServerProbe herdTomcatProbe(LoggingSystem loggingSystem) {
            return TomcatSupport.probe(loggingSystem);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "reactor.netty.http.server.HttpServer")
    static class NettyConfiguration {

        @Bean
        NettySupport.Connections herdNettyConnections() {
            return new NettySupport.Connections();
        }

        @Bean
        WebServerFactoryCustomizer<NettyReactiveWebServerFactory> herdNettyCustomizer(HerdWorker worker,
                ObjectProvider<ReactorResourceFactory> resourceFactory, NettySupport.Connections connections) {
            return NettySupport.customizer(resourceFactory, connections);
        }

        @Bean
        HerdServerProbe herdNettyProbe(NettySupport.Connections connections) {
            return NettySupport.probe(connections);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.eclipse.jetty.server.Server")
    static class JettyConfiguration {

        @Bean
        WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory> herdJettyCustomizer(HerdWorker worker) {
            return JettySupport.customizer();
        }

        @Bean
        HerdServerProbe herdJettyProbe(LoggingSystem loggingSystem) {
            return JettySupport.probe(loggingSystem);
        }
    }
}
