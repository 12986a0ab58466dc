package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFileTest {

    @TempDir
    Path dir;

    @Test
    void writesThePidReplacingAStaleFileAndRemovesItAtClose() throws IOException {
        Path path = dir.resolve("herd.pid");
        Files.writeString(path, "99999\n");
        PidFile pidFile = PidFile.write(path, 4242);
        assertEquals("4242\n", Files.readString(path));
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(path)));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left");
        }
        pidFile.close();
        assertFalse(Files.exists(path));
    }

    @Test
    void leavesAFileThatAnotherMasterHasTakenOver() throws IOException {
        Path path = dir.resolve("herd.pid");
        PidFile ours = PidFile.write(path, 4242);
        PidFile.write(path, 4343);
        ours.close();
        assertEquals("4343\n", Files.readString(path));
    }

    @Test
    void closeAfterSomeoneRemovedTheFileIsFine() throws IOException {
        Path path = dir.resolve("herd.pid");
        PidFile pidFile = PidFile.write(path, 4242);
        Files.delete(path);
        pidFile.close();
        assertFalse(Files.exists(path));
    }

    @Test
    void aMissingDirectoryIsNamedInTheError() {
        Path path = dir.resolve("missing/herd.pid");
        IOException e = assertThrows(IOException.class, () -> PidFile.write(path, 1));
        assertTrue(e.getMessage().contains("directory " + dir.resolve("missing") + " does not exist"), e.getMessage());
    }
}
