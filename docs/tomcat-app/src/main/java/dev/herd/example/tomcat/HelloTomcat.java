package dev.herd.example.tomcat;

import dev.herd.worker.Herd;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.AbstractProtocol;

/**
 * An embedded Tomcat 11 run by herd ({@code worker.mainClass = dev.herd.example.tomcat.HelloTomcat}). Tomcat's NIO
 * connector serves on herd's shared socket with {@code useInheritedChannel}. On SIGTERM it closes its copy of the
 * socket itself (Tomcat never closes an inherited channel, and its own way of waking its acceptor, a connection to
 * its address, may reach another worker on a shared socket), answers what still comes on open connections with
 * {@code Connection: close}, waits for them to go, and exits 0.
 */
public final class HelloTomcat {

    private static final long IDLE_GRACE_MILLIS = 2_000;
    /**
     * Tomcat logs the acceptor's tries on the closed socket as failures, and its stop warns that it could not wake
     * the acceptor through the socket's address; during the drain neither is one.
     */
    private static final Logger ACCEPTOR_LOG = Logger.getLogger("org.apache.tomcat.util.net.Acceptor");
    private static final Logger ENDPOINT_LOG = Logger.getLogger("org.apache.tomcat.util.net.NioEndpoint");

    private static volatile boolean draining;

    public static void main(String[] args) throws Exception {
        ServerSocketChannel inherited = Herd.listener();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("tomcat-").toString());
        Connector connector = new Connector(); // HTTP/1.1, NIO
        connector.setProperty("useInheritedChannel", "true"); // serve on fd 0 instead of binding a port
        tomcat.setConnector(connector);
        StandardContext context = (StandardContext) tomcat.addContext("", null);
        // The JVM exits after the stop: no leak hunting for a redeploy (which would need --add-opens).
        context.setClearReferencesRmiTargets(false);
        context.setClearReferencesThreadLocals(false);
        Tomcat.addServlet(context, "hello", new Hello()).addMapping("/");
        tomcat.start();

        Herd.onDrain(() -> drain(tomcat, connector, inherited));
        Herd.startHeartbeats(connector.getProtocolHandler().getExecutor()); // Tomcat's request threads
        Herd.ready(); // with heartbeats running, READY=1 carries the first WATCHDOG=1
        tomcat.getServer().await();
    }

    private static void drain(Tomcat tomcat, Connector connector, ServerSocketChannel inherited) {
        ACCEPTOR_LOG.setLevel(Level.OFF);
        ENDPOINT_LOG.setLevel(Level.SEVERE);
        try {
            inherited.close(); // wakes the acceptor; this worker's copy only, the others keep accepting
        } catch (IOException e) {
            e.printStackTrace();
        }
        draining = true; // after the close: a client told Connection: close cannot reconnect to this worker
        AbstractProtocol<?> protocol = (AbstractProtocol<?>) connector.getProtocolHandler();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_GRACE_MILLIS);
        while (protocol.getConnectionCount() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10); // polling the connection count, which Tomcat does not announce
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            tomcat.stop(); // waits for the requests in progress
            tomcat.destroy();
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    private static final class Hello extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            Herd.requestServed();
            if (draining) {
                response.setHeader("Connection", "close");
            }
            response.setContentType("text/plain; charset=utf-8");
            response.getWriter().print("hello from tomcat worker-" + Herd.slot() + "\n");
        }
    }
}
