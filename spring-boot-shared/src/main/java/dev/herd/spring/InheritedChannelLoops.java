package dev.herd.spring;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ServerSocketChannel;
import java.util.function.Supplier;
import reactor.netty.resources.LoopResources;
import dev.herd.worker.Herd;

/**
 * The app's own Reactor Netty loop resources (Spring's {@code ReactorResourceFactory}, or Reactor Netty's global
 * ones), with one change: the server channel they make is {@link InheritedServerSocketChannel} on herd's socket.
 * Server loops are always NIO, as the JDK's inherited channel needs; clients keep the native transport if they have
 * one.
 */
final class InheritedChannelLoops implements LoopResources {

    private final Supplier<LoopResources> app;
    private volatile InheritedServerSocketChannel serverChannel;

    InheritedChannelLoops(Supplier<LoopResources> app) {
        this.app = app;
    }

    /** The server channel once the server has made it, else null. */
    InheritedServerSocketChannel serverChannel() {
        return serverChannel;
    }

    @Override
    public EventLoopGroup onServer(boolean useNative) {
        return app.get().onServer(false);
    }

    @Override
    public EventLoopGroup onServerSelect(boolean useNative) {
        return app.get().onServerSelect(false);
    }

    @Override
    public EventLoopGroup onClient(boolean useNative) {
        return app.get().onClient(useNative);
    }

    @Override
    public boolean daemon() {
        return app.get().daemon();
    }

    @Override
    public <C extends Channel> C onChannel(Class<C> channelType, EventLoopGroup group) {
        if (!ServerChannel.class.isAssignableFrom(channelType)) {
            return app.get().onChannel(channelType, group);
        }
        synchronized (this) {
            if (serverChannel != null) {
                throw new IllegalStateException("herd: a second server on the one shared socket");
            }
            try {
                ServerSocketChannel inherited = Herd.listener();
                serverChannel = new InheritedServerSocketChannel(inherited);
            } catch (IOException e) {
                throw new UncheckedIOException("herd: cannot take the shared listening socket on fd 0", e);
            }
            return channelType.cast(serverChannel);
        }
    }

    @Override
    public <C extends Channel> Class<? extends C> onChannelClass(Class<C> channelType, EventLoopGroup group) {
        if (!ServerChannel.class.isAssignableFrom(channelType)) {
            return app.get().onChannelClass(channelType, group);
        }
        return InheritedServerSocketChannel.class.asSubclass(channelType);
    }
}
