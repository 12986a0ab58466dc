package dev.herd.it.apps;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A plain Netty app that asks for Netty's native epoll transport by name, as Netty's own examples show for Linux:
 * it binds its port (the first argument) with {@link EpollServerSocketChannel} and answers each connection with one
 * line naming its pid. Its bind is a libc bind(2) from Netty's JNI code, which no JDK socket class sees.
 */
public final class NettyEpollApp {

    private NettyEpollApp() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = Integer.parseInt(args[0]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext context) {
                            context.writeAndFlush(Unpooled.copiedBuffer("hello from " + ProcessHandle.current().pid()
                                    + "\n", StandardCharsets.UTF_8)).addListener(ChannelFutureListener.CLOSE);
                        }
                    })
                    .bind(port).sync().channel().closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }
}
