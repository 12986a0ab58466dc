package dev.herd.spring;

import dev.herd.worker.Herd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.web.server.WebServer;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot app as a herd worker. Created before the embedded server (the server customizers depend on it), it
 * takes herd's shared socket first ({@link Herd#listener()}: from then on a SIGTERM is kept for the drain and stdout
 * survives the socket's close). It then follows Spring's own states: the web server it is told of when it starts
 * ({@link #webServerStarted}: the event that says so moved in Boot 4, so each starter's auto-configuration listens),
 * {@link ReadinessState#ACCEPTING_TRAFFIC} becomes {@code READY=1} (with the drain registered and heartbeats running
 * through the server's request threads), {@link LivenessState#BROKEN} becomes {@code WATCHDOG=trigger}, and herd's
 * SIGTERM becomes the drain: stop accepting at once, {@code Connection: close} on every response from then on, give
 * keep-alive clients {@link #IDLE_GRACE_NANOS} to finish, then close the context (Spring's graceful shutdown waits
 * for requests still in flight) and exit 0.
 */
final class HerdWorker implements ApplicationListener<ApplicationEvent> {

    private static final Log log = LogFactory.getLog(HerdWorker.class);

    /**
     * How long the drain waits, once no request is in flight, for keep-alive clients to send their next request
     * (answered with {@code Connection: close}) before the remaining idle connections are closed. Closing them at once
     * races a client that is just sending its next request on one; herd's own http app waits as long.
     */
    static final long IDLE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /**
     * How long no connection must be open before the drain moves on: a connection the acceptor took just as the
     * socket closed is counted only once the server has set it up, within milliseconds.
     */
    static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** Spring's default {@code spring.lifecycle.timeout-per-shutdown-phase}: a long request does not hold it longer. */
    static final long MAX_IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final ApplicationContext context;
    private final List<HerdServerProbe> probes;
    private final DrainState drainState;
    private volatile HerdServer server;
    private boolean ready;

    HerdWorker(ApplicationContext context, List<HerdServerProbe> probes, DrainState drainState) {
        this.context = context;
        this.probes = probes;
        this.drainState = drainState;
        try {
            Herd.listener();
        } catch (IOException e) {
            throw new UncheckedIOException("herd: cannot take the shared listening socket on fd 0", e);
        }
    }

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof AvailabilityChangeEvent<?> change && change.getSource() == context) {
            if (change.getState() == ReadinessState.ACCEPTING_TRAFFIC) {
                becomeReady();
            } else if (change.getState() == ReadinessState.REFUSING_TRAFFIC && !drainState.draining()) {
                Herd.status("refusing traffic");
            } else if (change.getState() == LivenessState.BROKEN) {
                askToBeReplaced();
            }
        }
    }

    /** The web server of this worker's application context has started (not a management server's). */
    void webServerStarted(WebServer webServer) {
        server = probes.stream()
                .map(probe -> probe.probe(webServer))
                .flatMap(Optional::stream)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("herd: the starter does not know the web server "
                        + webServer.getClass().getName() + " (Tomcat, Reactor Netty and Jetty are supported)"));
    }

    /** Once: an app that refused traffic for a while and accepts it again is still the same ready worker. */
    private synchronized void becomeReady() {
        if (ready) {
            Herd.status("accepting traffic");
            return;
        }
        ready = true;
        HerdServer running = server;
        if (running == null) {
            throw new IllegalStateException("herd: the application is ready but no web server was started");
        }
        // Before ready(): a SIGTERM that came during start-up (kept since Herd.listener()) drains now.
        Herd.onDrain(this::startDrain);
        Herd.startHeartbeats(running.requestExecutor());
        Herd.ready();
        log.info("herd worker " + Herd.slot() + ": " + running.name() + " serves on herd's shared socket; ready");
    }

    private void askToBeReplaced() {
        log.error("herd worker " + Herd.slot() + ": liveness is BROKEN; asking herd to replace this worker");
        Herd.status("liveness broken");
        try {
            NotifyPipeTrigger.send();
        } catch (IOException e) {
            // Without the trigger herd still replaces the worker once its heartbeats stop; say why they may not.
            log.error("herd: cannot send WATCHDOG=trigger: " + e.getMessage());
        }
    }

    /**
     * SIGTERM from herd, or herd is gone. The worker API runs this on a thread started from the JVM's signal thread,
     * which makes it a daemon; once Reactor Netty stops accepting, its own last non-daemon thread ends, and the JVM
     * would exit (and close the context from its shutdown hook) in the middle of the drain. So the drain runs on a
     * thread that keeps the JVM alive until it calls {@code System.exit}.
     */
    private void startDrain() {
        Thread thread = new Thread(this::drain, "herd-spring-drain");
        thread.setDaemon(false);
        thread.start();
    }

    private void drain() {
        drainState.beginDrain();
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        HerdServer running = server;
        running.stopAccepting();
        log.info("herd worker " + Herd.slot() + ": draining (" + Herd.drainReason().orElse("stop")
                + "); stopped accepting");
        awaitIdleConnections(running);
        int exitCode = SpringApplication.exit((ConfigurableApplicationContext) context);
        System.exit(exitCode);
    }

    /**
     * Waits until no connection has been open for {@link #SETTLE_NANOS}, or until no request has been in flight for
     * {@link #IDLE_GRACE_NANOS}: keep-alive clients that send another request meanwhile get it answered with
     * {@code Connection: close} and go to another worker. After {@link #MAX_IDLE_WAIT_NANOS} Spring's graceful
     * shutdown takes over even with requests in flight; it waits for them within its own timeout.
     */
    private void awaitIdleConnections(HerdServer running) {
        long drainStart = System.nanoTime();
        boolean noneOpen = false;
        long noneOpenSince = 0;
        while (System.nanoTime() - drainStart < MAX_IDLE_WAIT_NANOS) {
            long now = System.nanoTime();
            if (running.openConnections() != 0) {
                noneOpen = false;
            } else if (!noneOpen) {
                noneOpen = true;
                noneOpenSince = now;
            } else if (now - noneOpenSince >= SETTLE_NANOS) {
                return;
            }
            long quietSince = Math.max(drainStart, drainState.lastRequestEndNanos());
            if (drainState.inFlight() == 0 && now - quietSince >= IDLE_GRACE_NANOS) {
                return;
            }
            try {
                Thread.sleep(10); // polling the connection count, which no server announces
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
