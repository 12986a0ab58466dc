package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.config.Durations;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.admin.AdminPaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The CLI's side of each admin command: how its arguments are typed on the command line and how its reply is
 * printed. Its name, help text and exit codes come from the {@link AdminCommand} table ({@link HerdCli}).
 */
final class AdminCommands {

    private AdminCommands() {
    }

    /** The subcommand of each row; a switch without default, so a new row does not compile until it has one. */
    static AdminCommandBase forCommand(AdminCommand command) {
        return switch (command) {
            case PING -> new Ping();
            case VERSION -> new Version();
            case STATUS -> new Status();
            case CONFIG -> new Config();
            case SCALE -> new Scale();
            case RESTART -> new Restart();
            case RELOAD -> new Reload();
            case STOP -> new Stop();
            case UPGRADE -> new Upgrade();
        };
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Ping extends AdminCommandBase {
        @Override
        AdminCommand command() {
            return AdminCommand.PING;
        }

        @Override
        String summary(JsonNode reply) {
            return "pong";
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Version extends AdminCommandBase {
        @Option(names = "--json", description = "print the reply as it is")
        private boolean json;

        @Override
        AdminCommand command() {
            return AdminCommand.VERSION;
        }

        @Override
        String summary(JsonNode reply) {
            return json ? reply.toString() : "master: herd " + reply.path("version").asText() + " on Java "
                    + reply.path("java").asText() + "\nclient: herd " + HerdVersion.current() + " on Java "
                    + Runtime.version();
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Status extends AdminCommandBase {
        @Option(names = "--json", description = "print the reply as it is")
        private boolean json;

        @Option(names = "--ready", description = "print the one-line summary; exit 0 only if every wanted worker "
                + "is ready (a readiness probe)")
        private boolean ready;

        /** For picocli, which sets the flags. */
        Status() {
        }

        /** The flags as {@link PlainRequest} read them, without picocli. */
        Status(boolean json, boolean ready) {
            this.json = json;
            this.ready = ready;
        }

        @Override
        AdminCommand command() {
            return AdminCommand.STATUS;
        }

        @Override
        int onSuccess(JsonNode reply) {
            if (ready) {
                System.out.println(reply.path("summary").asText());
                boolean allReady = !reply.path("stopping").asBoolean()
                        && reply.path("readyWorkers").asInt() >= reply.path("desiredWorkers").asInt();
                return allReady ? ExitCodes.OK : ExitCodes.FAILURE;
            }
            System.out.println(json ? reply.toString() : StatusTable.render(reply));
            return ExitCodes.OK;
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Config extends AdminCommandBase {
        @Option(names = "--json", description = "print the reply as it is")
        private boolean json;

        @Override
        AdminCommand command() {
            return AdminCommand.CONFIG;
        }

        @Override
        String summary(JsonNode reply) {
            return json ? reply.toString() : ConfigTable.render(reply.path("config"));
        }
    }

    /** A command whose reply by default comes when its work is done; {@code --no-wait} asks for it at once. */
    abstract static class LastingCommand extends AdminCommandBase {
        @Option(names = "--no-wait", description = "return as soon as the master has accepted the request")
        private boolean noWait;

        ObjectNode withWait(ObjectNode request) {
            return request.put("wait", !noWait);
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Scale extends LastingCommand {
        @Parameters(paramLabel = "N|+N|-N", description = "absolute count, or a change")
        private String count;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        AdminCommand command() {
            return AdminCommand.SCALE;
        }

        @Override
        ObjectNode request() {
            if (!count.matches("[+-]?[0-9]{1,4}")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "'" + count + "' is not N, +N or -N");
            }
            boolean relative = count.startsWith("+") || count.startsWith("-");
            return withWait(super.request().put(relative ? "delta" : "workers", Integer.parseInt(count)));
        }

        @Override
        String summary(JsonNode reply) {
            return "workers: " + reply.path("previous").asInt() + " -> " + reply.path("workers").asInt()
                    + (reply.path("ready").isNumber() ? " (" + reply.path("ready").asInt() + " ready)" : "");
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Restart extends LastingCommand {
        @Parameters(paramLabel = "SLOT", arity = "0..1", description = "slot to restart (default: all)")
        private Integer slot;

        @Override
        AdminCommand command() {
            return AdminCommand.RESTART;
        }

        @Override
        ObjectNode request() {
            ObjectNode request = withWait(super.request());
            return slot == null ? request : request.put("slot", slot);
        }

        @Override
        String summary(JsonNode reply) {
            return reply.path("replaced").isNumber() ? "restarted: " + workers(reply.path("replaced").asInt())
                    + " replaced" : "restarting slots " + reply.path("restarting");
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Reload extends LastingCommand {
        @Option(names = "--train-first", description = "train the new configuration's class data "
                + "(worker.classData) before the rolling restart, so that every new worker starts with it")
        private boolean trainFirst;

        @Override
        AdminCommand command() {
            return AdminCommand.RELOAD;
        }

        @Override
        ObjectNode request() {
            ObjectNode request = withWait(super.request());
            return trainFirst ? request.put("trainFirst", true) : request;
        }

        @Override
        String summary(JsonNode reply) {
            String what = reply.path("configFile").isTextual() ? "reloaded " + reply.path("configFile").asText()
                    : "no config file: restarted with the same configuration";
            return reply.path("replaced").isNumber()
                    ? what + ": " + workers(reply.path("replaced").asInt()) + " replaced, "
                            + reply.path("workers").asInt() + " wanted"
                    : what + "; replacing " + workers(reply.path("workers").asInt());
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Stop extends AdminCommandBase {
        @Option(names = "--timeout", paramLabel = "DURATION", converter = StopTimeout.class,
                description = "graceful timeout for this stop (default: the master's gracefulTimeout; at most 24h)")
        private Duration timeout;

        @Option(names = "--no-wait", description = "return once the master has begun stopping")
        private boolean noWait;

        @Override
        AdminCommand command() {
            return AdminCommand.STOP;
        }

        @Override
        ObjectNode request() {
            ObjectNode request = super.request();
            return timeout == null ? request : request.put("timeout", Durations.format(timeout));
        }

        /**
         * Waits until the master's process is gone, not only its socket: the JVM exits a moment after the socket
         * closes, and {@code herd stop && herd run} must not race it.
         */
        @Override
        int onSuccess(JsonNode reply) {
            if (noWait) {
                System.out.println("stopping");
                return ExitCodes.OK;
            }
            Duration graceful = Durations.parse(reply.path("gracefulTimeout").asText("30s"));
            Duration limit = graceful.plusSeconds(10);
            long deadline = System.nanoTime() + limit.toNanos();
            Path process = Path.of("/proc", Integer.toString(reply.path("pid").asInt()));
            while (System.nanoTime() - deadline < 0) {
                if (!alive(process)) {
                    System.out.println("stopped");
                    return ExitCodes.OK;
                }
                pollInterval();
            }
            System.err.println("herd: the master (pid " + reply.path("pid").asInt() + ") is still running after "
                    + limit.toSeconds() + " s");
            return ExitCodes.FAILURE;
        }

    }

    /** Alive: /proc/PID exists and is not a zombie (a master whose parent has not reaped it has exited). */
    private static boolean alive(Path process) {
        try {
            String stat = Files.readString(process.resolve("stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    private static void pollInterval() {
        pollInterval(10);
    }

    private static void pollInterval(long millis) {
        try {
            Thread.sleep(millis); // polling for the master's exit or state, bounded by the caller's deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@code herd upgrade}: asks the master to upgrade, then follows it. A refusal is an error reply (exit 1). A
     * hand-over ends the connection without a reply (the master's exec closes it); the command then asks the same
     * pid's {@code status} until its upgrade count has gone up and the upgrade is done (exit 0) or failed (exit 1),
     * or the master is gone (exit 1).
     */
    @Command(mixinStandardHelpOptions = true)
    static final class Upgrade extends AdminCommandBase {
        @Option(names = "--timeout", paramLabel = "DURATION", converter = UpgradeTimeout.class,
                description = "how long to wait until the new master has replaced every worker (default: 10m; "
                        + "at most 24h); the upgrade itself goes on")
        private Duration timeout = Duration.ofMinutes(10);
        /** Where the master answers: the flag's socket, until a status of the new master names another. */
        private AdminPaths.Location answering;

        @Override
        AdminCommand command() {
            return AdminCommand.UPGRADE;
        }

        @Override
        public Integer call() throws IOException {
            answering = socket();
            JsonNode before = ask(AdminClient.command(AdminCommand.STATUS.wireName()));
            if (!before.path("ok").asBoolean(false)) {
                return failed(before);
            }
            int pid = before.path("pid").asInt();
            int count = before.path("upgrade").path("count").asInt();
            String oldVersion = before.path("version").asText();
            try {
                JsonNode refused = ask(request());
                // A reply at all is a refusal: a hand-over answers by its exec.
                return failed(refused);
            } catch (AdminClient.ClosedWithoutReplyException handedOver) {
                System.out.println("handed over to the new herd (pid " + pid + "); waiting for its workers");
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            Path process = Path.of("/proc", Integer.toString(pid));
            while (System.nanoTime() - deadline < 0) {
                if (!alive(process)) {
                    System.err.println("herd: the master (pid " + pid + ") exited during the upgrade");
                    return ExitCodes.FAILURE;
                }
                Optional<JsonNode> status = statusOfNewMaster();
                if (status.isPresent() && status.get().path("pid").asInt() == pid
                        && status.get().path("upgrade").path("count").asInt() > count) {
                    JsonNode upgrade = status.get().path("upgrade");
                    switch (upgrade.path("phase").asText()) {
                        case "done" -> {
                            System.out.println("upgraded: herd " + oldVersion + " -> "
                                    + status.get().path("version").asText() + ", "
                                    + status.get().path("summary").asText());
                            return ExitCodes.OK;
                        }
                        case "failed" -> {
                            System.err.println("herd: upgrade failed: " + upgrade.path("lastFailure").asText());
                            return ExitCodes.FAILURE;
                        }
                        default -> { } // replacing: ask again
                    }
                }
                pollInterval(100); // a status request costs the master a loop turn: ten a second at most
            }
            System.err.println("herd: the new master has not replaced every worker after " + timeout.toSeconds()
                    + " s; it goes on (see herd status)");
            return ExitCodes.FAILURE;
        }

        /**
         * The master's status, or empty while nobody answers (a new master that failed to start). A new
         * configuration may have moved the admin socket: the new master answers what waited on the old one, and
         * says where it is now ({@code adminSocket}), where the next request goes.
         */
        private Optional<JsonNode> statusOfNewMaster() {
            try {
                JsonNode status = ask(AdminClient.command(AdminCommand.STATUS.wireName()));
                String now = status.path("adminSocket").asText("");
                if (!now.isEmpty() && Path.of(now).isAbsolute() && !Path.of(now).equals(answering.path())) {
                    answering = new AdminPaths.Location(Path.of(now), false);
                }
                return Optional.of(status);
            } catch (IOException notYet) {
                return Optional.empty();
            }
        }

        private JsonNode ask(ObjectNode request) throws IOException {
            try (AdminClient client = AdminClient.connect(answering)) {
                return client.request(request, request.path("command").asText().equals("upgrade")
                        ? Optional.empty() : Optional.of(REPLY_TIMEOUT));
            }
        }

        private static int failed(JsonNode reply) {
            JsonNode error = reply.path("error");
            System.err.println("herd: " + error.path("message").asText("error") + " ("
                    + error.path("code").asText("unknown") + ")");
            return ExitCodes.FAILURE;
        }
    }

    /** {@code --timeout} of upgrade: a duration of at most a day. */
    static final class UpgradeTimeout extends BoundedDuration {
        UpgradeTimeout() {
            super(Duration.ZERO, AdminCommand.Argument.MAX_DURATION, "a duration of at most 24h");
        }
    }

    /** {@code --timeout}: a duration of at most a day, as the admin channel accepts. */
    static final class StopTimeout extends BoundedDuration {
        StopTimeout() {
            super(Duration.ZERO, AdminCommand.Argument.MAX_DURATION, "a duration of at most 24h");
        }
    }

    private static String workers(int count) {
        return count + (count == 1 ? " worker" : " workers");
    }

    @Command(name = "completion", mixinStandardHelpOptions = true,
            description = "Print a bash completion script: source <(herd completion)")
    static final class Completion implements Runnable {
        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            System.out.print(picocli.AutoComplete.bash("herd", spec.root().commandLine()));
        }
    }
}
