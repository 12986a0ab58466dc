package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.os.Signal;
import java.util.OptionalInt;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A thread of the master that dies is logged and stops the master with a named exit code; never silence. */
class ThreadDeathsTest {

    @RegisterExtension
    final LogCapture log = new LogCapture();

    @Test
    void aThreadThatDiesIsLoggedAndStopsTheMasterWithItsExitCode() throws Exception {
        LinkedBlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
        ThreadDeaths deaths = new ThreadDeaths(events);
        assertEquals(OptionalInt.empty(), deaths.exitCode());
        Thread dying = new Thread(() -> {
            throw new IllegalStateException("a bug in the worker I/O thread");
        }, "herd-worker-io");
        dying.setUncaughtExceptionHandler(deaths);

        dying.start();
        dying.join(TimeUnit.SECONDS.toMillis(10));

        assertEquals(new MasterEvent.SignalReceived(Signal.TERM), events.poll(10, TimeUnit.SECONDS));
        assertEquals(OptionalInt.of(71), deaths.exitCode());
        log.expect(Log.Level.ERROR, "the herd-worker-io thread died: java.lang.IllegalStateException: a bug in the "
                + "worker I/O thread; stopping the master (it will exit 71)");
    }
}
