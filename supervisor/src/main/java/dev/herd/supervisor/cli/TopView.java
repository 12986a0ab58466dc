package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.log.ControlCharacters;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;

/**
 * Lays out one screen of {@code herd top} as plain lines that fit a width and a height: a header about the master
 * and the pool, then a table with one row per worker process, sorted by slot. No line is ever longer than the
 * width: the header's items move to further lines, table columns are dropped in a fixed order (the least telling
 * first) until the rest fit, the last-restart column is shortened before it is dropped, and whatever still does
 * not fit is cut. Rows that do not fit the height give way to a line that counts them.
 */
final class TopView {

    /** A width or height without limit (piped output). */
    static final int UNLIMITED = Integer.MAX_VALUE;

    /**
     * The lines of one screen.
     *
     * @param lines            each at most as long as the width
     * @param tableHeaderIndex which line is the table's header (drawn highlighted on a terminal)
     */
    record Frame(List<String> lines, int tableHeaderIndex) {
    }

    private enum Align { LEFT, RIGHT }

    /** What a cell is computed from. */
    private record Row(JsonNode worker, TopRates rates, Instant now) {
        boolean hasProcess() {
            return worker.path("pid").isNumber();
        }

        TopRates.WorkerRates workerRates() {
            return hasProcess() ? rates.of(worker.path("pid").asLong()) : TopRates.WorkerRates.UNKNOWN;
        }
    }

    /** The table's columns, left to right; {@link #DROP_ORDER} says which give way first. */
    private enum Column {
        // A hot spare has no slot yet ("-"); its state says spare.
        SLOT("SLOT", 4, Align.RIGHT, row -> row.worker().path("slot").asInt() == 0 ? "-"
                : row.worker().path("slot").asText()),
        PID("PID", 7, Align.RIGHT, row -> row.hasProcess() ? row.worker().path("pid").asText() : "-"),
        STATE("STATE", 8, Align.LEFT, row -> row.worker().path("state").asText()),
        UPTIME("UPTIME", 6, Align.RIGHT, row -> row.hasProcess() ? ago(row.worker().path("startedAt"), row.now())
                : "-"),
        CPU("CPU%", 6, Align.RIGHT, row -> rate(row.workerRates().cpuPercent())),
        RSS("RSS", 6, Align.RIGHT, row -> row.worker().path("residentBytes").isNumber()
                ? StatusTable.megabytes(row.worker().path("residentBytes").asLong()) : "-"),
        OPEN("OPEN", 5, Align.RIGHT, row -> row.hasProcess()
                ? row.worker().path("connectionsOpen").asText("-") : "-"),
        REQUESTS("REQ/S", 7, Align.RIGHT, row -> rate(row.workerRates().requestsPerSecond())),
        RESTARTS("RESTARTS", 8, Align.RIGHT, row -> row.worker().path("restarts").asText("-")),
        LAST_RESTART("LAST RESTART", 12, Align.LEFT, row -> lastRestart(row.worker(), row.now()));

        final String title;
        final int minWidth;
        final Align align;
        final Function<Row, String> cell;

        Column(String title, int minWidth, Align align, Function<Row, String> cell) {
            this.title = title;
            this.minWidth = minWidth;
            this.align = align;
            this.cell = cell;
        }
    }

    /** Dropped in this order until the table fits; slot, pid and state always stay. */
    private static final List<Column> DROP_ORDER = List.of(Column.UPTIME, Column.OPEN, Column.LAST_RESTART,
            Column.RESTARTS, Column.RSS, Column.CPU, Column.REQUESTS);

