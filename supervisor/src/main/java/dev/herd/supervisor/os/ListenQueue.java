package dev.herd.supervisor.os;

/**
 * A listening TCP socket's accept queue, from getsockopt(TCP_INFO): for a socket in LISTEN state Linux reports the
 * connections waiting to be accepted in {@code tcpi_unacked} and the backlog limit in {@code tcpi_sacked}.
 *
 * @param waiting connections completed by the kernel and not yet accepted by any worker
 * @param limit   the backlog: beyond it the kernel drops new connection attempts
 */
public record ListenQueue(long waiting, long limit) {
}
