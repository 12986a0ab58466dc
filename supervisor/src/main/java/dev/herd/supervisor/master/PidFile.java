package dev.herd.supervisor.master;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The master's pid in a file ({@code --pid-file}), for init scripts and monitors that run herd without systemd.
 * Written atomically: a temporary file in the same directory, renamed over the path, so a reader sees either no
 * file, the old one, or the whole new pid, never a half-written one. {@link #close()} removes it only if it still
 * holds our pid: a second master that has taken the path over keeps its file.
 */
public final class PidFile implements AutoCloseable {

    private final Path path;
    private final String content;

    private PidFile(Path path, String content) {
        this.path = path;
        this.content = content;
    }

    /**
     * Writes {@code pid} and a newline to {@code path}, replacing any file there.
     *
     * @throws IOException naming the path if its directory does not exist or cannot be written
     */
    public static PidFile write(Path path, long pid) throws IOException {
        Path absolute = path.toAbsolutePath();
        Path directory = absolute.getParent();
        if (!Files.isDirectory(directory)) {
            throw new IOException("pid file " + path + ": directory " + directory + " does not exist");
        }
        String content = pid + "\n";
        Path temporary;
        try {
            temporary = Files.createTempFile(directory, "." + absolute.getFileName() + ".", ".tmp");
        } catch (IOException e) {
            throw new IOException("pid file " + path + ": cannot write in " + directory + ": " + e, e);
        }
        try {
            Files.writeString(temporary, content, StandardCharsets.US_ASCII);
            // createTempFile makes it 0600; a pid is no secret, and monitors running as other users read it.
            Files.setPosixFilePermissions(temporary, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("pid file " + path + ": cannot rename atomically in " + directory, e);
        } catch (IOException e) {
            throw new IOException("pid file " + path + ": " + e, e);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return new PidFile(absolute, content);
    }

    public Path path() {
        return path;
    }

    /** Removes the file at {@code path} if it holds {@code pid} (one a master before an upgrade left behind). */
    static void removeIfHolds(Path path, long pid) throws IOException {
        new PidFile(path.toAbsolutePath(), pid + "\n").close();
    }

    /** Removes the file if it still contains our pid. */
    @Override
    public void close() throws IOException {
        try {
            if (Files.readString(path, StandardCharsets.US_ASCII).equals(content)) {
                Files.delete(path);
            }
        } catch (NoSuchFileException e) {
            // someone removed it already: nothing left to do
        }
    }
}
