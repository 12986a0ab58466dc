package dev.herd.example.netty;

import dev.herd.worker.Herd;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A plain Netty 4 HTTP server run by herd ({@code worker.mainClass = dev.herd.example.netty.HelloNetty}). Netty
 * takes herd's shared socket as it is: {@code new NioServerSocketChannel(inherited)}, registered and never bound
 * (it is bound and listening already). On SIGTERM it closes its copy of the socket, answers what still comes on open
 * connections with {@code Connection: close}, waits for those connections to go, and exits 0.
 */
public final class HelloNetty {

    /** How long the drain gives keep-alive clients to send their next request (answered with Connection: close). */
    private static final long IDLE_GRACE_MILLIS = 2_000;

    private static volatile boolean draining;

    public static void main(String[] args) throws Exception {
        ServerSocketChannel inherited = Herd.listener();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        Channel server = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> new NioServerSocketChannel(inherited)) // herd's socket, switched to non-blocking
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        connections.add(channel);
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                                new Hello());
                    }
                })
                .register() // not bind(): the socket is bound; registering starts the accepting
                .sync().channel();

        Herd.onDrain(() -> drain(server, connections, group));
        Herd.startHeartbeats(group); // each beat runs on one of the event loops
        Herd.ready(); // with heartbeats running, READY=1 carries the first WATCHDOG=1
        server.closeFuture().sync();
        group.terminationFuture().sync();
        System.exit(0);
    }

    private static void drain(Channel server, ChannelGroup connections, EventLoopGroup group) {
        server.close().syncUninterruptibly(); // this worker's copy of the socket: the others keep accepting
        // A connection accepted just before the close is registered on its event loop by a task queued then; one
        // empty task through every loop runs after those, so each such connection is in the group before the count
        // below is read (else an empty group could close it with its request unanswered).
        for (EventExecutor loop : group) {
            loop.submit(() -> { }).syncUninterruptibly();
        }
        draining = true; // after the close: a client told Connection: close cannot reconnect to this worker
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(IDLE_GRACE_MILLIS);
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10); // polling the connection count, which Netty does not announce
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        connections.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
    }

    private static final class Hello extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext context, FullHttpRequest request) {
            Herd.requestServed();
            byte[] body = ("hello from netty worker-" + Herd.slot() + "\n").getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            HttpUtil.setContentLength(response, body.length);
            boolean keepAlive = HttpUtil.isKeepAlive(request) && !draining;
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            context.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
                    : ChannelFutureListener.CLOSE);
        }
    }
}
