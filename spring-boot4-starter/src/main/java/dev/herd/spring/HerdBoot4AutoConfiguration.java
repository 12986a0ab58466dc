package dev.herd.spring;

import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.NettyWebServer;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Runs a Spring Boot 4.0 or 4.1 web app as a herd worker when herd started it ({@code HERD_MASTER_PID} is set): the
 * embedded Tomcat, Reactor Netty or Jetty serves on herd's shared socket instead of binding {@code server.port}, and
 * {@link HerdWorker} ties Spring's readiness, liveness and shutdown to herd's. Outside herd nothing of it is created
 * and the app runs as it always did. Each server customizer's bean takes the {@link HerdWorker} (unused there) so
 * that the worker exists, and has taken the socket, before the server is built. Only what names Boot 4's web server
 * classes is here (each server's in a module of its own since Boot 4.0); the rest is shared with
 * herd-spring-boot-starter, Boot 3.5's (spring-boot-shared/, {@link HerdWorkerConfiguration}).
 */
@AutoConfiguration
@ConditionalOnWebApplication
@ConditionalOnProperty(name = "HERD_MASTER_PID")
@Import(HerdWorkerConfiguration.class)
public class HerdBoot4AutoConfiguration {

    @Bean
    WebServerStarted herdWebServerStarted(HerdWorker worker, ApplicationContext context) {
        return new WebServerStarted(worker, context);
    }

    /** Tells the worker of its context's web server; a management server has a context of its own. */
    record WebServerStarted(HerdWorker worker, ApplicationContext context)
            implements ApplicationListener<WebServerInitializedEvent> {

        @Override
        public void onApplicationEvent(WebServerInitializedEvent event) {
            if (event.getApplicationContext() == context) {
                worker.webServerStarted(event.getWebServer());
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.apache.catalina.startup.Tomcat",
            "org.springframework.boot.tomcat.TomcatWebServer"})
    static class TomcatConfiguration {

        @Bean
        WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> herdTomcatCustomizer(HerdWorker worker) {
            return factory -> factory.addConnectorCustomizers(TomcatSupport::useInheritedChannel);
        }

        @Bean
        HerdServerProbe herdTomcatProbe(LoggingSystem loggingSystem) {
            return webServer -> webServer instanceof TomcatWebServer tomcat
                    ? Optional.of(TomcatSupport.running(tomcat.getTomcat().getConnector(), loggingSystem))
                    : Optional.empty();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"reactor.netty.http.server.HttpServer",
            "org.springframework.boot.reactor.netty.NettyWebServer"})
    static class NettyConfiguration {

        @Bean
        NettySupport.Connections herdNettyConnections() {
            return new NettySupport.Connections();
        }

        @Bean
        WebServerFactoryCustomizer<NettyReactiveWebServerFactory> herdNettyCustomizer(HerdWorker worker,
                ObjectProvider<ReactorResourceFactory> resourceFactory, NettySupport.Connections connections) {
            return factory -> {
                factory.setResourceFactory(null); // the server runs on the factory's loops through NettySupport
                factory.addServerCustomizers(
                        server -> NettySupport.onInheritedChannel(server, resourceFactory, connections));
            };
        }

        @Bean
        HerdServerProbe herdNettyProbe(NettySupport.Connections connections) {
            return webServer -> webServer instanceof NettyWebServer
                    ? Optional.of(NettySupport.running(connections))
                    : Optional.empty();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.eclipse.jetty.server.Server",
            "org.springframework.boot.jetty.JettyWebServer"})
    static class JettyConfiguration {

        @Bean
        WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory> herdJettyCustomizer(HerdWorker worker) {
            return factory -> factory.addServerCustomizers(JettySupport::inheritChannel);
        }

        @Bean
        HerdServerProbe herdJettyProbe(LoggingSystem loggingSystem) {
            return webServer -> webServer instanceof JettyWebServer jetty
                    ? Optional.of(JettySupport.running(jetty.getServer(), loggingSystem))
                    : Optional.empty();
        }
    }
}
