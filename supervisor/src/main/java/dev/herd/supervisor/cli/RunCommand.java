package dev.herd.supervisor.cli;

import dev.herd.config.ConfigBuilder;
import dev.herd.config.ConfigException;
import dev.herd.config.ConfigKey;
import dev.herd.config.ConfigKeys;
import dev.herd.config.ConfigValues;
import dev.herd.config.HerdConfig;
import dev.herd.config.InvalidValueException;
import dev.herd.supervisor.master.ConfigSnapshot;
import dev.herd.supervisor.master.Master;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code herd run}: starts a master in the foreground. Its flags are the rows of {@link ConfigKeys} that have one,
 * and override the config file; no file is needed.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Start the master in the foreground: bind the socket, run the workers, stop on SIGTERM.")
final class RunCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "JSON config file; flags override it")
    private Path configFile;

    @Option(names = "--check", description = "Check the configuration as run would (files, users, the worker's "
            + "jar or command, its java) and print what run would do, starting nothing; exit 0, or 78 with the error")
    private boolean check;

    @CommandLine.Spec
    private CommandSpec spec;

    /** The command with one option per flagged config key, described from the table. */
    static CommandLine create() {
        CommandLine command = new CommandLine(new RunCommand());
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            key.flag().ifPresent(flag -> {
                OptionSpec.Builder option = OptionSpec.builder(flag).paramLabel(key.type().label())
                        .type(String.class).description(plain(key.doc()) + " (default: " + plain(key.defaultDoc())
                                + ")");
                if (key == ConfigKeys.APP) {
                    option.completionCandidates(ConfigValues.APPS);
                }
                command.getCommandSpec().addOption(option.build());
            });
        }
        return command;
    }

    @Override
    public Integer call() throws ConfigException, java.io.IOException, InterruptedException {
        Map<ConfigKey<?>, String> flags = flagValues();
        // In an upgrade's check and in the master it exec'ed: the config file as that upgrade read it, once.
        HerdConfig config = effectiveConfig(flags, ConfigSnapshot.read(System.getenv()));
        if (check) {
            return ConfigCheck.run(config, System.getenv(), spec.commandLine().getOut());
        }
        return new Master(config, () -> effectiveConfig(flags, Optional.empty()), HerdVersion.current()).run();
    }

    /** The flags given on the command line, by key, as typed. */
    private Map<ConfigKey<?>, String> flagValues() {
        Map<ConfigKey<?>, String> flags = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            key.flag().map(spec::findOption).filter(option -> spec.commandLine().getParseResult()
                    .hasMatchedOption(option)).ifPresent(option -> flags.put(key, option.getValue()));
        }
        return flags;
    }

    /**
     * The config file as it is now (or its content as an upgrade read it), overlaid with the flags: at start, and
     * again for every reload. A bad flag value is a usage error (it cannot appear at a reload: the same text passed
     * at start).
     */
    private HerdConfig effectiveConfig(Map<ConfigKey<?>, String> flags, Optional<byte[]> snapshot)
            throws ConfigException {
        ConfigBuilder builder = configFile == null ? ConfigBuilder.defaults()
                : snapshot.isPresent() ? ConfigBuilder.fromFile(configFile, snapshot.get())
                : ConfigBuilder.fromFile(configFile);
        flags.forEach((key, text) -> {
            try {
                builder.setText(key, text);
            } catch (InvalidValueException e) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "Invalid value for option '" + key.flag().orElseThrow() + "': " + e.getMessage());
            }
        });
        return builder.build();
    }

    /** The docs' Markdown, minus its backquotes, for a terminal. */
    private static String plain(String markdown) {
        return markdown.replace("`", "");
    }
}
