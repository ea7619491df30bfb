package io.strongroom.pgwire;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing: each failed login from an address, or for a user, makes the next failure from that
 * address or for that user wait longer before it is answered (100 ms, doubling, at most {@link #MAX_DELAY}), so a
 * guesser gets a handful of tries a minute instead of dozens a second, from one connection or from many. A success
 * clears both counts; counts are forgotten {@link #WINDOW} after their last failure.
 *
 * <p>Every attempt waits the delay earned so far before its password is checked ({@link #before}), right or
 * wrong, so a guesser cannot read an early answer as a success; a user who mistyped waits a moment once.
 *
 * <p>Thread-safe. Bounded: at most {@link #MAX_ENTRIES} addresses and users are tracked; past that, the oldest are
 * dropped.
 */
final class LoginThrottle {
    static final Duration FIRST_DELAY = Duration.ofMillis(100);
    static final Duration MAX_DELAY = Duration.ofSeconds(10);
    static final Duration WINDOW = Duration.ofMinutes(15);
    static final int MAX_ENTRIES = 10_000;

    private record Failures(int count, Instant last) {}

    private final InstantSource clock;
    private final Map<String, Failures> byKey = new ConcurrentHashMap<>();

    LoginThrottle(InstantSource clock) {
        this.clock = clock;
    }

    /**
     * How long a login attempt of {@code user} from {@code from} waits before its password is checked, right or
     * wrong: the delay the failures so far have earned. Waiting before the check, whatever its outcome, is what makes
     * the delay cost a guesser anything (a delay served only to failures would tell one that silence means wrong).
     */
    Duration before(InetAddress from, String user) {
        Instant cutoff = clock.instant().minus(WINDOW);
        int n = 0;
        for (String key : new String[] {addressKey(from), userKey(user)}) {
            Failures f = byKey.get(key);
            if (f != null && !f.last().isBefore(cutoff)) {
                n = Math.max(n, f.count());
            }
        }
        return delay(n);
    }

    /** Records a failed login of {@code user} from {@code from}; returns the delay the next attempt will wait. */
    Duration failed(InetAddress from, String user) {
        Instant now = clock.instant();
        int n = Math.max(bump(addressKey(from), now), bump(userKey(user), now));
        if (byKey.size() > MAX_ENTRIES) {
            forgetOldest();
        }
        return delay(n);
    }

    /** A successful login: the counts of its address and user start again. */
    void succeeded(InetAddress from, String user) {
        byKey.remove(addressKey(from));
        byKey.remove(userKey(user));
    }

    /** The wait after the {@code n}-th failure in a row: 100 ms, doubling, at most {@link #MAX_DELAY}. */
    static Duration delay(int n) {
        if (n <= 0) {
            return Duration.ZERO;
        }
        long ms = FIRST_DELAY.toMillis() << Math.min(n - 1, 20);
        return Duration.ofMillis(Math.min(ms, MAX_DELAY.toMillis()));
    }

    private int bump(String key, Instant now) {
        return byKey.merge(
                        key,
                        new Failures(1, now),
                        (old, one) -> old.last().plus(WINDOW).isBefore(now) ? one : new Failures(old.count() + 1, now))
                .count();
    }

    private void forgetOldest() {
        Instant cutoff = clock.instant().minus(WINDOW);
        byKey.values().removeIf(f -> f.last().isBefore(cutoff));
        while (byKey.size() > MAX_ENTRIES) {
            byKey.entrySet().stream()
                    .min(Map.Entry.comparingByValue((a, b) -> a.last().compareTo(b.last())))
                    .ifPresent(e -> byKey.remove(e.getKey(), e.getValue()));
        }
    }

    private static String addressKey(InetAddress a) {
        return "address " + a.getHostAddress();
    }

    private static String userKey(String user) {
        return "user " + user;
    }

    @Override
    public String toString() {
        return "LoginThrottle[" + byKey.size() + " tracked]";
    }
}
