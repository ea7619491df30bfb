package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
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

    @Test
    void nonces_areNeverHandedOutTwice_acrossRefillsAndThreads() throws InterruptedException {
        int perThread = ThreadRandom.NONCES_PER_DRAW * 5 + 7;
        Set<ByteBuffer> seen = Collections.synchronizedSet(new HashSet<>());
        Runnable draw = () -> {
            for (int i = 0; i < perThread; i++) {
                byte[] b = new byte[ThreadRandom.NONCE_BYTES + 2];
                ThreadRandom.nonce(b, 1);
                // Only the 12 bytes asked for are written.
                assertThat(b[0]).isZero();
                assertThat(b[b.length - 1]).isZero();
                seen.add(ByteBuffer.wrap(b, 1, ThreadRandom.NONCE_BYTES).slice());
            }
        };
        Thread t = Thread.ofPlatform().start(draw);
        draw.run();
        t.join();
        assertThat(seen).hasSize(2 * perThread);
    }

    @Test
    void envelopes_sealedInARow_haveDistinctNonces() {
        try (BlockKey k = BlockKey.generate()) {
            Set<ByteBuffer> nonces = new HashSet<>();
            AssociatedData ad = AssociatedData.of("test/nonce").with("n", 1).build();
            for (int i = 0; i < 2 * ThreadRandom.NONCES_PER_DRAW + 1; i++) {
                byte[] env = Envelope.seal(k.aead(), 1, ad, new byte[1], 0, 1);
                nonces.add(ByteBuffer.wrap(env, 32, ThreadRandom.NONCE_BYTES).slice());
            }
            assertThat(nonces).hasSize(2 * ThreadRandom.NONCES_PER_DRAW + 1);
        }
    }
}
