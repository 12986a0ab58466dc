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
 * mode. The drain stops the acceptor by closing the channel, which wakes it without losing anything (a connection
 * that accept() had just taken is still returned, and served), after {@code setAccepting(false)} so that it then
 * waits instead of spinning on the closed channel. It must not shut the connector down then: Jetty's shutdown
 * interrupts the acceptor, and an interrupt just after accept() took a connection from the shared queue makes the JDK
 * throw ClosedByInterruptException and leave that socket open, unread and unserved, until the JVM exits and resets
 * it (seen on JDK 25 with {@code ss}: the draining worker held the client's connection, its request unread, for the
 * 500 ms until it exited). Spring's graceful shutdown shuts Jetty down once the drain has waited for its clients, when
 * the acceptor no longer accepts.
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
