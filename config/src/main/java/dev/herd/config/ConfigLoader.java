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
 *   "spareWorkers": 1,                 0..64 hot spares
 *   "app": "echo",                     one of ConfigValues.APPS
 *   "adminSocket": "/run/herd/admin.sock",
 *   "adminGroup": "herd-admins",
 *   "gracefulTimeout": "30s",          see Durations; at most 24h
 *   "backlog": 511,                    1..65535
 *   "readyTimeout": "60s",             1ms..1h
 *   "heartbeatTimeout": "30s",         0 (off)..1h
 *   "hangDiagnostics": true,           SIGQUIT before a hung JVM worker's SIGKILL
 *   "maxRequests": 0,                  0 (off)..2147483647
 *   "maxRequestsJitter": 0,            0..2147483647, only with maxRequests
 *   "flappingCrashes": 5,              1..1000
 *   "flappingWindow": "60s",           1ms..24h
 *   "logFile": "/var/log/herd.log",    not ending in '/'
 *   "pidFile": "/run/herd.pid",
 *   "metricsListen": "0.0.0.0:9100",   also serves /readyz and /livez
 *   "readyMinimum": 1,                 1..1024: /readyz's ready workers
 *   "worker": {
 *     "jvmOptions": ["-Xmx256m"],      not with command
 *     "env": {"APP_MODE": "prod"},     names match [A-Za-z_][A-Za-z0-9_]*
 *     "mainClass": "com.example.Main", instead of app; not with command
 *     "jar": "/opt/app/app.jar",       instead of app: java -jar; not with mainClass, classpath, command
 *     "classpath": ["lib/app.jar"],    only with mainClass
 *     "args": ["--mode", "prod"],      only with mainClass or jar
 *     "command": ["/usr/bin/server"]   instead of app: a non-JVM worker, socket on fd 0
 *   }
 * }
 * </pre>
 * A file that sets {@code worker.mainClass}, {@code worker.jar} or {@code worker.command} must not set {@code app}.
 * The keys, their defaults and limits are the rows of {@link ConfigKeys}.
 * Every problem is reported as a {@link ConfigException} naming the file, the line, the key and the value.
 */
public final class ConfigLoader {

    /** The largest config file read: far more than any configuration needs, far less than a master's memory. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    private ConfigLoader() {
    }

    /** The defaults overlaid by the values in {@code file}; the result's {@code source} is {@code file}. */
    public static HerdConfig load(Path file) throws ConfigException {
        return ConfigBuilder.fromFile(file).build();
    }

    /** The built-in defaults, as listed in {@link ConfigBuilder#defaults()}. */
    public static HerdConfig defaults() {
        try {
            return ConfigBuilder.defaults().build();
        } catch (ConfigException e) {
            throw new AssertionError("the defaults go together", e);
        }
    }
}
