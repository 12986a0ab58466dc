package dev.herd.supervisor.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.config.ConfigValues;
import dev.herd.config.Durations;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * One admin request, parsed and checked on the admin thread before the master sees it. Each command is a record;
 * {@link #parse} turns a request object ({@code {"command":"scale","workers":3}}) into one or throws
 * {@link AdminException} with the error code and message of the reply.
 */
public sealed interface AdminCommand {

    record Ping() implements AdminCommand {
    }

    record Version() implements AdminCommand {
    }

    record Status() implements AdminCommand {
    }

    record Config() implements AdminCommand {
    }

    /**
     * A command whose work outlasts the request. With {@code wait} (the default) the reply comes when the work is
     * done: the rolling restart has ended, or the scaled pool is ready; without it, at once.
     */
    sealed interface Lasting extends AdminCommand {
        boolean waitForCompletion();
    }

    record Reload(boolean waitForCompletion) implements Lasting {
    }

    /** Exactly one of {@code workers} (absolute) and {@code delta} (relative) is present. */
    record Scale(Optional<Integer> workers, Optional<Integer> delta, boolean waitForCompletion) implements Lasting {
    }

    /** One slot, or every slot one after another when empty. */
    record Restart(Optional<Integer> slot, boolean waitForCompletion) implements Lasting {
    }

    /** Graceful stop; the timeout overrides gracefulTimeout for this stop. */
    record Stop(Optional<Duration> timeout) implements AdminCommand {
    }

    static AdminCommand parse(JsonNode request) throws AdminException {
        if (!request.isObject()) {
            throw new AdminException(AdminException.NOT_AN_OBJECT, "a request is a JSON object, got " + kind(request));
        }
        JsonNode command = request.get("command");
        if (command == null || !command.isTextual()) {
            throw new AdminException(AdminException.BAD_ARGUMENT, "field \"command\" (a string) is required");
        }
        return switch (command.asText()) {
            case "ping" -> only(request, Set.of(), new Ping());
            case "version" -> only(request, Set.of(), new Version());
            case "status" -> only(request, Set.of(), new Status());
            case "config" -> only(request, Set.of(), new Config());
            case "reload" -> only(request, Set.of("wait"), new Reload(waitFlag(request)));
            case "scale" -> only(request, Set.of("workers", "delta", "wait"), scale(request));
            case "restart" -> only(request, Set.of("slot", "wait"),
                    new Restart(optionalInt(request, "slot", 1, 1024), waitFlag(request)));
            case "stop" -> only(request, Set.of("timeout"), new Stop(optionalDuration(request, "timeout")));
            default -> throw new AdminException(AdminException.UNKNOWN_COMMAND, "unknown command \""
                    + command.asText() + "\" (known: ping, version, status, config, scale, restart, reload, stop)");
        };
    }

    private static Scale scale(JsonNode request) throws AdminException {
        Optional<Integer> workers = optionalInt(request, "workers", ConfigValues.MIN_WORKERS, ConfigValues.MAX_WORKERS);
        Optional<Integer> delta = optionalInt(request, "delta", -ConfigValues.MAX_WORKERS, ConfigValues.MAX_WORKERS);
        if (workers.isPresent() == delta.isPresent()) {
            throw new AdminException(AdminException.BAD_ARGUMENT, "scale takes exactly one of \"workers\" or \"delta\"");
        }
        return new Scale(workers, delta, waitFlag(request));
    }

    private static boolean waitFlag(JsonNode request) throws AdminException {
        JsonNode value = request.get("wait");
        if (value == null) {
            return true;
        }
        if (!value.isBoolean()) {
            throw new AdminException(AdminException.BAD_ARGUMENT, "\"wait\": " + value + " is not true or false");
        }
        return value.asBoolean();
    }

    private static AdminCommand only(JsonNode request, Set<String> allowed, AdminCommand command)
            throws AdminException {
        for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("command") && !allowed.contains(name)) {
                throw new AdminException(AdminException.BAD_ARGUMENT, "unknown field \"" + name + "\" for "
                        + request.get("command").asText());
            }
        }
        return command;
    }

    private static Optional<Integer> optionalInt(JsonNode request, String field, int min, int max)
            throws AdminException {
        JsonNode value = request.get(field);
        if (value == null) {
            return Optional.empty();
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < min || value.asInt() > max) {
            throw new AdminException(AdminException.BAD_ARGUMENT,
                    "\"" + field + "\": " + value + " is not a whole number from " + min + " to " + max);
        }
        return Optional.of(value.asInt());
    }

    private static Optional<Duration> optionalDuration(JsonNode request, String field) throws AdminException {
        JsonNode value = request.get(field);
        if (value == null) {
            return Optional.empty();
        }
        try {
            if (!value.isTextual()) {
                throw new IllegalArgumentException(value + " is not a string");
            }
            return Optional.of(Durations.parse(value.asText()));
        } catch (IllegalArgumentException e) {
            throw new AdminException(AdminException.BAD_ARGUMENT, "\"" + field + "\": " + e.getMessage());
        }
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase();
    }
}
