package dev.herd.supervisor.cli;

import java.io.IOException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code herd top}: the pool as top shows processes, over the admin socket. On a terminal it is a live view
 * ({@link TopScreen}); piped, or with {@code --once}, it prints one snapshot: two status samples one interval apart,
 * so that the snapshot has the rates too, then exits. Exit codes as for the other admin commands. JLine is only
 * reached through {@link TopScreen}, from {@link #call}: neither the fields nor the method signatures here name it,
 * since picocli reflects on this class whenever {@code herd} starts, whatever the command.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = {"A live view of the pool, like top: the master, then one row per worker (CPU, memory, "
                + "connections, requests per second, restarts), refreshed every --interval. q or Ctrl+C quits.",
            "When standard output is not a terminal, or with --once, it prints one snapshot (two samples "
                    + "--interval apart, so that the rates are in it) and exits."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:the master answered with an error, or did not answer in time",
            "2:usage error",
            "3:no master is running at the admin socket"})
final class TopCommand implements Callable<Integer> {

    @ParentCommand
    private HerdCli parent;

    @Mixin
    private AdminSocketOption adminSocket;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = Interval.class,
            description = "time between refreshes, 100ms to 1h (default: ${DEFAULT-VALUE})")
    private Duration interval;

    @Option(names = "--once", description = "print one snapshot and exit, also on a terminal")
    private boolean once;

    @Override
    public Integer call() throws IOException, InterruptedException {
        try (TopSource source = TopSource.connect(adminSocket.locate(parent))) {
            TopSample first = source.sample(); // no master, or an error: reported before the terminal changes
            int width = TopView.UNLIMITED;
            try (TopScreen screen = TopScreen.open().orElse(null)) {
                if (screen != null && !once) {
                    screen.run(source, first, interval);
                    return ExitCodes.OK;
                }
                if (screen != null) {
                    width = screen.width();
                }
            }
            Thread.sleep(interval.toMillis()); // the time the rates are measured over, not a wait for an event
            TopSample second = source.sample();
            TopView.Frame frame = TopView.render(second, TopRates.between(first, second), Optional.empty(), width,
                    TopView.UNLIMITED, ZoneId.systemDefault());
            frame.lines().forEach(System.out::println);
            return ExitCodes.OK;
        }
    }

    /** {@code --interval}: a duration from 100ms to 1h. */
    static final class Interval extends BoundedDuration {
        Interval() {
            super(Duration.ofMillis(100), Duration.ofHours(1), "between 100ms and 1h");
        }
    }
}
