package io.strongroom.crypto;

import java.lang.reflect.Method;
import java.security.GeneralSecurityException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.time.Duration;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * The JCA provider that runs AES-256-GCM, chosen once per process.
 *
 * <p>How the choice is made: the Amazon Corretto Crypto Provider (ACCP, OpenSSL-class speed with no JIT
 * warm-up) when its jar is on the class path, it loads on this platform and it passes its own health check;
 * otherwise the JDK's SunJCE. ACCP is looked up by reflection so this module compiles against the JDK alone.
 * SunJCE runs GCM about 50 times slower until C2 compiles its intrinsics (about 10 s of 1 MiB operations), so
 * when SunJCE is chosen {@link #warmUpInBackground()} runs that warm-up off the request path.
 *
 * <p>Setting the system property {@code strongroom.crypto.provider=SunJCE} forces SunJCE (used to compare
 * the two). Thread-safe; ciphers are cached per thread.
 */
public final class CryptoProvider {
    private static final String ACCP_CLASS = "com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider";

    private static final CryptoProvider INSTANCE = select();

    private final Provider provider;
    private final String report;
    private final ThreadLocal<Cipher> gcm;
    private volatile boolean warm;

    private CryptoProvider(Provider provider, String report, boolean warm) {
        this.provider = provider;
        this.report = report;
        this.warm = warm;
        this.gcm = ThreadLocal.withInitial(this::newGcmCipher);
    }

    /** The provider this process uses. */
    public static CryptoProvider get() {
        return INSTANCE;
    }

    private static CryptoProvider select() {
        String forced = System.getProperty("strongroom.crypto.provider", "");
        String accpProblem;
        if (forced.equalsIgnoreCase("SunJCE")) {
            accpProblem = "SunJCE forced by strongroom.crypto.provider";
        } else {
            try {
                Class<?> c = Class.forName(ACCP_CLASS);
                Provider p = (Provider) c.getField("INSTANCE").get(null);
                Method assertHealthy = c.getMethod("assertHealthy");
                assertHealthy.invoke(p);
                probe(p);
                return new CryptoProvider(p, "AES-256-GCM by " + p.getName() + " " + p.getVersionStr(), true);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException | GeneralSecurityException e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                accpProblem = "Amazon Corretto Crypto Provider unavailable ("
                        + root.getClass().getSimpleName() + ")";
            }
        }
        Provider sun = Security.getProvider("SunJCE");
        if (sun == null) {
            throw new IllegalStateException("this JDK has no SunJCE provider; Strongroom needs AES-256-GCM");
        }
        return new CryptoProvider(sun, "AES-256-GCM by SunJCE; " + accpProblem, false);
    }

    private static void probe(Provider p) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding", p);
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(new byte[32], "AES"), new GCMParameterSpec(128, new byte[12]));
        c.doFinal(new byte[16]);
    }

    private Cipher newGcmCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding", provider);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/GCM/NoPadding missing from " + provider.getName(), e);
        }
    }

    /** A new AES/GCM/NoPadding cipher of the chosen provider, for benchmarks that compare against raw GCM. */
    public Cipher newRawGcmCipher() {
        return newGcmCipher();
    }

    /** This thread's GCM cipher; callers init it before every use. */
    Cipher gcm() {
        return gcm.get();
    }

    public String providerName() {
        return provider.getName();
    }

    /** One line for the start-up log: which provider, and why not the faster one if so. */
    public String report() {
        return report + (warm ? "" : " (warming up)");
    }

    /** True when GCM runs at full speed: ACCP always, SunJCE once warmed up. */
    public boolean isWarm() {
        return warm;
    }

    /**
     * Starts the SunJCE warm-up on a daemon thread and returns it, or returns null when nothing needs warming.
     * The thread encrypts and decrypts 64 KiB buffers until C2 has compiled the GCM path, bounded by {@code
     * limit}.
     */
    public @Nullable Thread warmUpInBackground(Duration limit) {
        if (warm) {
            return null;
        }
        Thread t = Thread.ofPlatform().daemon().name("strongroom-gcm-warmup").unstarted(() -> warmUp(limit));
        t.start();
        return t;
    }

    /** Runs the warm-up on this thread. */
    public void warmUp(Duration limit) {
        if (warm) {
            return;
        }
        long deadline = System.nanoTime() + limit.toNanos();
        byte[] key = new byte[32];
        byte[] iv = new byte[12];
        byte[] buf = new byte[64 * 1024];
        byte[] out = new byte[buf.length + 16];
        SecureRandom random = new SecureRandom();
        random.nextBytes(key);
        Cipher c = newGcmCipher();
        SecretKeySpec spec = new SecretKeySpec(key, "AES");
        // About 20,000 calls of 64 KiB get both the Java loops and the intrinsic stubs compiled by C2.
        for (int i = 0; i < 20_000 && System.nanoTime() < deadline; i++) {
            try {
                iv[0] = (byte) i;
                iv[1] = (byte) (i >>> 8);
                c.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(128, iv));
                int n = c.doFinal(buf, 0, buf.length, out, 0);
                c.init(Cipher.DECRYPT_MODE, spec, new GCMParameterSpec(128, iv));
                c.doFinal(out, 0, n, buf, 0);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("GCM warm-up failed", e);
            }
        }
        Arrays.fill(key, (byte) 0);
        warm = true;
    }

    @Override
    public String toString() {
        return report();
    }
}
