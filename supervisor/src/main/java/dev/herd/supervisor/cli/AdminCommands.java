package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.config.Durations;
import java.io.IOException;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The admin subcommands: each is one request over the admin socket (docs/admin-protocol.md). */
final class AdminCommands {

    private AdminCommands() {
    }

    @Command(name = "ping", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:ok", "1:the master answered with an error", "2:usage error",
                "3:no master is running at the admin socket"}, description = "Check that a master answers.")
    static final class Ping extends AdminCommandBase {
        @Override
        ObjectNode request() {
            return AdminClient.command("ping");
        }

        @Override
        String summary(JsonNode reply) {
            return "pong";
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:ok (with --ready: every wanted worker is ready)",
                "1:the master answered with an error (with --ready: not every wanted worker is ready)",
                "2:usage error", "3:no master is running at the admin socket"},
            description = "Show the master and its workers.")
    static final class Status extends AdminCommandBase {
        @Option(names = "--json", description = "print the reply as it is")
        private boolean json;

        @Option(names = "--ready", description = "print the one-line summary; exit 0 only if every wanted worker "
                + "is ready (a readiness probe)")
        private boolean ready;

        @Override
        ObjectNode request() {
            return AdminClient.command("status");
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

    /** A command whose reply by default comes when its work is done; {@code --no-wait} asks for it at once. */
    abstract static class LastingCommand extends AdminCommandBase {
        @Option(names = "--no-wait", description = "return as soon as the master has accepted the request")
        private boolean noWait;

        ObjectNode withWait(ObjectNode request) {
            return request.put("wait", !noWait);
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:ok", "1:the master answered with an error", "2:usage error",
                "3:no master is running at the admin socket"},
            description = "Set the number of workers: N, +N or -N. Waits until the pool is ready.")
    static final class Scale extends LastingCommand {
        @Parameters(paramLabel = "N|+N|-N", description = "absolute count, or a change")
        private String count;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        ObjectNode request() {
            if (!count.matches("[+-]?[0-9]{1,4}")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "'" + count + "' is not N, +N or -N");
            }
            boolean relative = count.startsWith("+") || count.startsWith("-");
            return withWait(AdminClient.command("scale").put(relative ? "delta" : "workers", Integer.parseInt(count)));
        }

        @Override
        String summary(JsonNode reply) {
            return "workers: " + reply.path("previous").asInt() + " -> " + reply.path("workers").asInt()
                    + (reply.has("ready") ? " (" + reply.path("ready").asInt() + " ready)" : "");
        }
    }

    @Command(name = "restart", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:ok", "1:the master answered with an error", "2:usage error",
                "3:no master is running at the admin socket"},
            description = "Restart one worker, or all of them one after another (each replacement ready before "
                    + "its old worker drains). Waits until done.")
    static final class Restart extends LastingCommand {
        @Parameters(paramLabel = "SLOT", arity = "0..1", description = "slot to restart (default: all)")
        private Integer slot;

        @Override
        ObjectNode request() {
            ObjectNode request = withWait(AdminClient.command("restart"));
            return slot == null ? request : request.put("slot", slot);
        }

        @Override
        String summary(JsonNode reply) {
            return reply.has("replaced") ? "restarted: " + reply.path("replaced").asInt() + " workers replaced"
                    : "restarting slots " + reply.path("restarting");
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:ok", "1:the master answered with an error", "2:usage error",
                "3:no master is running at the admin socket"},
            description = "Re-read the config file and apply it with a rolling restart. Waits until done.")
    static final class Reload extends LastingCommand {
        @Override
        ObjectNode request() {
            return withWait(AdminClient.command("reload"));
        }

        @Override
        String summary(JsonNode reply) {
            return reply.has("replaced")
                    ? "reloaded: " + reply.path("replaced").asInt() + " workers replaced, "
                            + reply.path("workers").asInt() + " wanted"
                    : "reloading: " + reply.path("workers").asInt() + " workers";
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:ok", "1:the master answered with an error", "2:usage error",
                "3:no master is running at the admin socket"},
            description = "Stop the master gracefully; waits until it has exited unless --no-wait.")
    static final class Stop extends AdminCommandBase {
        @Option(names = "--timeout", paramLabel = "DURATION", converter = FlagConverters.GracefulTimeout.class,
                description = "graceful timeout for this stop (default: the master's gracefulTimeout)")
        private Duration timeout;

        @Option(names = "--no-wait", description = "return once the master has begun stopping")
        private boolean noWait;

        @Override
        ObjectNode request() {
            ObjectNode request = AdminClient.command("stop");
            return timeout == null ? request : request.put("timeout", Durations.format(timeout));
        }

        @Override
        int onSuccess(JsonNode reply) throws IOException {
            if (noWait) {
                System.out.println("stopping");
                return ExitCodes.OK;
            }
            Duration graceful = Durations.parse(reply.path("gracefulTimeout").asText("30s"));
            long deadline = System.nanoTime() + graceful.plusSeconds(10).toNanos();
            // The master removes its socket as it exits: wait until nothing answers any more.
            while (System.nanoTime() - deadline < 0) {
                try (AdminClient probe = AdminClient.connect(socketPath())) {
                    pollInterval();
                } catch (AdminClient.NotRunningException gone) {
                    System.out.println("stopped");
                    return ExitCodes.OK;
                }
            }
            System.err.println("herd: the master still answers after " + graceful.plusSeconds(10).toSeconds() + " s");
            return ExitCodes.FAILURE;
        }

        private static void pollInterval() {
            try {
                Thread.sleep(50); // polling for the master's exit, bounded by the deadline above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
