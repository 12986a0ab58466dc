package dev.herd.supervisor.admin;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The admin commands, one row each (einhorn's declarative command list is the model): the name on the wire and on
 * the command line, the help text, the arguments with their limits, and whether the work lasts beyond the request.
 * Request parsing ({@link AdminRequest}), the master's dispatch (an exhaustive switch over this enum), the CLI's
 * subcommands and {@code herd help} all come from here; docs/admin-protocol.md describes the same rows.
 */
public enum AdminCommand {

    PING("Check that a master answers."),
    VERSION("Show the master's herd version and Java runtime."),
    STATUS("Show the master and its workers."),
    CONFIG("Show the configuration the master runs with."),
    SCALE("Set the number of workers: N, +N or -N. Waits until the pool is ready.", Lasting.YES,
            List.of(Argument.wholeNumber("workers", "the number of workers wanted", 1, 1024),
                    Argument.wholeNumber("delta", "a change in the number of workers", -1024, 1024)),
            List.of("workers", "delta")),
    RESTART("Restart one worker, or all of them one after another (each replacement ready before its old worker "
            + "drains). Waits until done.", Lasting.YES,
            List.of(Argument.wholeNumber("slot", "the slot to restart (default: all)", 1, 1024)), List.of()),
    RELOAD("Re-read the config file and apply it with a rolling restart. Waits until done.", Lasting.YES,
            List.of(Argument.bool("trainFirst", "train the new configuration's class data (worker.classData) before "
                    + "the rolling restart, so that every new worker starts with it")), List.of()),
    STOP("Stop the master gracefully; waits until it has exited.", Lasting.NO,
            List.of(Argument.duration("timeout", "graceful timeout for this stop (default: gracefulTimeout)",
                    Argument.MAX_DURATION)), List.of()),
    UPGRADE("Replace the master by the herd installed now, in place (same pid, same socket): the new herd checks "
            + "the config file, takes over, and replaces the workers one by one. Waits until done.");

    /** Whether a command's work outlasts the request; such a command takes {@code "wait"}. */
    enum Lasting { YES, NO }

    /** The commands a stopping master still answers: they only look. */
    private static final java.util.Set<String> READ_ONLY = java.util.Set.of("PING", "VERSION", "STATUS", "CONFIG");

    /** The argument every lasting command takes: reply when the work is done (default) or at once. */
    public static final Argument WAIT = Argument.WAIT;

    private final String help;
    private final boolean lasting;
    private final List<Argument> arguments;
    private final List<String> exactlyOneOf;

    AdminCommand(String help) {
        this(help, Lasting.NO, List.of(), List.of());
    }

    AdminCommand(String help, Lasting lasting, List<Argument> arguments, List<String> exactlyOneOf) {
        this.help = help;
        this.lasting = lasting == Lasting.YES;
        List<Argument> all = new ArrayList<>(arguments);
        if (this.lasting) {
            all.add(Argument.WAIT); // Argument's constant: an enum constructor may not read the enum's own statics
        }
        this.arguments = List.copyOf(all);
        this.exactlyOneOf = exactlyOneOf;
    }

    /** The name on the wire ({@code "command":"scale"}) and on the command line ({@code herd scale}). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String help() {
        return help;
    }

    /** Whether the work goes on after the request is accepted; the reply then waits for it unless "wait" is false. */
    public boolean lasting() {
        return lasting;
    }

    public List<Argument> arguments() {
        return arguments;
    }

    /** Whether it only looks (answered while the master stops) rather than changes the pool. */
    public boolean readOnly() {
        return READ_ONLY.contains(name());
    }

    /** Arguments of which exactly one must be given (scale: workers or delta); empty when no such rule. */
    List<String> exactlyOneOf() {
        return exactlyOneOf;
    }

    public static Optional<AdminCommand> named(String wireName) {
        for (AdminCommand command : values()) {
            if (command.wireName().equals(wireName)) {
                return Optional.of(command);
            }
        }
        return Optional.empty();
    }

    /** The known names, for error messages: "ping, version, status, ...". */
    public static String names() {
        List<String> names = new ArrayList<>();
        for (AdminCommand command : values()) {
            names.add(command.wireName());
        }
        return String.join(", ", names);
    }

    /**
     * One named argument of a command, with its type and limits.
     *
     * @param name        the field name in the request object
     * @param help        one line for the CLI and the docs
     * @param type        how the value is written in JSON
     * @param min         the smallest whole number allowed (whole numbers only)
     * @param max         the largest whole number allowed (whole numbers only)
     * @param maxDuration the longest duration allowed (durations only)
     */
    public record Argument(String name, String help, Type type, long min, long max, Duration maxDuration) {

        /** The longest duration an admin request may give: a day, far beyond any sane graceful stop. */
        public static final Duration MAX_DURATION = Duration.ofHours(24);

        static final Argument WAIT = bool("wait", "reply when the work is done (default true)");

        public enum Type { WHOLE_NUMBER, DURATION, BOOLEAN }

        static Argument wholeNumber(String name, String help, long min, long max) {
            return new Argument(name, help, Type.WHOLE_NUMBER, min, max, Duration.ZERO);
        }

        static Argument duration(String name, String help, Duration max) {
            return new Argument(name, help, Type.DURATION, 0, 0, max);
        }

        static Argument bool(String name, String help) {
            return new Argument(name, help, Type.BOOLEAN, 0, 0, Duration.ZERO);
        }
    }
}
