package dev.herd.spring;

import dev.herd.worker.Herd;
import java.io.IOException;
import java.nio.channels.Channel;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.web.embedded.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.web.embedded.jetty.JettyWebServer;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;

/**
 * Jetty on herd's socket: {@link ServerConnector#setInheritChannel(boolean)} serves on
 * {@link System#inheritedChannel()}. With Spring's default of at least one acceptor thread Jetty accepts in blocking
 * mode. Its shutdown interrupts the acceptor, and an interrupt that comes just after accept() took a connection from
 * the shared queue loses that connection (the JDK throws ClosedByInterruptException and drops the new socket). So the
 * drain first closes the channel, which wakes the acceptor without that loss, and then shuts the connector down.
 */
final class JettySupport {

    private static final String CONNECTOR_LOGGER = "org.eclipse.jetty.server.AbstractConnector";

    private static final Log log = LogFactory.getLog(JettySupport.class);

    private JettySupport() {
    }

    static WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory> customizer() {
        return factory -> factory.addServerCustomizers(server -> {
            for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
                if (connector instanceof ServerConnector serverConnector) {
                    serverConnector.setInheritChannel(true);
                    // Jetty's shutdown closes connections idle this long; its 1 s would cut the drain's grace short.
                    serverConnector.setShutdownIdleTimeout(TimeUnit.NANOSECONDS.toMillis(HerdWorker.IDLE_GRACE_NANOS));
                    serverConnector.addEventListener(new Connection.Listener() {
                        @Override
                        public void onOpened(Connection connection) {
                            Herd.connectionOpened();
                        }

                        @Override
                        public void onClosed(Connection connection) {
                            Herd.connectionClosed();
                        }
                    });
                }
            }
        });
    }

    static HerdServerProbe probe(LoggingSystem loggingSystem) {
        return webServer -> webServer instanceof JettyWebServer jetty
                ? Optional.of(new Running(jetty.getServer(), loggingSystem))
                : Optional.empty();
    }

    private record Running(Server server, LoggingSystem loggingSystem) implements HerdServer {

        @Override
        public String name() {
            return "Jetty";
        }

        @Override
        public Executor requestExecutor() {
            return server.getThreadPool();
        }

        @Override
        public void stopAccepting() {
            // The acceptor meets the closed channel before the shutdown: Jetty warns of an accept failure.
            loggingSystem.setLogLevel(CONNECTOR_LOGGER, LogLevel.ERROR);
            try {
                Channel inherited = System.inheritedChannel();
                if (inherited != null) {
                    inherited.close(); // this worker's copy only
                }
            } catch (IOException e) {
                log.warn("herd: closing the shared socket: " + e.getMessage());
            }
            for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
                if (connector instanceof AbstractConnector abstractConnector) {
                    abstractConnector.shutdown(); // stops the acceptor; idle connections close after a while
                }
            }
        }

        @Override
        public long openConnections() {
            return Arrays.stream(server.getConnectors()).mapToLong(c -> c.getConnectedEndPoints().size()).sum();
        }
    }
}
