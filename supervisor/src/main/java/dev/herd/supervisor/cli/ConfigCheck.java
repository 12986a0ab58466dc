package dev.herd.supervisor.cli;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminPaths;
import dev.herd.supervisor.admin.AdminServer;
import dev.herd.supervisor.master.HandOver;
import dev.herd.supervisor.master.Master;
import dev.herd.supervisor.os.PosixOs;
import dev.herd.supervisor.spawn.SharedSocket;
import dev.herd.supervisor.spawn.WorkerLauncher;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code herd run --check}: the checks {@code herd run} makes before it starts anything, and those it would only
 * meet later (the worker's jar, its user, its java, the log and pid files' directories), run without starting
 * anything: no socket listens, no file is written, no process is started. A port in use is a warning, not an error:
 * the herd being checked for is often the one running there; except in the check of an upgrade
 * ({@link HandOver#CHECK_LISTEN_VARIABLE}), whose master would move to a {@code listen} it cannot bind. Prints
 * what {@code herd run} would do.
 */
final class ConfigCheck {

    private ConfigCheck() {
    }

    /** Exit 0 with a summary, or throws the first error (exit 78, as {@code herd run} would). */
    static int run(HerdConfig config, Map<String, String> environment, PrintWriter out) throws ConfigException {
        Optional<String> cannotTakeOver = HandOver.unreadableFormat(environment);
        if (cannotTakeOver.isPresent()) {
            throw new ConfigException(cannotTakeOver.get());
        }
        List<String> warnings = new ArrayList<>();
        Master.lookUpGroup(config.adminGroup());
        String workers = WorkerLauncher.checkStartable(new PosixOs(), config);
        checkFile("logFile", config.logFile(), true);
        checkFile("pidFile", config.pidFile(), false);
        Path adminSocket = AdminPaths.resolve(config.adminSocket(), environment);
        try {
            if (AdminServer.occupant(adminSocket) == AdminServer.Occupant.LIVE_MASTER) {
                warnings.add("a master answers on the admin socket " + adminSocket + " now: herd run would stop "
                        + "there, unless it is gone by then");
            }
        } catch (IOException e) {
            throw new ConfigException("\"adminSocket\": " + e.getMessage());
        }
        // The running master holds only its own address: the upgraded one would bind a new one beside it.
        String upgradingFrom = environment.get(HandOver.CHECK_LISTEN_VARIABLE);
        Optional<String> listenInUse = portInUse("listen", config.listen());
        if (upgradingFrom != null && !upgradingFrom.equals(config.listen().toString()) && listenInUse.isPresent()) {
            throw new ConfigException(listenInUse.get() + "; an upgrade would move the workers there from "
                    + upgradingFrom);
        }
        listenInUse.ifPresent(warnings::add);
        if (config.metricsListen().isPresent()) {
            portInUse("metricsListen", config.metricsListen().get()).ifPresent(warnings::add);
        }

        out.println("herd run would:");
        out.println("  listen on " + config.listen() + " (backlog " + config.backlog() + ")");
        out.println("  run " + config.workers() + (config.workers() == 1 ? " worker: " : " workers: ") + workers
                + (config.spareWorkers() > 0 ? ", and " + config.spareWorkers() + " hot spare(s)" : ""));
        out.println("  answer on the admin socket " + adminSocket);
        out.println("  log to " + config.logFile().map(Path::toString).orElse("stderr") + " ("
                + (config.logsJson() ? "json" : "text") + ")");
        config.pidFile().ifPresent(path -> out.println("  write its pid to " + path));
        config.metricsListen().ifPresent(listen -> out.println("  serve metrics and probes on http://" + listen
                + "/metrics"));
        config.source().ifPresent(file -> out.println("  from " + file));
        for (String warning : warnings) {
            out.println("warning: " + warning);
        }
        out.println("configuration OK");
        out.flush();
        return ExitCodes.OK;
    }

    private static void checkFile(String key, Optional<Path> path, boolean log) throws ConfigException {
        if (path.isEmpty()) {
            return;
        }
        try {
            if (log) {
                Log.checkFile(path.get()); // the same checks Log.toFile makes, without opening it
            } else if (Files.notExists(path.get().toAbsolutePath().getParent())) {
                throw new IOException("its directory " + path.get().toAbsolutePath().getParent() + " does not exist");
            }
        } catch (IOException e) {
            throw new ConfigException("\"" + key + "\": " + e.getMessage());
        }
    }

    /**
     * Whether something listens on the address now. A client socket bound there (never listening, so no
     * connection can reach it) fails only if a listener holds the port: SO_REUSEADDR lets it share with
     * connections in TIME_WAIT, not with a listener.
     */
    private static Optional<String> portInUse(String key, ListenAddress listen) throws ConfigException {
        if (listen.port() == 0) {
            return Optional.empty();
        }
        try (Socket probe = new Socket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(SharedSocket.resolve(listen), listen.port()));
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(key + " " + listen + " is in use now (" + e.getMessage() + "): a running herd "
                    + "holds it, or herd run would fail to bind it");
        }
    }
}
