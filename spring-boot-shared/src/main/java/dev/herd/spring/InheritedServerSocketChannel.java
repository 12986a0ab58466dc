package dev.herd.spring;

import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * Netty's NIO server channel on herd's shared socket, which is bound and listening already. Netty only needs it
 * registered, never bound: being active from the start, it fires channelActive at registration and begins accepting.
 * Reactor Netty binds every server it starts, so the bind is a no-op here rather than an AlreadyBoundException.
 */
final class InheritedServerSocketChannel extends NioServerSocketChannel {

    InheritedServerSocketChannel(ServerSocketChannel inherited) {
        super(inherited);
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        // bound by the herd master; localAddress is the server.port the app would have bound outside herd
    }
}
