package dev.herd.supervisor.cli;

import dev.herd.config.Durations;
import java.io.IOException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;
import org.jline.utils.Display;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;

/**
 * {@code herd top} on a terminal, and the one class that uses JLine (so that no other command loads it): while it
 * runs, the terminal is in raw mode on its alternate screen with the cursor hidden; {@code q} or Ctrl+C ends it and
 * puts the terminal back as it was. A thread of its own takes a status sample every interval and another reads
 * keys; they, and the signals (resize, continue after a stop, an interrupt sent with kill), only put an event on a
 * queue.
 * The thread that called {@link #run} takes the events and alone draws, through JLine's {@link Display}, which
 * rewrites only what changed. A failed sample leaves the last one on screen with the reason under the header, and
 * the next interval tries again.
 */
final class TopScreen implements AutoCloseable {

    private sealed interface Event permits Key, Sampled, SampleFailed, Resized, Continued, Quit, InputFailed {
    }

    private record Key(int code) implements Event {
    }

    private record Sampled(TopSample sample) implements Event {
    }

    private record SampleFailed(String reason) implements Event {
    }

    /** The terminal was resized: draw everything anew. */
    private record Resized() implements Event {
    }

    /** Continued after a stop: the shell had the terminal meanwhile. */
    private record Continued() implements Event {
    }

    private record Quit() implements Event {
    }

    private record InputFailed(IOException cause) implements Event {
    }

    private static final int CTRL_C = 3;
    private static final int FALLBACK_COLUMNS = 80;
    private static final int FALLBACK_ROWS = 24;

    private final Terminal terminal;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

    private TopScreen(Terminal terminal) {
        this.terminal = terminal;
    }

    /**
     * The terminal that standard output is, or empty if it is none (piped, redirected, {@code TERM=dumb}, or no
     * terminal on standard input to read keys from).
     */
    static Optional<TopScreen> open() throws IOException {
        Terminal terminal = TerminalBuilder.builder()
                .system(true)
                // JLine's native providers (JNI, FFM) restore the terminal modes without the line speed (stty then
                // says "speed 0 baud"); the stty-based one changes only the flags it names. It runs stty as a
                // process, so the size is asked for only at the start and on SIGWINCH.
                .provider(TerminalBuilder.PROP_PROVIDER_EXEC)
                // Not the default "stdout, else stderr": piped output means a snapshot, even with stderr on a tty.
                .systemOutput(TerminalBuilder.SystemOutput.SysOut)
                .dumb(true) // without a terminal JLine falls back to a dumb one, quietly: that is our cue
                .build();
        if (terminal.getType().startsWith(Terminal.TYPE_DUMB)) {
            terminal.close();
            return Optional.empty();
        }
        return Optional.of(new TopScreen(terminal));
    }

    /** The terminal's width, for a snapshot printed on it. */
    int width() {
        return terminal.getWidth() > 0 ? terminal.getWidth() : TopView.UNLIMITED;
    }

    /** Shows the pool, from {@code first} on, refreshed every {@code interval}, until {@code q} or Ctrl+C. */
    void run(TopSource source, TopSample first, Duration interval) throws IOException, InterruptedException {
        Terminal.SignalHandler previousInt = terminal.handle(Terminal.Signal.INT, signal -> events.add(new Quit()));
        Terminal.SignalHandler previousWinch = terminal.handle(Terminal.Signal.WINCH,
                signal -> events.add(new Resized()));
        Terminal.SignalHandler previousCont = terminal.handle(Terminal.Signal.CONT,
                signal -> events.add(new Continued()));
        Attributes saved = terminal.getAttributes();
        Attributes screenMode = screenMode(saved);
        ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(
                task -> daemon(task, "herd-top-sampler"));
        try {
            enterScreen(screenMode);
            sampler.scheduleAtFixedRate(() -> events.add(sample(source)), interval.toNanos(), interval.toNanos(),
                    TimeUnit.NANOSECONDS);
            daemon(this::readKeys, "herd-top-keys").start();
            showUntilQuit(first, interval, screenMode);
        } finally {
            // Without interrupting: a request in flight ends with the JVM, or with its timeout.
            sampler.shutdown();
            terminal.puts(Capability.exit_ca_mode);
            terminal.puts(Capability.cursor_visible);
            terminal.flush();
            terminal.setAttributes(saved);
            terminal.handle(Terminal.Signal.CONT, previousCont);
            terminal.handle(Terminal.Signal.WINCH, previousWinch);
            terminal.handle(Terminal.Signal.INT, previousInt);
        }
    }

