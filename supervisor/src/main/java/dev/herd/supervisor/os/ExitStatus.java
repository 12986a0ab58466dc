package dev.herd.supervisor.os;

/**
 * How a child process ended, decoded from a waitpid(2) status: it exited with a code, or a signal killed it.
 * {@link #toString()} gives the form used in logs and {@code status}: {@code exit 0}, {@code signal 9 (KILL)}.
 */
public record ExitStatus(int exitCode, int signal) {

    public static ExitStatus decode(int rawStatus) {
        // WIFEXITED: the low 7 bits are 0 and the exit code sits in bits 8..15; otherwise they hold the signal.
        int termSignal = rawStatus & 0x7f;
        return termSignal == 0 ? new ExitStatus((rawStatus >> 8) & 0xff, 0) : new ExitStatus(-1, termSignal);
    }

    public boolean killedBySignal() {
        return signal != 0;
    }

    @Override
    public String toString() {
        if (!killedBySignal()) {
            return "exit " + exitCode;
        }
        Signal named = Signal.ofNumber(signal);
        return "signal " + signal + (named == null ? "" : " (" + named + ")");
    }
}
