package io.strongroom.crypto;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The randomness of the hot paths (envelope nonces, block keys): one DRBG per thread (NIST SP 800-90A, the JDK's
 * Hash_DRBG with SHA-256 at 256-bit strength, seeded once from the JDK's entropy source), so that threads share no
 * lock.
 *
 * <p>Why not {@code new SecureRandom()} per thread, as before: on Linux that is NativePRNG, whose instances all
 * share one static reader of {@code /dev/urandom} and one mixing SHA1PRNG, each behind one lock. A key rotation's
 * workers seal hundreds of thousands of envelopes a second at idle OS priority; one preempted while it held those
 * locks (an idle-priority thread is preempted whenever anything else wants its core) held up commits, which need
 * a nonce and a block key too, for up to 110 ms (JFR, monitor waits in {@code NativePRNG$RandomIO}). A
 * per-thread DRBG costs about 10 µs once per thread to seed. Rejected: a striped pool of generators (a stripe held
 * by a starved thread blocks the others on it just the same).
 *
 * <p>Nonces ({@link #nonce}) are drawn from the same DRBG {@value #NONCES_PER_DRAW} at a time and handed out in
 * turn. A Hash_DRBG call costs about 0.7 µs whatever it returns (its state update hashes twice and adds big
 * numbers), which was a third of a key rotation's rewrap of one block key; one call for 256 nonces costs a few
 * hashes per 32 bytes. Nonces are public (every envelope carries its own), so holding some in the heap before use
 * gives nothing away; they are never handed out twice, because a buffer position moves on before it is copied
 * out. Block keys, which are secret, are drawn one at a time from the DRBG and never buffered.
 *
 * <p>Thread-safe: each thread gets its own instance; do not hand {@link #current()} to other threads.
 */
final class ThreadRandom {
    /** Envelope nonces drawn from the DRBG per call. */
    static final int NONCES_PER_DRAW = 256;

    static final int NONCE_BYTES = 12;

    private static final ThreadLocal<ThreadRandom> RANDOM = ThreadLocal.withInitial(ThreadRandom::new);

    private final SecureRandom drbg = newDrbg();
    private final byte[] nonces = new byte[NONCES_PER_DRAW * NONCE_BYTES];
    /** The next unused nonce's offset in {@link #nonces}; at the end, the buffer is used up. */
    private int next = nonces.length;

    private ThreadRandom() {}

    /** This thread's DRBG, for secrets (block keys) drawn one at a time. */
    static SecureRandom current() {
        return RANDOM.get().drbg;
    }

    /** Writes a fresh {@value #NONCE_BYTES}-byte nonce at {@code dst[off..]}. */
    static void nonce(byte[] dst, int off) {
        RANDOM.get().nextNonce(dst, off);
    }

    private void nextNonce(byte[] dst, int off) {
        if (next == nonces.length) {
            drbg.nextBytes(nonces);
            next = 0;
        }
        int at = next;
        next = at + NONCE_BYTES;
        System.arraycopy(nonces, at, dst, off, NONCE_BYTES);
    }

    private static SecureRandom newDrbg() {
        try {
            return SecureRandom.getInstance(
                    "DRBG", DrbgParameters.instantiation(256, DrbgParameters.Capability.NONE, null));
        } catch (NoSuchAlgorithmException e) {
            // Every JDK since 9 has it (provider SUN); without it there is no safe way on.
            throw new StrongroomException(ErrorCode.INTERNAL, "this JDK has no DRBG SecureRandom", e);
        }
    }
}
