package dev.herd.supervisor.cli;

import picocli.CommandLine;

/** The version printed by {@code herd --version}: the jar's Implementation-Version, else "development". */
public final class HerdVersion implements CommandLine.IVersionProvider {

    public static String current() {
        String version = HerdVersion.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"herd " + current() + " (Java " + Runtime.version() + ")"};
    }
}
