package dev.herd.config;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The configuration cannot be used. {@link #getMessage()} is one line meant for the operator: it names the
 * file and line (when the problem is in a file), the key and the offending value, e.g.
 * {@code /etc/herd/herd.json:4: "workers": -1 is not a whole number from 1 to 1024} or
 * {@code cannot read /x/herd.json: No such file or directory}. Print it as it is.
 */
public class ConfigException extends Exception {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A problem found at a line of a config file; a line below 1 means the line is unknown. */
    static ConfigException inFile(Path file, int line, String problem) {
        return new ConfigException(file + (line > 0 ? ":" + line : "") + ": " + problem);
    }

    static ConfigException cannotRead(Path file, IOException cause) {
        return new ConfigException("cannot read " + file + ": " + reason(cause), cause);
    }

    // The JDK puts only the path into the message of these exceptions; the operator wants the reason.
    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
