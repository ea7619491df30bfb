package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Nonces and block keys come from a generator of the calling thread's own, which shares no lock. */
class ThreadRandomTest {
    @Test
    void eachThread_getsItsOwnDrbg_atFullStrength() throws InterruptedException {
        SecureRandom mine = ThreadRandom.current();
        AtomicReference<SecureRandom> theirs = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> theirs.set(ThreadRandom.current()));
        t.join();
        assertThat(ThreadRandom.current()).isSameAs(mine);
        assertThat(theirs.get()).isNotNull().isNotSameAs(mine);
        // Not NativePRNG, whose instances all share one lock (see ThreadRandom).
        assertThat(mine.getAlgorithm()).isEqualTo("DRBG");
        assertThat(mine.getParameters()).hasToString("256,reseed_only,null");
    }
}
