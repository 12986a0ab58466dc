package dev.herd.supervisor.cli;

import dev.herd.config.ConfigValues;
import dev.herd.config.ListenAddress;
import java.nio.file.Path;
import java.time.Duration;

/** Flag values go through the same validators as the config file's, so both say the same thing. */
final class FlagConverters {

    private FlagConverters() {
    }

    static final class Listen extends Converter<ListenAddress> {
        Listen() {
            super(ConfigValues::parseListen);
        }
    }

    static final class Workers extends Converter<Integer> {
        Workers() {
            super(ConfigValues::parseWorkers);
        }
    }

    static final class App extends Converter<String> {
        App() {
            super(ConfigValues::parseApp);
        }
    }

    static final class AdminSocket extends Converter<Path> {
        AdminSocket() {
            super(ConfigValues::parseAdminSocket);
        }
    }

    static final class GracefulTimeout extends Converter<Duration> {
        GracefulTimeout() {
            super(ConfigValues::parseGracefulTimeout);
        }
    }

    static final class Backlog extends Converter<Integer> {
        Backlog() {
            super(ConfigValues::parseBacklog);
        }
    }

    static final class ReadyTimeout extends Converter<Duration> {
        ReadyTimeout() {
            super(ConfigValues::parseReadyTimeout);
        }
    }

    static final class HeartbeatTimeout extends Converter<Duration> {
        HeartbeatTimeout() {
            super(ConfigValues::parseHeartbeatTimeout);
        }
    }

    static final class MaxRequests extends Converter<Integer> {
        MaxRequests() {
            super(ConfigValues::parseMaxRequests);
        }
    }

    /** For --pid-file and --log-file. */
    static final class FilePath extends Converter<Path> {
        FilePath() {
            super(ConfigValues::parseFilePath);
        }
    }
}
