package dev.herd.supervisor.os;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** The sockaddr structures herd passes to and reads from the kernel, in glibc's Linux layout. */
final class SocketAddresses {

    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    /** sizeof(sockaddr_un.sun_path): a path needs one byte less, for its terminating NUL. */
    static final int UNIX_PATH_BYTES = 108;

    private SocketAddresses() {
    }

    static Pointer inet(Runtime runtime, InetAddress address, int port) {
        byte[] ip = address.getAddress();
        if (address instanceof Inet4Address) {
            Pointer sin = Memory.allocateDirect(runtime, 16, true);
            sin.putShort(0, (short) AF_INET); // sa_family is in host byte order
            putPort(sin, port);
            sin.put(4, ip, 0, 4);
            return sin;
        }
        Pointer sin6 = Memory.allocateDirect(runtime, 28, true);
        sin6.putShort(0, (short) AF_INET6);
        putPort(sin6, port);
        sin6.put(8, ip, 0, 16);
        sin6.putInt(24, ((Inet6Address) address).getScopeId());
        return sin6;
    }

    /** Decodes a sockaddr_in or sockaddr_in6 that getsockname filled in. */
    static InetSocketAddress decodeInet(Pointer sockaddr) {
        int family = sockaddr.getShort(0);
        // sin_port and sin6_port both sit at offset 2, in network byte order.
        int port = ((sockaddr.getByte(2) & 0xff) << 8) | (sockaddr.getByte(3) & 0xff);
        byte[] ip = new byte[family == AF_INET ? 4 : 16];
        sockaddr.get(family == AF_INET ? 4 : 8, ip, 0, ip.length);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4- or 16-byte address is always valid", e);
        }
    }

    /**
     * A sockaddr_un for a NOTIFY_SOCKET value: an absolute path, or {@code @name} for Linux's abstract namespace,
     * where the address starts with a NUL byte instead of the {@code @} and has no terminating NUL.
     *
     * @throws IllegalArgumentException if the name is neither, or too long for sun_path
     */
    static Pointer unix(Runtime runtime, String socketName) {
        boolean isAbstract = socketName.length() > 1 && socketName.charAt(0) == '@';
        if (!isAbstract && !socketName.startsWith("/")) {
            throw new IllegalArgumentException(
                    "socket '" + socketName + "' is neither an absolute path nor an @abstract name");
        }
        byte[] name = (isAbstract ? socketName.substring(1) : socketName).getBytes(StandardCharsets.UTF_8);
        int pathBytes = isAbstract ? 1 + name.length : name.length + 1;
        if (pathBytes > UNIX_PATH_BYTES) {
            throw new IllegalArgumentException("socket name '" + socketName + "' is longer than the "
                    + (UNIX_PATH_BYTES - 1) + " bytes a Unix socket address holds");
        }
        Pointer sun = Memory.allocateDirect(runtime, 2 + pathBytes, true); // zeroed: the NULs are already there
        sun.putShort(0, (short) AF_UNIX);
        sun.put(isAbstract ? 3 : 2, name, 0, name.length);
        return sun;
    }

    /**
     * The path of a sockaddr_un that getsockname filled in ({@code length} bytes of it), or empty for an unnamed or
     * abstract address.
     */
    static Optional<String> decodeUnixPath(Pointer sockaddr, int length) {
        if (sockaddr.getShort(0) != AF_UNIX || length <= 2 || sockaddr.getByte(2) == 0) {
            return Optional.empty();
        }
        byte[] path = new byte[length - 2];
        sockaddr.get(2, path, 0, path.length);
        int end = 0;
        while (end < path.length && path[end] != 0) {
            end++;
        }
        return Optional.of(new String(path, 0, end, StandardCharsets.UTF_8));
    }

    private static void putPort(Pointer sockaddr, int port) {
        sockaddr.putByte(2, (byte) (port >> 8)); // network byte order
        sockaddr.putByte(3, (byte) port);
    }
}
