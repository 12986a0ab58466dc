"""Which processes are waiting for connections on a listening socket, seen from outside through /proc.

This is how every server's readiness is measured, herd, nginx and gunicorn alike, without asking the server:
a worker counts as serving once one of its threads is asleep in a system call that waits for a connection on
the listening socket:
  - accept/accept4 on the socket (herd's JVM workers and the plain JVM: a platform thread in blocking accept),
  - epoll_wait/epoll_pwait on an epoll instance that watches the socket (nginx, gunicorn gthread),
  - select/pselect6/poll/ppoll with the socket in the watched set (gunicorn sync), read from /proc/PID/mem.
A process that holds the socket but waits elsewhere (a master, a hot spare, a worker still loading classes)
does not count. A worker in one of these calls takes the next connection from the shared accept queue.

The socket is found by its port (a netlink sock_diag query, as `ss -ltn` does) and identified by its inode.
"""
import os
import socket
import struct

ACCEPT = {43, 288}                 # accept, accept4: fd in arg 0
EPOLL = {232, 281, 441}            # epoll_wait, epoll_pwait, epoll_pwait2: epfd in arg 0
SELECT = {23, 270}                 # select, pselect6: nfds in arg 0, readfds pointer in arg 1
POLL = {7, 271}                    # poll, ppoll: pollfd array pointer in arg 0, count in arg 1


NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10


def listening_inode(port):
    """The inode of the IPv4 TCP socket listening on port, or None while there is none.

    Asked of the kernel with a sock_diag netlink dump of listening sockets only (what `ss -ltn` does), not
    read from /proc/net/tcp: reading that walks the whole connection hash table, about 1.2 ms here."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as s:
        # struct inet_diag_req_v2: family, protocol, ext, pad, states; then an empty inet_diag_sockid (48 bytes)
        request = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN) + bytes(48)
        s.sendall(struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
                  + request)
        while True:
            data = s.recv(65536)
            offset = 0
            while offset < len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == NLMSG_DONE:
                    return None
                if kind == NLMSG_ERROR:
                    raise OSError("sock_diag: the kernel answered with an error")
                # struct inet_diag_msg after the 16-byte header: the source port (big-endian) at 4, inode at 68
                if struct.unpack_from(">H", data, offset + 20)[0] == port:
                    return str(struct.unpack_from("=I", data, offset + 84)[0])
                offset += (length + 3) & ~3


class ListenProbe:
    """Counts the processes of a tree that wait on one listening socket.

    A process seen waiting is remembered as serving: between two polls a busy worker is not in accept, and a
    start-up is over once every worker has been seen waiting once."""

    def __init__(self, port):
        self.port = port
        self.inode = None
        self.seen = set()

    def serving(self, pids):
        """The pids (of those given) that wait, or have waited, on the socket."""
        if self.inode is None:
            self.inode = listening_inode(self.port)
            if self.inode is None:
                return set()
        for pid in pids:
            if pid not in self.seen and waits_on(pid, self.inode):
                self.seen.add(pid)
        return self.seen & set(pids)


def waits_on(pid, inode):
    """True when a thread of pid is asleep in a system call waiting for connections on the socket inode."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError):
        return False
    target = f"socket:[{inode}]"
    for tid in tids:
        call = current_syscall(pid, tid)
        if call and any(fd_target(pid, fd) == target for fd in waited_fds(pid, *call)):
            return True
    return False


def current_syscall(pid, tid):
    """(number, [args]) of the system call the thread is blocked in, or None when it is running or gone."""
    try:
        with open(f"/proc/{pid}/task/{tid}/syscall") as f:
            fields = f.read().split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    if len(fields) < 7 or not fields[0].lstrip("-").isdigit():
        return None  # "running", or "-1 ..." (not in a system call)
    return int(fields[0]), [int(a, 16) for a in fields[1:7]]


def waited_fds(pid, number, args):
    """The descriptors the blocked call waits on, as far as it is one of the calls above."""
    if number in ACCEPT:
        return [args[0]]
    if number in EPOLL:
        return epoll_targets(pid, args[0])
    if number in SELECT:
        return select_read_fds(pid, args[0], args[1])
    if number in POLL:
        return poll_fds(pid, args[0], args[1])
    return []


def fd_target(pid, fd):
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def epoll_targets(pid, epfd):
    """Descriptors registered with the epoll instance epfd (the tfd lines of its fdinfo)."""
    try:
        with open(f"/proc/{pid}/fdinfo/{epfd}") as f:
            return [int(line.split()[1]) for line in f if line.startswith("tfd:")]
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        return []


def read_memory(pid, address, length):
    try:
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as f:
            f.seek(address)
            return f.read(length)
    except (OSError, OverflowError, ValueError):
        return b""


def select_read_fds(pid, nfds, readfds):
    if not readfds or nfds <= 0 or nfds > 65536:
        return []
    bits = read_memory(pid, readfds, (nfds + 7) // 8)
    return [fd for fd in range(min(nfds, len(bits) * 8)) if bits[fd // 8] >> (fd % 8) & 1]


def poll_fds(pid, array, count):
    if not array or count <= 0 or count > 65536:
        return []
    raw = read_memory(pid, array, 8 * count)
    return [struct.unpack_from("i", raw, 8 * i)[0] for i in range(len(raw) // 8)]
