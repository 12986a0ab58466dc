package dev.herd.supervisor.spawn;

import java.nio.file.Path;

/**
 * The master's ends of what one worker talks back through, handed to {@link WorkerIo}: its notify socket (and that
 * socket's file), the read end of its notify pipe, and the read ends of its stdout and stderr pipes; and which java
 * it runs on, for a boot error that depends on it ({@link WorkerJvm#describe()}).
 */
public record WorkerChannels(int serial, String name, int pid, int notifySocketFd, Path notifySocketPath,
                             int notifyPipeFd, int stdoutFd, int stderrFd, String runsOn) {
}
