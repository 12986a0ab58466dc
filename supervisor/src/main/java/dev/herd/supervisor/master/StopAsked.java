package dev.herd.supervisor.master;

import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.os.Signal;

/**
 * Whether an event asks the master to stop: SIGTERM, SIGINT or an admin {@code stop}. An upgrade looks for one
 * still queued, which would be lost with the exec (see {@link MasterLoop#forUpgrades}). A visitor of
 * {@link MasterEvent}, so that a new kind of event does not compile until it is decided here.
 */
final class StopAsked implements MasterEvent.Handler {

    private boolean stop;

    private StopAsked() {
    }

    static boolean by(MasterEvent event) {
        StopAsked asked = new StopAsked();
        event.handleWith(asked);
        return asked.stop;
    }

    @Override
    public void signalReceived(MasterEvent.SignalReceived received) {
        stop = received.signal() == Signal.TERM || received.signal() == Signal.INT;
    }

    @Override
    public void childStateChanged(MasterEvent.ChildStateChanged changed) {
    }

    @Override
    public void workerNotified(MasterEvent.WorkerNotified notified) {
    }

    @Override
    public void metricsRequested(MasterEvent.MetricsRequested requested) {
    }

    @Override
    public void workDone(MasterEvent.WorkDone done) {
    }

    @Override
    public void adminRequested(MasterEvent.AdminRequested requested) {
        stop = requested.request().command() == AdminCommand.STOP;
    }
}
