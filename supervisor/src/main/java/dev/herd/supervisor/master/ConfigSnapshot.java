package dev.herd.supervisor.master;

import dev.herd.config.ConfigLoader;
import dev.herd.supervisor.os.Os;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The configuration file as an upgrade read it once, so that what the new install checks is what the new master
 * runs. Without it the check and the new master each read the file: one edited in between (an operator, a
 * configuration manager) would start the new master on a configuration nobody checked, and a master that fails
 * after the exec takes the lifeline and every worker with it. So the old master reads the file into a memory file;
 * the check gets that as its stdin, the new master by the descriptor in {@link #VARIABLE}. Only the new master's
 * first read uses it: its reloads read the file, as every reload does.
 */
public final class ConfigSnapshot {

    /** The memory file's descriptor: 0 in the check (its stdin), the kept descriptor in the new master. */
    public static final String VARIABLE = "HERD_CONFIG_SNAPSHOT_FD";

    private ConfigSnapshot() {
    }

    /**
     * Reads {@code file} into a memory file and returns its descriptor (not inherited by children: the check gets
     * it through {@code /proc/self/fd}, the exec keeps it explicitly). Beside the loop: a file read may be slow.
     *
     * @throws IOException if it is not a regular file (a FIFO or {@code /dev/fd/N} cannot be read a second time,
     *                     and the new master could not read it at all), cannot be read, or is too large
     */
    static int take(Os os, Path file) throws IOException {
        // Followed if a link: the operator's file, read only, as herd run reads it. Checked before the open, so a
        // FIFO with no writer is refused instead of blocking the upgrade.
        if (!Files.exists(file)) {
            throw new IOException("the config file " + file + " is gone");
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException("the config file " + file + " is not a regular file (a FIFO, /dev/fd/N?): the "
                    + "new master could not read it again; upgrade by a stop and a start");
        }
        byte[] content;
        try (InputStream in = Files.newInputStream(file)) {
            content = in.readNBytes(ConfigLoader.MAX_FILE_BYTES + 1);
        } catch (IOException e) {
            throw new IOException("cannot read the config file " + file + ": " + e, e);
        }
        if (content.length > ConfigLoader.MAX_FILE_BYTES) {
            throw new IOException("the config file " + file + " is larger than "
                    + (ConfigLoader.MAX_FILE_BYTES >> 20) + " MiB: not a config file");
        }
        return os.memoryFile("herd-config", content);
    }

    /** Where the check reads a snapshot: this process's view of the memory file, opened afresh at offset 0. */
    static Path path(int fd) {
        return Path.of("/proc/self/fd", Integer.toString(fd));
    }

    /**
     * The snapshot this process was given, if any: the config file's content as the upgrade read it. Read once, at
     * the start of {@code herd run} (the check's or the new master's).
     */
    public static Optional<byte[]> read(Map<String, String> environment) throws IOException {
        OptionalInt fd = HandOver.descriptorIn(environment, VARIABLE);
        if (fd.isEmpty()) {
            return Optional.empty();
        }
        Path view = path(fd.getAsInt());
        // /proc/self/fd/N is the kernel's link to this process's own descriptor: followed on purpose.
        if (!Files.isRegularFile(view)) {
            throw new IOException(VARIABLE + "=" + fd.getAsInt() + ": not a file");
        }
        try (InputStream in = Files.newInputStream(view)) {
            byte[] content = in.readNBytes(ConfigLoader.MAX_FILE_BYTES + 1);
            if (content.length > ConfigLoader.MAX_FILE_BYTES) {
                throw new IOException(VARIABLE + "=" + fd.getAsInt() + ": larger than a config file may be");
            }
            return Optional.of(content);
        }
    }

    /**
     * In the new master, before it starts anything: closes the snapshot's descriptor, which the exec kept (a worker
     * must not inherit it). Its content was read by then ({@link #read}).
     */
    static void close(Os os, Map<String, String> environment) throws IOException {
        OptionalInt fd = HandOver.descriptorIn(environment, VARIABLE); // read() refused a malformed one already
        if (fd.isPresent() && fd.getAsInt() > 2) {
            os.close(fd.getAsInt());
        }
    }
}
