package dev.herd.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;

/**
 * A client of the systemd notify protocol (sd_notify(3)): each {@link #send} is one datagram of newline-separated
 * {@code KEY=VALUE} lines ({@code READY=1}, {@code STATUS=...}, {@code WATCHDOG=1}, {@code STOPPING=1}) to the
 * AF_UNIX datagram socket named by {@code NOTIFY_SOCKET}. The name is a filesystem path or, with a leading
 * {@code @}, a name in Linux's abstract namespace (the {@code @} stands for the NUL byte that starts such an
 * address). An app that uses {@link Herd} outside herd, under systemd as a Type=notify service, talks to systemd through it. Thread-safe; a
 * datagram is sent whole or not at all. jnr-unixsocket because the JDK has neither Unix datagram sockets nor
 * abstract addresses.
 */
final class SdNotify implements Notifier, AutoCloseable {

    private final String socketName;
    private final UnixSocketAddress target;
    private final UnixDatagramChannel channel;

    private SdNotify(String socketName, UnixSocketAddress target, UnixDatagramChannel channel) {
        this.socketName = socketName;
        this.target = target;
        this.channel = channel;
    }

    /**
     * A client for the socket named by {@code env.get(variable)}, or empty when the variable is unset or empty
     * (the process is not supervised by anyone who listens).
     *
     * @throws IllegalArgumentException if the value is neither an absolute path nor an {@code @abstract} name
     */
    static Optional<SdNotify> fromEnvironment(Map<String, String> env, String variable) throws IOException {
        String value = env.get(variable);
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(open(value));
    }

    /** A client for {@code socketName}: an absolute path, or {@code @name} for an abstract address. */
    static SdNotify open(String socketName) throws IOException {
        return new SdNotify(socketName, address(socketName), UnixDatagramChannel.open());
    }

    /** The socket address for a NOTIFY_SOCKET value; a leading {@code @} becomes the abstract namespace's NUL. */
    static UnixSocketAddress address(String socketName) {
        if (socketName.length() > 1 && socketName.charAt(0) == '@') {
            return new UnixSocketAddress("\0" + socketName.substring(1));
        }
        if (socketName.startsWith("/")) {
            return new UnixSocketAddress(socketName);
        }
        throw new IllegalArgumentException(
                "notify socket '" + socketName + "' is neither an absolute path nor an @abstract name");
    }

    /**
     * Sends one datagram, for example {@code "READY=1"} or {@code "STATUS=warming up\nREADY=1"}.
     *
     * @throws IOException with the socket's name when the datagram could not be sent (no receiver any more:
     *     ECONNREFUSED or ENOENT; or a receive buffer that stays full)
     */
    public void send(String message) throws IOException {
        ByteBuffer datagram = ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8));
        try {
            int sent = channel.send(datagram, target);
            if (sent != datagram.limit()) {
                throw new IOException("sent " + sent + " of " + datagram.limit() + " bytes");
            }
        } catch (IOException e) {
            throw new IOException("notify socket " + socketName + ": " + e.getMessage(), e);
        }
    }

    /** The NOTIFY_SOCKET value this client sends to. */
    String socketName() {
        return socketName;
    }

    @Override
    public String describe() {
        return "notify socket " + socketName;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "SdNotify[" + socketName + "]";
    }
}
