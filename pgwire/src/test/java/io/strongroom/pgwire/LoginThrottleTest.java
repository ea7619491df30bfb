package io.strongroom.pgwire;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The login throttle's delays, on an injected clock: they grow per address and per user, and reset. */
class LoginThrottleTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final LoginThrottle throttle = new LoginThrottle(now::get);

    private static InetAddress address(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    @Test
    void delaysDouble_fromOneAddress_upToTheCap() throws Exception {
        InetAddress a = address("10.0.0.1");
        assertThat(throttle.failed(a, "u1")).isEqualTo(Duration.ofMillis(100));
        assertThat(throttle.failed(a, "u2")).isEqualTo(Duration.ofMillis(200));
        assertThat(throttle.failed(a, "u3")).isEqualTo(Duration.ofMillis(400));
        Duration d = Duration.ZERO;
        for (int i = 0; i < 20; i++) {
            d = throttle.failed(a, "u" + (10 + i));
        }
        assertThat(d).isEqualTo(LoginThrottle.MAX_DELAY);
        // So a guesser from one address, after the first few tries, gets one every 10 s: 6 a minute.
    }

    @Test
    void delaysGrow_forOneUser_fromManyAddresses_andASuccessResets() throws Exception {
        for (int i = 1; i <= 5; i++) {
            throttle.failed(address("10.0.1." + i), "admin");
        }
        assertThat(throttle.failed(address("10.0.1.99"), "admin")).isEqualTo(Duration.ofMillis(3200));
        throttle.succeeded(address("10.0.1.99"), "admin");
        assertThat(throttle.failed(address("10.0.1.99"), "admin")).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void theWaitBeforeACheck_isTheSameRightOrWrong_andStartsAtZero() throws Exception {
        InetAddress a = address("10.0.3.1");
        assertThat(throttle.before(a, "u")).isZero();
        throttle.failed(a, "u");
        throttle.failed(a, "u");
        // The next attempt waits before its password is checked, whatever the password: no early answer to read.
        assertThat(throttle.before(a, "u")).isEqualTo(Duration.ofMillis(200));
        assertThat(throttle.before(a, "someone-else")).isEqualTo(Duration.ofMillis(200));
        assertThat(throttle.before(address("10.0.3.2"), "u")).isEqualTo(Duration.ofMillis(200));
        assertThat(throttle.before(address("10.0.3.2"), "v")).isZero();
    }

    @Test
    void countsAreForgotten_aWindowAfterTheLastFailure() throws Exception {
        InetAddress a = address("10.0.2.1");
        throttle.failed(a, "u");
        throttle.failed(a, "u");
        now.set(now.get().plus(LoginThrottle.WINDOW).plusSeconds(1));
        assertThat(throttle.failed(a, "u")).isEqualTo(Duration.ofMillis(100));
    }
}
