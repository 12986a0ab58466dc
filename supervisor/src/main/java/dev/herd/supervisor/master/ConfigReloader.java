package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;

/**
 * Builds the effective configuration again for a reload: the config file as it is now, overlaid with the same
 * command-line flags the master was started with (a flag keeps winning over the file).
 */
@FunctionalInterface
public interface ConfigReloader {
    HerdConfig reload() throws ConfigException;
}
