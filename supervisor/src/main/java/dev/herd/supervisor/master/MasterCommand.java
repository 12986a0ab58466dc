package dev.herd.supervisor.master;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How to start the herd installed now the way this master was started, for an upgrade: bin/herd (its path in
 * {@link #LAUNCHER_VARIABLE}, exported by the launcher) with the arguments this master got ({@code run -c FILE
 * ...}), so that the launcher picks the java, its options and the jars as they are now. A master started without the
 * launcher re-runs its own JVM command line: the same java and classpath, whose jars may have been replaced.
 *
 * @param argv the program and its arguments
 */
record MasterCommand(List<String> argv) {

    /** bin/herd's own path, which it exports before it execs the JVM. */
    static final String LAUNCHER_VARIABLE = "HERD_LAUNCHER";
    private static final String MAIN_CLASS = "dev.herd.supervisor.cli.HerdCli";

    MasterCommand {
        argv = List.copyOf(argv);
    }

    /** Where the command comes from: {@link #current} in a master, a fixed one in a test. */
    interface Source {
        MasterCommand find() throws IOException;
    }

    /** This master's command, from /proc/self/cmdline and the launcher's variable. */
    static MasterCommand current(Map<String, String> environment) throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        List<String> jvm = Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\0"));
        int main = jvm.indexOf(MAIN_CLASS);
        String launcher = environment.get(LAUNCHER_VARIABLE);
        if (main < 0) {
            throw new IOException("this master's command line has no " + MAIN_CLASS + ": cannot start it again");
        }
        List<String> argv = new ArrayList<>();
        if (launcher != null && Path.of(launcher).isAbsolute()) {
            argv.add(launcher);
            argv.addAll(jvm.subList(main + 1, jvm.size()));
        } else {
            argv.addAll(jvm);
            if (!Path.of(argv.get(0)).isAbsolute()) {
                // execve does not search PATH: the running JVM's own executable.
                argv.set(0, ProcessHandle.current().info().command().orElseThrow(() -> new IOException(
                        "cannot tell this JVM's executable")));
            }
        }
        return new MasterCommand(argv);
    }

    /** The same command with {@code --check}: the new install checks the configuration as it is now. */
    List<String> check() {
        List<String> check = new ArrayList<>(argv);
        check.add("--check");
        return check;
    }
}
