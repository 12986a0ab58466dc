package dev.herd.spring;

import dev.herd.worker.Herd;
import java.io.IOException;
import java.nio.channels.Channel;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Executor;
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
 * drain stops accepting by closing the channel, which wakes the acceptor without that loss. It does not shut the
 * connector down then: a connector that is shut down half-closes each connection after the response it was writing,
 * and a keep-alive client that had just sent its next request meets a reset (CI saw one in 285,000 responses). The
 * starter's filter answers with {@code Connection: close} instead, and Spring's graceful shutdown, once the drain has
 * waited for the clients, shuts Jetty down.
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
            // The acceptor meets the closed channel: Jetty warns of an accept failure, which here is none.
            loggingSystem.setLogLevel(CONNECTOR_LOGGER, LogLevel.ERROR);
            for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
                if (connector instanceof AbstractConnector abstractConnector) {
                    // Woken by the close below, the acceptor then waits instead of spinning on the closed channel.
                    abstractConnector.setAccepting(false);
                }
            }
            try {
                Channel inherited = System.inheritedChannel();
                if (inherited != null) {
                    inherited.close(); // this worker's copy only
                }
            } catch (IOException e) {
                log.warn("herd: closing the shared socket: " + e.getMessage());
            }
        }

        @Override
        public long openConnections() {
            return Arrays.stream(server.getConnectors()).mapToLong(c -> c.getConnectedEndPoints().size()).sum();
        }
    }
}
