package io.strongroom.crypto;

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
 * per-thread DRBG costs about 0.4 µs per call against about 0.2 µs for NativePRNG uncontended, and about 10 µs
 * once per thread to seed. Rejected: a striped pool of generators (a stripe held by a starved thread blocks the
 * others on it just the same).
 *
 * <p>Thread-safe: each thread gets its own instance (itself thread-safe); do not hand it to other threads.
 */
final class ThreadRandom {
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(ThreadRandom::newDrbg);

    private ThreadRandom() {}

    static SecureRandom current() {
        return RANDOM.get();
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
