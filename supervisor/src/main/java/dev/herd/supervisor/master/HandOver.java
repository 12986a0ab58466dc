package dev.herd.supervisor.master;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.config.ListenAddress;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.spawn.WorkerChannels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a master hands to the master it re-executes into (herd upgrade, see docs/upgrade.md): the listening socket,
 * the lifeline pipe, the workers with the master's ends of their notify and output channels, the directory of their
 * counters files and notify sockets, the admin socket (its path, and its listening socket, which waits with what
 * is queued in it for the new master to accept) and pid file the old master had. Every descriptor here
 * survives the exec (it is cleared of close-on-exec just before); everything else is closed by it. Written as JSON
 * into a memory file whose descriptor the new master finds in {@link #VARIABLE}; bounded to {@link #MAX_BYTES}.
 *
 * @param upgrades         how many hand-overs this process has been through, this one included
 * @param adminListenerFd the admin socket's listening descriptor; empty if the old master could not find it, or
 *                        was a herd that did not hand it over (then the new master binds the path afresh)
 */
public record HandOver(int upgrades, Socket socket, int lifelineReadFd, int lifelineWriteFd, Path workerDirectory,
                       Path adminSocket, OptionalInt adminListenerFd, Optional<Path> pidFile, List<Worker> workers) {

    /** The environment variable that names the memory file's descriptor in the new master. */
    public static final String VARIABLE = "HERD_HANDOVER_FD";
    /**
     * Set for an upgrade's check ({@code herd run --check} of the new install): the listen address the running
     * master holds, as configured. A new {@code listen} in use then refuses the upgrade before the exec.
     */
    public static final String CHECK_LISTEN_VARIABLE = "HERD_UPGRADE_LISTEN";
    /**
     * Set for an upgrade's check: the hand-over format the running master writes. A new herd that reads another
     * fails the check, before the exec, instead of failing to start after it.
     */
    public static final String CHECK_FORMAT_VARIABLE = "HERD_UPGRADE_HANDOVER_FORMAT";
    /** About 200 bytes a worker: room for the 1024 workers a master may have, many times over. */
    static final int MAX_BYTES = 1 << 20;
    /** The hand-over's format: raised whenever a field's meaning changes or a field a new master needs is added. */
    static final int FORMAT = 1;

    /** Made when a hand-over is written or read, not at every master's start ({@link #receive} runs then). */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    public HandOver {
        workers = List.copyOf(workers);
    }

    /**
     * The shared listening socket: its descriptor, the address configured (port 0 stays 0) and bound, and whether
     * systemd passed it (then its address stays systemd's).
     */
    public record Socket(int fd, ListenAddress configured, ListenAddress bound, int backlog, boolean fromSystemd) {
    }

    /**
     * One worker of the old master: where it was, and the master's ends of its channels.
     *
     * @param ready whether it was ready in a slot; any other (starting, draining, a spare) is told to stop
     */
    public record Worker(int slot, int serial, int pid, boolean jvm, boolean ready, WorkerChannels channels) {
    }

    /**
     * In an upgrade's check: why this herd could not take over from the running master ({@link
     * #CHECK_FORMAT_VARIABLE}), if so.
     */
    public static Optional<String> unreadableFormat(Map<String, String> environment) {
        String format = environment.get(CHECK_FORMAT_VARIABLE);
        if (format == null || format.equals(Integer.toString(FORMAT))) {
            return Optional.empty();
        }
        return Optional.of("the running master hands over in format " + format + ", this herd reads format "
                + FORMAT + ": upgrade by a stop and a start");
    }

    /** The descriptor an upgrade passed in {@code variable} ({@link #VARIABLE}, ConfigSnapshot's), if any. */
    static OptionalInt descriptorIn(Map<String, String> environment, String variable) throws IOException {
        String text = environment.get(variable);
        if (text == null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            throw new IOException(variable + "=" + text + ": not a descriptor");
        }
    }

    /** Every descriptor the exec must keep. */
    public List<Integer> descriptors() {
        List<Integer> fds = new ArrayList<>(List.of(socket.fd(), lifelineReadFd, lifelineWriteFd));
        adminListenerFd.ifPresent(fds::add);
        for (Worker worker : workers) {
            WorkerChannels c = worker.channels();
            fds.addAll(List.of(c.notifySocketFd(), c.notifyPipeFd(), c.stdoutFd(), c.stderrFd()));
        }
        return fds;
    }

    byte[] toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode().put("format", FORMAT).put("upgrades", upgrades);
        root.putObject("socket").put("fd", socket.fd()).put("configured", socket.configured().toString())
                .put("bound", socket.bound().toString()).put("backlog", socket.backlog())
                .put("fromSystemd", socket.fromSystemd());
        root.put("lifelineReadFd", lifelineReadFd).put("lifelineWriteFd", lifelineWriteFd)
                .put("workerDirectory", workerDirectory.toString()).put("adminSocket", adminSocket.toString())
                .put("adminListenerFd", adminListenerFd.isPresent() ? adminListenerFd.getAsInt() : null)
                .put("pidFile", pidFile.map(Path::toString).orElse(null));
        ArrayNode list = root.putArray("workers");
        for (Worker worker : workers) {
            WorkerChannels c = worker.channels();
            list.addObject().put("slot", worker.slot()).put("serial", worker.serial()).put("pid", worker.pid())
                    .put("jvm", worker.jvm()).put("ready", worker.ready()).put("name", c.name())
                    .put("notifySocketFd", c.notifySocketFd()).put("notifySocketPath", c.notifySocketPath().toString())
                    .put("notifyPipeFd", c.notifyPipeFd()).put("stdoutFd", c.stdoutFd())
                    .put("stderrFd", c.stderrFd()).put("runsOn", c.runsOn());
        }
        byte[] bytes = root.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_BYTES) {
            throw new IllegalStateException("the hand-over is " + bytes.length + " bytes, more than " + MAX_BYTES);
        }
        return bytes;
    }

    static HandOver fromJson(byte[] bytes) throws IOException {
        JsonNode root = Json.MAPPER.readTree(bytes);
        if (root.path("format").asInt() != FORMAT) {
            throw new IOException("hand-over format " + root.path("format") + ", this herd reads " + FORMAT);
        }
        JsonNode socket = root.path("socket");
        List<Worker> workers = new ArrayList<>();
        for (JsonNode w : root.path("workers")) {
            WorkerChannels channels = new WorkerChannels(w.path("serial").asInt(), w.path("name").asText(),
                    w.path("pid").asInt(), w.path("notifySocketFd").asInt(),
                    Path.of(w.path("notifySocketPath").asText()),
                    w.path("notifyPipeFd").asInt(), w.path("stdoutFd").asInt(), w.path("stderrFd").asInt(),
                    w.path("runsOn").asText());
            workers.add(new Worker(w.path("slot").asInt(), w.path("serial").asInt(), w.path("pid").asInt(),
                    w.path("jvm").asBoolean(), w.path("ready").asBoolean(), channels));
        }
        try {
            return new HandOver(root.path("upgrades").asInt(), new Socket(socket.path("fd").asInt(),
                    ListenAddress.parse(socket.path("configured").asText()),
                    ListenAddress.parse(socket.path("bound").asText()), socket.path("backlog").asInt(),
                    socket.path("fromSystemd").asBoolean()),
                    root.path("lifelineReadFd").asInt(), root.path("lifelineWriteFd").asInt(),
                    Path.of(root.path("workerDirectory").asText()), Path.of(root.path("adminSocket").asText()),
                    root.path("adminListenerFd").isInt() ? OptionalInt.of(root.path("adminListenerFd").asInt())
                            : OptionalInt.empty(),
                    root.path("pidFile").isTextual() ? Optional.of(Path.of(root.path("pidFile").asText()))
                            : Optional.empty(), workers);
        } catch (RuntimeException e) { // InvalidValueException among them
            throw new IOException("a malformed hand-over: " + e.getMessage(), e);
        }
    }

    /**
     * The hand-over this master was started with, if it was exec'ed by an upgrade: read from the memory file
     * {@link #VARIABLE} names, which is closed then, and every descriptor it lists made close-on-exec again.
     */
    static Optional<HandOver> receive(Os os, Map<String, String> environment) throws IOException, OsException {
        OptionalInt named = descriptorIn(environment, VARIABLE);
        if (named.isEmpty()) {
            return Optional.empty();
        }
        int fd = named.getAsInt();
        byte[] bytes;
        // /proc/self/fd opens the memory file afresh, at offset 0, whatever the old master's offset was.
        try (InputStream in = Files.newInputStream(Path.of("/proc/self/fd", Integer.toString(fd)))) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } finally {
            os.close(fd);
        }
        if (bytes.length > MAX_BYTES) {
            throw new IOException("the hand-over in descriptor " + fd + " is larger than " + MAX_BYTES + " bytes");
        }
        HandOver handOver = fromJson(bytes);
        for (int kept : handOver.descriptors()) {
            os.setCloseOnExec(kept); // new workers get what they need by dup2; nothing else may leak into them
        }
        return Optional.of(handOver);
    }
}
