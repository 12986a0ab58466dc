package dev.herd.supervisor.admin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.supervisor.status.StatusSnapshot;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the master answers to an {@link AdminRequest}, as data; {@link ReplyJson} writes it on the wire
 * (docs/admin-protocol.md). Every command's success has a record here; every failure is {@link Failed}.
 */
public sealed interface AdminReply {

    record Pong() implements AdminReply {
    }

    record VersionInfo(String version, String java) implements AdminReply {
    }

    record Status(StatusSnapshot snapshot) implements AdminReply {
    }

    /** The effective configuration, one field per config key, and the file it came from. */
    record ConfigShown(JsonNode config) implements AdminReply {
    }

    /** @param ready wanted slots with a ready worker, when the reply waited for the pool */
    record Scaled(int previous, int workers, OptionalInt ready) implements AdminReply {
    }

    /** @param replaced how many slots got a new worker, when the reply waited for the restart */
    record Restarted(List<Integer> slots, OptionalInt replaced) implements AdminReply {
        public Restarted {
            slots = List.copyOf(slots);
        }
    }

    /** @param configFile the file re-read; empty when the master runs without one (same configuration) */
    record Reloaded(int workers, Optional<String> configFile, OptionalInt replaced) implements AdminReply {
    }

    /** @param pid the master's pid: {@code herd stop} waits until that process is gone */
    record Stopping(Duration gracefulTimeout, int pid) implements AdminReply {
    }

    /**
     * An error reply: a stable code from {@link AdminException} and a one-line message.
     *
     * @param replaced for a rolling restart that stopped early, how many slots it had replaced
     */
    record Failed(String code, String message, OptionalInt replaced) implements AdminReply {

        public static Failed of(AdminException e) {
            return new Failed(e.code(), e.getMessage(), OptionalInt.empty());
        }
    }
}