    /** The last-restart column is cut to fit, but not below this. */
    private static final int LAST_RESTART_MIN_WIDTH = 8;

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);

    private TopView() {
    }

    /**
     * One screen for {@code sample}.
     *
     * @param problem why the sample is not fresh (the master stopped answering), shown under the header
     * @param zone    the time zone of the clock in the first line
     */
    static Frame render(TopSample sample, TopRates rates, Optional<String> problem, int width, int height,
                        ZoneId zone) {
        JsonNode status = sample.status();
        List<String> lines = new ArrayList<>();
        wrap(lines, width, List.of(
                "herd top - " + LocalTime.ofInstant(sample.receivedAt(), zone).truncatedTo(ChronoUnit.SECONDS)
                        .format(CLOCK),
                "herd " + status.path("version").asText(),
                "master pid " + status.path("pid").asText(),
                "up " + StatusTable.age(Duration.ofSeconds(status.path("uptimeSeconds").asLong())),
                "listening on " + status.path("listen").asText()));
        JsonNode queue = status.path("listenQueue");
        List<String> pool = new ArrayList<>(List.of(
                "workers " + status.path("readyWorkers").asInt() + "/" + status.path("desiredWorkers").asInt()
                        + " ready",
                "listen queue " + (queue.isObject()
                        ? queue.path("waiting").asLong() + "/" + queue.path("limit").asLong() : "-"),
                rate(rates.poolRequestsPerSecond()) + " req/s"));
        if (status.path("stopping").asBoolean()) {
            pool.add("STOPPING");
        }
        wrap(lines, width, pool);
        wrapWords(lines, width, status.path("summary").asText());
        problem.ifPresent(text -> wrapWords(lines, width, "(" + text + ")"));
        lines.add("");

        List<JsonNode> workers = new ArrayList<>();
        status.path("workers").forEach(workers::add);
        // Stable: old before new; the spares (slot 0) last.
        workers.sort(Comparator.comparingInt(worker -> worker.path("slot").asInt() == 0 ? Integer.MAX_VALUE
                : worker.path("slot").asInt()));
        List<List<String>> cells = new ArrayList<>();
        for (JsonNode worker : workers) {
            Row row = new Row(worker, rates, sample.receivedAt());
            List<String> rowCells = new ArrayList<>();
            for (Column column : Column.values()) {
                rowCells.add(ControlCharacters.escape(column.cell.apply(row))); // worker text, before the layout
            }
            cells.add(rowCells);
        }
        Table table = Table.fitting(cells, width);
        int tableHeaderIndex = lines.size();
        lines.add(table.header());
        int room = height == UNLIMITED ? UNLIMITED : height - lines.size();
        if (cells.size() <= room) {
            cells.forEach(row -> lines.add(table.row(row)));
        } else {
            int shown = Math.max(0, room - 1);
            cells.subList(0, shown).forEach(row -> lines.add(table.row(row)));
            lines.add("+" + (cells.size() - shown) + " more (a taller terminal shows them)");
        }
        List<String> fitting = new ArrayList<>();
        for (String line : lines.subList(0, Math.min(lines.size(), height))) {
            fitting.add(cut(ControlCharacters.escape(line), width)); // and whatever else the master sent
        }
        return new Frame(List.copyOf(fitting), tableHeaderIndex);
    }

    /** The columns that fit and their widths. */
    private record Table(List<Column> columns, int[] widths) {

        static Table fitting(List<List<String>> cells, int width) {
            int[] natural = new int[Column.values().length];
            for (Column column : Column.values()) {
                natural[column.ordinal()] = Math.max(column.minWidth, column.title.length());
                for (List<String> row : cells) {
                    natural[column.ordinal()] = Math.max(natural[column.ordinal()], row.get(column.ordinal()).length());
                }
            }
            List<Column> shown = new ArrayList<>(List.of(Column.values()));
            for (int dropped = 0; ; dropped++) {
                int[] widths = natural.clone();
                int used = -1; // no gap before the first column
                for (Column column : shown) {
                    if (column != Column.LAST_RESTART) {
                        used += 1 + widths[column.ordinal()];
                    }
                }
                boolean fits;
                if (shown.contains(Column.LAST_RESTART)) {
                    int left = width - used - 1;
                    int wanted = widths[Column.LAST_RESTART.ordinal()];
                    fits = left >= Math.min(wanted, LAST_RESTART_MIN_WIDTH);
                    widths[Column.LAST_RESTART.ordinal()] = Math.min(wanted, Math.max(left, 0));
                } else {
                    fits = used <= width;
                }
                if (fits || dropped == DROP_ORDER.size()) {
                    return new Table(List.copyOf(shown), widths);
                }
                shown.remove(DROP_ORDER.get(dropped));
            }
        }

        String header() {
            List<String> titles = new ArrayList<>();
            for (Column column : Column.values()) {
                titles.add(column.title);
            }
            return row(titles);
        }

        String row(List<String> cells) {
            StringBuilder line = new StringBuilder();
            for (Column column : columns) {
                if (line.length() > 0) {
                    line.append(' ');
                }
                String cell = cells.get(column.ordinal());
                int width = widths[column.ordinal()];
                // "crash 3m ago" cut short reads "crash 3m", not "crash 3"
                String text = column == Column.LAST_RESTART ? cutAtSpace(cell, width) : cut(cell, width);
                String padding = " ".repeat(widths[column.ordinal()] - text.length());
                line.append(column.align == Align.RIGHT ? padding + text : text + padding);
            }
            return line.toString().stripTrailing();
        }
    }

    /** Appends items joined by ", ", starting a new line where the next item would not fit. */
    private static void wrap(List<String> lines, int width, List<String> items) {
        wrap(lines, width, items, ", ");
    }

    /** Appends a sentence, broken between words where it would not fit. */
    private static void wrapWords(List<String> lines, int width, String text) {
        wrap(lines, width, List.of(text.split(" ")), " ");
    }

    private static void wrap(List<String> lines, int width, List<String> items, String separator) {
        StringBuilder line = new StringBuilder();
        for (String item : items) {
            if (line.length() > 0 && line.length() + separator.length() + item.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() > 0 ? separator : "").append(item);
        }
        lines.add(line.toString());
    }

    /** "crash 3m ago": the slot's last restart and how long ago it was. */
    private static String lastRestart(JsonNode worker, Instant now) {
        if (!worker.path("lastRestartReason").isTextual()) {
            return "-";
        }
        String when = worker.path("lastRestartAt").isTextual() ? " " + ago(worker.path("lastRestartAt"), now) + " ago"
                : "";
        return worker.path("lastRestartReason").asText() + when;
    }

    /** The time from an ISO instant to {@code now}, as {@code herd status} writes it ("3m"); "-" without one. */
    private static String ago(JsonNode instant, Instant now) {
        return instant.isTextual() ? StatusTable.age(Duration.between(Instant.parse(instant.asText()), now)) : "-";
    }

    /** One decimal below 10000 ("12.5"), none above; "-" before there are rates. */
    static String rate(OptionalDouble value) {
        if (value.isEmpty()) {
            return "-";
        }
        double v = value.getAsDouble();
        return String.format(Locale.ROOT, v < 10_000 ? "%.1f" : "%.0f", v);
    }

    private static String cutAtSpace(String text, int width) {
        if (text.length() <= width) {
            return text;
        }
        int space = text.lastIndexOf(' ', width);
        return space > 0 ? text.substring(0, space) : cut(text, width);
    }

    private static String cut(String text, int width) {
        return text.length() <= width ? text : text.substring(0, width);
    }
}
