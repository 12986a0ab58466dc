package dev.herd.config;

import java.nio.file.Path;

/**
 * Entry point for getting a {@link HerdConfig} when no command-line values need overlaying (otherwise use
 * {@link ConfigBuilder}). The config file is one plain JSON object (no comments, no trailing content), every key
 * optional, unknown and duplicate keys rejected:
 * <pre>
 * {
 *   "listen": "127.0.0.1:9876",        HOST:PORT, IPv6 hosts in brackets
 *   "workers": 4,                      1..1024
 *   "app": "echo",                     one of ConfigValues.APPS
 *   "adminSocket": "/run/herd/admin.sock",
 *   "adminGroup": "herd-admins",
 *   "gracefulTimeout": "30s",          see Durations
 *   "backlog": 511,                    1..65535
 *   "worker": {
 *     "jvmOptions": ["-Xmx256m"],
 *     "env": {"APP_MODE": "prod"}      names match [A-Za-z_][A-Za-z0-9_]*
 *   }
 * }
 * </pre>
 * Every problem is reported as a {@link ConfigException} naming the file, the line, the key and the value.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** The defaults overlaid by the values in {@code file}; the result's {@code source} is {@code file}. */
    public static HerdConfig load(Path file) throws ConfigException {
        return ConfigBuilder.fromFile(file).build();
    }

    /** The built-in defaults, as listed in {@link ConfigBuilder#defaults()}. */
    public static HerdConfig defaults() {
        return ConfigBuilder.defaults().build();
    }
}
