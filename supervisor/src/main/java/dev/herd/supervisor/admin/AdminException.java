package dev.herd.supervisor.admin;

/** An admin request that gets an error reply: a stable machine-readable code and a one-line message. */
public final class AdminException extends Exception {

    public static final String BAD_JSON = "bad_json";
    public static final String NOT_AN_OBJECT = "not_an_object";
    public static final String UNKNOWN_COMMAND = "unknown_command";
    public static final String BAD_ARGUMENT = "bad_argument";
    public static final String LINE_TOO_LONG = "line_too_long";
    public static final String FORBIDDEN = "forbidden";
    public static final String NO_SUCH_SLOT = "no_such_slot";
    public static final String RELOAD_FAILED = "reload_failed";
    public static final String RESTART_FAILED = "restart_failed";
    public static final String NOT_READY = "not_ready";
    public static final String STOPPING = "stopping";
    /** An upgrade is under way: scale, restart, reload and another upgrade wait until it ends. */
    public static final String UPGRADING = "upgrading";
    /** The upgrade was refused before the hand-over (the new herd's check failed, the exec failed, ...). */
    public static final String UPGRADE_FAILED = "upgrade_failed";
    public static final String BUSY = "busy";
    public static final String IDLE = "idle";
    public static final String INTERNAL = "internal";

    private final String code;

    public AdminException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** The error reply: {@code {"ok":false,"error":{"code":...,"message":...}}}. */
    public AdminReply.Failed toReply() {
        return AdminReply.Failed.of(this);
    }
}
