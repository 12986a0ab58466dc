package dev.herd.spring;

import dev.herd.worker.Herd;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.netty.http.HttpResources;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * Reactor Netty on herd's socket. Spring would run the server on the {@code ReactorResourceFactory}'s loops after
 * every customizer; the factory is taken out of the server factory and the server runs on the same loops through
 * {@link InheritedChannelLoops}, whose server channel is herd's socket. Netty switches that socket to non-blocking
 * mode, which every worker shares and which herd's other acceptors tolerate (docs/your-app.md). Heartbeats go to every
 * event loop and are sent only when all of them ran theirs, so one stuck loop stops them. Spring Boot's own Reactor
 * Netty classes moved in Boot 4: each starter's auto-configuration takes the resource factory out of the server
 * factory and adds {@link #onInheritedChannel} as a server customizer.
 */
final class NettySupport {

    private NettySupport() {
    }

    /** The server runs on the app's loops with herd's socket as its server channel, and counts its connections. */
    static HttpServer onInheritedChannel(HttpServer server, ObjectProvider<ReactorResourceFactory> resourceFactory,
                                         Connections connections) {
        return server
                .runOn(connections.loops(resourceFactory), false)
                .doOnChannelInit((observer, channel, remoteAddress) -> {
                    connections.opened();
                    channel.closeFuture().addListener(closed -> connections.closed());
                });
    }

    /** The running Reactor Netty server that {@link #onInheritedChannel} customized. */
    static HerdServer running(Connections connections) {
        return new Running(connections);
    }

    /** The loops the server runs on and the connections it has open; a bean shared by customizer and probe. */
    static final class Connections {
        private final AtomicLong open = new AtomicLong();
        private InheritedChannelLoops loops;

        synchronized InheritedChannelLoops loops(ObjectProvider<ReactorResourceFactory> resourceFactory) {
            if (loops == null) {
                loops = new InheritedChannelLoops(() -> {
                    ReactorResourceFactory factory = resourceFactory.getIfAvailable();
                    return factory != null ? factory.getLoopResources() : HttpResources.get();
                });
            }
            return loops;
        }

        synchronized InheritedChannelLoops loops() {
            return loops;
        }

        void opened() {
            open.incrementAndGet();
            Herd.connectionOpened();
        }

        void closed() {
            open.decrementAndGet();
            Herd.connectionClosed();
        }
    }

    private record Running(Connections connections) implements HerdServer {

        @Override
        public String name() {
            return "Reactor Netty";
        }

        @Override
        public Executor requestExecutor() {
            LoopResources loops = connections.loops();
            EventLoopGroup group = loops.onServer(false);
            List<EventExecutor> executors = new ArrayList<>();
            group.forEach(executors::add);
            return beat -> {
                AtomicInteger pending = new AtomicInteger(executors.size());
                for (EventExecutor executor : executors) {
                    executor.execute(() -> {
                        if (pending.decrementAndGet() == 0) {
                            beat.run();
                        }
                    });
                }
            };
        }

        @Override
        public void stopAccepting() {
            InheritedServerSocketChannel channel = connections.loops().serverChannel();
            if (channel != null) {
                channel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
            }
        }

        @Override
        public long openConnections() {
            return connections.open.get();
        }
    }
}
