package io.strongroom.aws;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A deadline on reading a request's body: a client that declares a body and stops sending part-way gets a typed
 * answer ({@code 408} with the API's own error, and {@code Connection: close}) when the deadline passes, instead of
 * a connection the JDK server drops without a word after its own request limit ({@code
 * sun.net.httpserver.maxReqTime}, which must stay longer than {@link #DEFAULT}).
 *
 * <p>How: a shared daemon timer answers on the exchange while the handler's thread is still blocked reading; the
 * answer closes the exchange, which ends that read with an exception. Whoever claims the exchange first answers:
 * the handler calls {@link #finish} once it has read (or drained) the body and answers only when that returns
 * true. Thread-safe; one per request.
 */
public final class BodyDeadline {
    /** How long a request's body may take to arrive: well under the JDK server's 30 s request limit. */
    public static final Duration DEFAULT = Duration.ofSeconds(20);

    private static final ScheduledThreadPoolExecutor TIMER = timer();

    /** One daemon thread; a cancelled deadline leaves the queue at once (thousands of requests a second cancel). */
    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "strongroom-body-deadline");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    private final AtomicBoolean claimed = new AtomicBoolean();
    private final ScheduledFuture<?> timer;

    private BodyDeadline(HttpExchange ex, Duration deadline, String contentType, byte[] answer) {
        // The answer is written on a virtual thread of its own: a client that reads nothing cannot hold the timer.
        this.timer = TIMER.schedule(
                () -> Thread.ofVirtual().start(() -> expire(ex, contentType, answer)),
                deadline.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the deadline of {@code ex}'s body: when it passes first, the client gets HTTP 408 with {@code answer}
     * (of {@code contentType}), and the exchange is closed.
     */
    public static BodyDeadline start(HttpExchange ex, Duration deadline, String contentType, byte[] answer) {
        return new BodyDeadline(ex, deadline, contentType, answer);
    }

    /** The body has been read: true when the handler still owns the exchange and must answer it. */
    public boolean finish() {
        timer.cancel(false);
        return claimed.compareAndSet(false, true);
    }

    private void expire(HttpExchange ex, String contentType, byte[] answer) {
        if (!claimed.compareAndSet(false, true)) {
            return;
        }
        try {
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.getResponseHeaders().set("Connection", "close");
            ex.sendResponseHeaders(408, answer.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(answer);
            }
        } catch (IOException | RuntimeException e) {
            // The client went away as well; nothing is left to tell it.
        } finally {
            ex.close();
        }
    }
}
