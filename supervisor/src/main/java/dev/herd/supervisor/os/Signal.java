package dev.herd.supervisor.os;

/** The signals herd sends, handles or names in exit statuses, with their Linux numbers (herd is Linux-only). */
public enum Signal {
    HUP(1), INT(2), QUIT(3), ILL(4), ABRT(6), BUS(7), FPE(8), KILL(9), USR1(10), SEGV(11), USR2(12), PIPE(13),
    ALRM(14), TERM(15), CHLD(17), CONT(18), STOP(19), TTIN(21), TTOU(22);

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /** The signal with this number, for decoding wait statuses; null for a signal herd has no name for. */
    public static Signal ofNumber(int number) {
        for (Signal signal : values()) {
            if (signal.number == number) {
                return signal;
            }
        }
        return null;
    }
}
