package dev.herd.spring;

import dev.herd.worker.Herd;
import java.io.IOException;
import java.util.concurrent.Executor;
import org.apache.catalina.connector.Connector;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.coyote.AbstractProtocol;
import org.apache.coyote.ProtocolHandler;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;

/**
 * Tomcat on herd's socket: the NIO connector's {@code useInheritedChannel} makes it accept on
 * {@link System#inheritedChannel()} (fd 0) instead of binding {@code server.port}. Tomcat accepts on one acceptor
 * thread in blocking mode and never closes an inherited channel, even at stop; its own way to stop accepting wakes the
 * acceptor with a connection to its own address, which on a shared socket another worker may take, and meanwhile the
 * acceptor, told to stop, would take and drop a real client's connection. So the drain closes the channel itself,
 * which wakes the acceptor at once (a connection it had just accepted is still served), and leaves the rest to
 * Spring's graceful shutdown; {@code Connection: close} comes from the starter's filter. Spring Boot's own Tomcat
 * classes (the factory, {@code TomcatWebServer}) moved in Boot 4: each starter's auto-configuration hands this class
 * the connector.
 */
final class TomcatSupport {

    /**
     * After the drain closed the channel, Tomcat's acceptor logs each try on it as an accept failure (ERROR) until
     * Spring's shutdown stops it, and the shutdown warns that it could not wake the acceptor through the closed
     * socket's address (WARN): neither is a failure here.
     */
    private static final String ACCEPTOR_LOGGER = "org.apache.tomcat.util.net.Acceptor";
    private static final String ENDPOINT_LOGGER = "org.apache.tomcat.util.net.NioEndpoint";

    private static final Log log = LogFactory.getLog(TomcatSupport.class);

    private TomcatSupport() {
    }

    /** A connector customizer: the connector accepts on herd's socket. */
    static void useInheritedChannel(Connector connector) {
        if (!connector.setProperty("useInheritedChannel", "true")) {
            throw new IllegalStateException("herd: Tomcat's " + connector.getProtocolHandlerClassName()
                    + " cannot serve on an inherited socket (the NIO connector can)");
        }
    }

    /** The running Tomcat whose connector {@link #useInheritedChannel} customized. */
    static HerdServer running(Connector connector, LoggingSystem loggingSystem) {
        return new Running(connector, loggingSystem);
    }

    private record Running(Connector connector, LoggingSystem loggingSystem) implements HerdServer {

        @Override
        public String name() {
            return "Tomcat";
        }

        @Override
        public Executor requestExecutor() {
            return connector.getProtocolHandler().getExecutor();
        }

        @Override
        public void stopAccepting() {
            loggingSystem.setLogLevel(ACCEPTOR_LOGGER, LogLevel.OFF);
            loggingSystem.setLogLevel(ENDPOINT_LOGGER, LogLevel.ERROR);
            try {
                Herd.closeListener(); // this worker's copy only; returns once no accept() is in progress
            } catch (IOException e) {
                log.warn("herd: closing the shared socket: " + e.getMessage());
            }
        }

        @Override
        public long openConnections() {
            ProtocolHandler handler = connector.getProtocolHandler();
            return handler instanceof AbstractProtocol<?> protocol ? protocol.getConnectionCount() : -1;
        }
    }
}