    /**
     * JLine's raw mode (keys one by one, no echo), and no signals from keys either: Ctrl+C comes as a key and quits
     * the same way as q, and Ctrl+Z does not suspend, which would leave the shell on the alternate screen with the
     * cursor hidden. A {@code kill -STOP} and {@code fg} still can: then {@link Continued} sets the mode again.
     */
    private static Attributes screenMode(Attributes saved) {
        Attributes mode = new Attributes(saved);
        mode.setLocalFlags(EnumSet.of(Attributes.LocalFlag.ICANON, Attributes.LocalFlag.ECHO,
                Attributes.LocalFlag.IEXTEN, Attributes.LocalFlag.ISIG), false);
        mode.setInputFlags(EnumSet.of(Attributes.InputFlag.IXON, Attributes.InputFlag.ICRNL,
                Attributes.InputFlag.INLCR), false);
        mode.setControlChar(Attributes.ControlChar.VMIN, 0);
        mode.setControlChar(Attributes.ControlChar.VTIME, 1);
        return mode;
    }

    private void enterScreen(Attributes screenMode) {
        terminal.setAttributes(screenMode);
        terminal.puts(Capability.enter_ca_mode);
        terminal.puts(Capability.cursor_invisible);
        terminal.flush();
    }

    private void showUntilQuit(TopSample first, Duration interval, Attributes screenMode)
            throws IOException, InterruptedException {
        Display display = new Display(terminal, true);
        display.clear(); // the alternate screen keeps the cursor where it was: start from a cleared, homed screen
        TopSample last = first;
        TopRates rates = TopRates.NONE;
        Optional<String> problem = Optional.empty();
        Size size = terminal.getSize();
        draw(display, size, last, rates, problem);
        while (true) {
            Event event = events.take();
            if (event instanceof Quit || event instanceof Key key && isQuit(key.code())) {
                return;
            } else if (event instanceof InputFailed failed) {
                throw new IOException("reading the terminal: " + failed.cause().getMessage(), failed.cause());
            } else if (event instanceof Sampled sampled) {
                rates = TopRates.between(last, sampled.sample());
                last = sampled.sample();
                problem = Optional.empty();
            } else if (event instanceof SampleFailed failed) {
                problem = Optional.of(failed.reason() + "; trying again every " + Durations.format(interval));
            } else if (event instanceof Resized) {
                size = terminal.getSize();
                display.clear();
            } else if (event instanceof Continued) {
                enterScreen(screenMode); // the shell took the terminal back while we were stopped
                size = terminal.getSize();
                display.clear();
            } else {
                continue; // a key that means nothing here
            }
            draw(display, size, last, rates, problem);
        }
    }

    private static boolean isQuit(int key) {
        return key == 'q' || key == 'Q' || key == CTRL_C;
    }

    private static void draw(Display display, Size size, TopSample sample, TopRates rates, Optional<String> problem) {
        int columns = size.getColumns() > 0 ? size.getColumns() : FALLBACK_COLUMNS;
        int rows = size.getRows() > 0 ? size.getRows() : FALLBACK_ROWS;
        display.resize(rows, columns);
        TopView.Frame frame = TopView.render(sample, rates, problem, columns, rows, ZoneId.systemDefault());
        List<AttributedString> lines = new ArrayList<>();
        for (int i = 0; i < frame.lines().size(); i++) {
            String line = frame.lines().get(i);
            lines.add(i == frame.tableHeaderIndex()
                    ? new AttributedString(line + " ".repeat(columns - line.length()), AttributedStyle.INVERSE)
                    : new AttributedString(line));
        }
        display.update(lines, 0);
    }

    private Event sample(TopSource source) {
        try {
            return new Sampled(source.sample());
        } catch (IOException | RuntimeException e) {
            // Shown on the screen; the next interval tries again.
            return new SampleFailed(e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    private void readKeys() {
        try {
            while (true) {
                int key = terminal.reader().read();
                if (key == NonBlockingReader.EOF) {
                    events.add(new Quit()); // the terminal is gone
                    return;
                }
                if (key >= 0) {
                    events.add(new Key(key));
                }
            }
        } catch (IOException e) {
            events.add(new InputFailed(e));
        }
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    @Override
    public void close() throws IOException {
        terminal.close();
    }
}
