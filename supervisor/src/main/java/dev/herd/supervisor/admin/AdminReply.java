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

    /**
     * Something made of each kind of reply (its JSON, say), one method a kind: a new kind of reply does not
     * compile until every visitor has a method for it (Java 17 has no pattern switch over a sealed interface).
     */
    interface Visitor<R> {
        R pong(Pong reply);

        R versionInfo(VersionInfo reply);

        R status(Status reply);

        R configShown(ConfigShown reply);

        R scaled(Scaled reply);

        R restarted(Restarted reply);

        R reloaded(Reloaded reply);

        R stopping(Stopping reply);

        R failed(Failed reply);
    }

    /** {@code visitor}'s method for this kind of reply, applied to it. */
    <R> R accept(Visitor<R> visitor);

    record Pong() implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.pong(this);
        }
    }

    record VersionInfo(String version, String java) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.versionInfo(this);
        }
    }

    record Status(StatusSnapshot snapshot) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.status(this);
        }
    }

    /** The effective configuration, one field per config key, and the file it came from. */
    record ConfigShown(JsonNode config) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.configShown(this);
        }
    }

    /** @param ready wanted slots with a ready worker, when the reply waited for the pool */
    record Scaled(int previous, int workers, OptionalInt ready) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.scaled(this);
        }
    }

    /** @param replaced how many slots got a new worker, when the reply waited for the restart */
    record Restarted(List<Integer> slots, OptionalInt replaced) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.restarted(this);
        }
        public Restarted {
            slots = List.copyOf(slots);
        }
    }

    /** @param configFile the file re-read; empty when the master runs without one (same configuration) */
    record Reloaded(int workers, Optional<String> configFile, OptionalInt replaced) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.reloaded(this);
        }
    }

    /** @param pid the master's pid: {@code herd stop} waits until that process is gone */
    record Stopping(Duration gracefulTimeout, int pid) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.stopping(this);
        }
    }

    /**
     * An error reply: a stable code from {@link AdminException} and a one-line message.
     *
     * @param replaced for a rolling restart that stopped early, how many slots it had replaced
     */
    record Failed(String code, String message, OptionalInt replaced) implements AdminReply {
        @Override
        public <R> R accept(Visitor<R> visitor) {
            return visitor.failed(this);
        }

        public static Failed of(AdminException e) {
            return new Failed(e.code(), e.getMessage(), OptionalInt.empty());
        }
    }
}
