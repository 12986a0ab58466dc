package dev.herd.config;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link HerdConfig} in the making, for layering: start from {@link #defaults()} or {@link #fromFile(Path)},
 * overlay command-line values with {@link #setText} (or values from code with {@link #set}), then
 * {@link #build()}. Each value is checked once, as it is parsed or set, and a bad one throws an
 * {@link InvalidValueException} naming it. {@code build()} then checks only the rules between keys, which a
 * layer can break even when each value is fine on its own (the file sets {@code maxRequestsJitter}, a flag sets
 * {@code maxRequests} to 0).
 */
public final class ConfigBuilder {

    private final Map<ConfigKey<?>, Object> values = new HashMap<>();
    /** Keys given a value on purpose (not left at their default): an app set on purpose contradicts a jar. */
    private final Set<ConfigKey<?>> given = new HashSet<>();
    private Optional<Path> source = Optional.empty();

    private ConfigBuilder() {
        ConfigKeys.ALL.forEach(key -> values.put(key, key.defaultValue()));
    }

    /** Every key at its default (the README's table lists them). */
    public static ConfigBuilder defaults() {
        return new ConfigBuilder();
    }

    /**
     * The defaults overlaid by the values in {@code file} (format in {@link ConfigLoader}). The file's values must
     * go together on their own, so a conflict is reported with the file's lines.
     */
    public static ConfigBuilder fromFile(Path file) throws ConfigException {
        ConfigBuilder builder = new ConfigBuilder();
        ConfigFileReader.readInto(file, builder);
        builder.source = Optional.of(file);
        return builder;
    }

    /**
     * As {@link #fromFile(Path)}, from {@code content} read from {@code file} earlier (an upgrade's snapshot of it):
     * errors name the file and its lines.
     */
    public static ConfigBuilder fromFile(Path file, byte[] content) throws ConfigException {
        ConfigBuilder builder = new ConfigBuilder();
        ConfigFileReader.readInto(file, content, builder);
        builder.source = Optional.of(file);
        return builder;
    }

    /** Sets a value from code, checked with the key's rules. */
    public <T> ConfigBuilder set(ConfigKey<T> key, T value) {
        put(key, key.type().check(Objects.requireNonNull(value, key.name())));
        return this;
    }

    /**
     * Sets a value from a command-line flag's text, parsed and checked with the key's rules.
     *
     * @throws InvalidValueException naming the text, e.g. {@code 'many' is not a whole number from 1 to 1024}
     */
    public ConfigBuilder setText(ConfigKey<?> key, String text) {
        put(key, key.type().fromText(text));
        return this;
    }

    /** A value already checked (by the file reader). */
    void put(ConfigKey<?> key, Object value) {
        values.put(key, value);
        given.add(key);
    }

    /**
     * The configuration, once the rules between keys hold.
     *
     * @throws ConfigException naming both keys, e.g. {@code "maxRequestsJitter" needs "maxRequests" above 0}
     */
    public HerdConfig build() throws ConfigException {
        try {
            return assemble();
        } catch (KeyConflictException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /** {@link #build()} with the conflict left as it is thrown, so that the file reader can add its lines. */
    HerdConfig assemble() {
        HerdConfig config = new HerdConfig(values, source);
        WorkerSpec worker = config.worker();
        if (!worker.command().isEmpty()) {
            exclusive("worker.command", "worker.mainClass", worker.mainClass().isPresent());
            exclusive("worker.command", "worker.jar", worker.jar().isPresent());
            exclusive("worker.command", "worker.jvmOptions", !worker.jvmOptions().isEmpty());
            exclusive("worker.command", "worker.classpath", !worker.classpath().isEmpty());
            exclusive("worker.command", "worker.args", !worker.args().isEmpty());
        }
        if (worker.jar().isPresent()) {
            exclusive("worker.jar", "worker.mainClass", worker.mainClass().isPresent());
            exclusive("worker.classpath", "worker.jar", !worker.classpath().isEmpty());
        }
        if (config.workerJava().isPresent()) {
            // The built-in apps are herd's own classes on the master's JVM; a command is not a JVM at all.
            exclusive("worker.command", "worker.java", !worker.command().isEmpty());
            if (worker.kind() == WorkerSpec.Kind.BUILT_IN_APP) {
                throw KeyConflictException.needs("worker.java", "worker.jar", "or \"worker.mainClass\"");
            }
        }
        if (worker.mainClass().isEmpty() && !worker.classpath().isEmpty()) {
            throw KeyConflictException.needs("worker.classpath", "worker.mainClass", "");
        }
        if (worker.mainClass().isEmpty() && worker.jar().isEmpty() && !worker.args().isEmpty()) {
            throw KeyConflictException.needs("worker.args", "worker.mainClass", "or \"worker.jar\"");
        }
        if (worker.group().isPresent() && worker.user().isEmpty()) {
            throw KeyConflictException.needs("worker.group", "worker.user", "");
        }
        long execBytes = worker.env().entrySet().stream().mapToLong(e -> e.getKey().length() + e.getValue().length())
                .sum() + java.util.stream.Stream.of(worker.jvmOptions(), worker.args(), worker.command())
                .flatMap(List::stream).mapToLong(String::length).sum();
        if (execBytes > ConfigValues.MAX_EXEC_TOTAL_BYTES) {
            throw KeyConflictException.together("worker.env", "worker.args", "\"worker.env\", \"worker.jvmOptions\", "
                    + "\"worker.args\" and \"worker.command\" hold " + execBytes + " bytes, more than the "
                    + ConfigValues.MAX_EXEC_TOTAL_BYTES + " a worker can be started with");
        }
        if (given.contains(ConfigKeys.APP) && worker.kind() != WorkerSpec.Kind.BUILT_IN_APP) {
            throw KeyConflictException.exclusive("app", programKey(worker));
        }
        if (worker.appPort().isPresent()) {
            if (worker.kind() != WorkerSpec.Kind.JAR && worker.kind() != WorkerSpec.Kind.MAIN_CLASS) {
                throw KeyConflictException.needs("worker.appPort", "worker.jar", "or \"worker.mainClass\" (herd's "
                        + "agent runs in a JVM worker)");
            }
            if (config.spareWorkers() > 0) {
                // A spare must not accept before its promotion, and an app that knows nothing of herd cannot wait.
                throw KeyConflictException.together("worker.appPort", "spareWorkers", "\"worker.appPort\" cannot be "
                        + "used with \"spareWorkers\" above 0: an app that knows nothing of herd accepts as soon as it "
                        + "starts, so it cannot wait as a hot spare");
            }
            for (String option : worker.jvmOptions()) {
                if (turnsNettysNativeTransportOn(option)) {
                    // The agent turns them off; the user's own setting wins there, so it is refused here.
                    throw KeyConflictException.together("worker.jvmOptions", "worker.appPort", "\"worker.jvmOptions\" "
                            + "cannot turn Netty's native transport on (" + option + ") with \"worker.appPort\": epoll "
                            + "and io_uring bind in native code, where herd's agent cannot hand the app herd's socket, "
                            + "so each worker would bind the port itself; remove the option");
                }
            }
        }
        if (config.maxRequestsJitter() > 0 && config.maxRequests() == 0) {
            throw KeyConflictException.needs("maxRequestsJitter", "maxRequests", "above 0");
        }
        return config;
    }

    /**
     * Whether a JVM option sets {@code io.netty.transport.noNative} to a value Netty reads as false: anything but
     * empty, {@code true}, {@code yes} or {@code 1} (its SystemPropertyUtil.getBoolean). herd's agent sets it to true
     * unless the user set it.
     */
    static boolean turnsNettysNativeTransportOn(String jvmOption) {
        String property = "-D" + NETTY_NO_NATIVE;
        if (!jvmOption.startsWith(property)) {
            return false;
        }
        String rest = jvmOption.substring(property.length());
        if (rest.isEmpty()) {
            return false; // -Dio.netty.transport.noNative: empty, which Netty reads as true
        }
        if (rest.charAt(0) != '=') {
            return false; // another property whose name only begins the same
        }
        String value = rest.substring(1).trim().toLowerCase(java.util.Locale.ROOT);
        return !(value.isEmpty() || value.equals("true") || value.equals("yes") || value.equals("1"));
    }

    private static final String NETTY_NO_NATIVE = "io.netty.transport.noNative";

    private static void exclusive(String key, String otherKey, boolean bothSet) {
        if (bothSet) {
            throw KeyConflictException.exclusive(key, otherKey);
        }
    }

    /** The key that chose the worker's program, for messages. */
    private static String programKey(WorkerSpec worker) {
        return switch (worker.kind()) {
            case BUILT_IN_APP -> "app";
            case MAIN_CLASS -> "worker.mainClass";
            case JAR -> "worker.jar";
            case COMMAND -> "worker.command";
        };
    }
}
