package io.strongroom.hsm.gateway;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.kmip.ResultReason;
import io.strongroom.hsm.kmip.State;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.AuthProvider;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.jspecify.annotations.Nullable;

/**
 * One partition: a PKCS#11 token reached through its own SunPKCS11 provider, plus its {@link ObjectStore}.
 *
 * <p>How this works. Opening takes an exclusive lock on {@code partitions/<label>/lock} for the life of the
 * gateway process: two writers on one token can store two keys with one CKA_LABEL, after which SunPKCS11 refuses
 * to load the token at all (hsm-kmip.md §4.3). The token's slot is found by label ({@link Pkcs11Slots}). A key is
 * generated on the token (sensitive, not extractable, per the provider's {@code attributes(generate, ...)} block)
 * and copied to a token object labelled with a fresh UUID, its KMIP Unique Identifier; the label is checked unused
 * first. GCM runs on the token with a fresh {@link Cipher} per call and the client's 12-byte IV.
 *
 * <p>Login. PKCS#11 logs a whole application in, so once the token is logged in, a wrong PIN would go unnoticed.
 * The partition therefore keeps, in memory only, a salted SHA-256 of the PIN that logged in, and from then on
 * answers a request with another PIN Authentication Not Successful itself: it never logs out and never calls
 * C_Login again. The partition password is thus fixed by the first successful login of the gateway process;
 * changing the token's PIN needs a gateway restart. C_Login runs only while the token is not logged in (first use
 * after start), and a PIN the token refused as incorrect is remembered (its digest, the last few) and refused
 * without asking the token again: real HSMs lock a partition after a few failed logins, and a client retrying with
 * a stale password would otherwise spend them. Rejected: logging out to try each new PIN on the token, which logged
 * the token out under other clients' requests and sent every wrong PIN to C_Login.
 *
 * <p>Messages. {@link #exclusively} holds the partition for a whole request message (the login check and every
 * batch item); the methods below take the same monitor, so each is also safe on its own.
 *
 * <p>Crash safety of create: token object first, then the metadata. A crash between leaves an orphan token key
 * that no KMIP id names (logged at open). Destroy: token object first, then the metadata; a crash between leaves
 * metadata whose key is gone, answered as Item Not Found, and a second Destroy finishes it.
 *
 * <p>Thread-safe: every method is synchronized on the partition (one message at a time per partition).
 */
final class Partition implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Partition.class.getName());
    private static final AtomicInteger PROVIDERS = new AtomicInteger();
    private static final int TAG_BITS = 128;
    private static final int REMEMBERED_REFUSALS = 8;

    private final String label;
    private final Provider provider;
    private final KeyStore keyStore;
    private final ObjectStore store;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final byte[] salt = new byte[16];
    private byte @Nullable [] pinDigest;
    private final List<byte[]> refusedDigests = new ArrayList<>();
    private int tokenLogins;

    private Partition(
            String label, Provider provider, KeyStore keyStore, ObjectStore store, FileChannel ch, FileLock lock) {
        this.label = label;
        this.provider = provider;
        this.keyStore = keyStore;
        this.store = store;
        this.lockChannel = ch;
        this.lock = lock;
        new SecureRandom().nextBytes(salt);
    }

    /** Opens partition {@code label} of {@code library}: lock, slot lookup, provider. Does not log in. */
    static Partition open(Path gatewayDir, String label, Path library) {
        Path dir = gatewayDir.resolve("partitions").resolve(label);
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new StrongroomException(
                        ErrorCode.INVALID_STATE,
                        "partition " + label + " is served by another gateway process (" + dir.resolve("lock")
                                + " is locked); one gateway owns each partition");
            }
            Long slot = Pkcs11Slots.of(library).slotOf(label);
            if (slot == null) {
                throw new StrongroomException(
                        ErrorCode.KEY_UNAVAILABLE,
                        "no token labelled " + label + " in " + library + "; if the partition was made by another"
                                + " process after this gateway started, restart the gateway (SoftHSM2 reads its"
                                + " token directory once)");
            }
            String config = "--name=Strongroom" + PROVIDERS.incrementAndGet() + "\n"
                    + "library=" + library.toAbsolutePath() + "\n"
                    + "slot=" + slot + "\n"
                    + "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n"
                    + "  CKA_SENSITIVE = true\n"
                    + "  CKA_EXTRACTABLE = false\n"
                    + "  CKA_ENCRYPT = true\n"
                    + "  CKA_DECRYPT = true\n"
                    + "}\n";
            Provider sunPkcs11 = Security.getProvider("SunPKCS11");
            if (sunPkcs11 == null) {
                throw new StrongroomException(ErrorCode.INTERNAL, "this JDK has no SunPKCS11 provider");
            }
            Provider provider = sunPkcs11.configure(config);
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            return new Partition(label, provider, ks, ObjectStore.open(dir), ch, lock);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            if (e instanceof StrongroomException se) {
                throw se;
            }
            throw new StrongroomException(
                    ErrorCode.KEY_UNAVAILABLE, "cannot open partition " + label + ": " + e.getMessage(), e);
        }
    }

    String label() {
        return label;
    }

    /**
     * Runs {@code work} holding this partition: no other message's login check or operation runs on it until
     * {@code work} returns. The monitor is the one every method here takes, and it is reentrant.
     */
    synchronized <T> T exclusively(Supplier<T> work) {
        return work.get();
    }

    /**
     * Checks {@code pin}: against the PIN that logged the token in when it is logged in, else by logging in with it
     * (see the class comment).
     *
     * @throws KmipFailure Authentication Not Successful when the PIN is not the partition password
     */
    synchronized void login(String pin) {
        byte[] digest = digest(pin);
        if (pinDigest != null) {
            if (MessageDigest.isEqual(pinDigest, digest)) {
                return;
            }
            throw refused();
        }
        for (byte[] r : refusedDigests) {
            if (MessageDigest.isEqual(r, digest)) {
                throw refused();
            }
        }
        char[] chars = pin.toCharArray();
        tokenLogins++;
        try {
            keyStore.load(null, chars);
        } catch (IOException | GeneralSecurityException e) {
            StringBuilder causes = new StringBuilder();
            Throwable root = e;
            for (Throwable t = e; t != null; t = t.getCause()) {
                causes.append(t.getMessage()).append(' ');
                root = t;
            }
            if (String.valueOf(root.getMessage()).contains("CKA_LABEL")) {
                // Two keys sharing a label make SunPKCS11 refuse the whole token; that is not a wrong PIN.
                LOG.log(
                        Level.ERROR,
                        "partition " + label + " is corrupted: " + root.getMessage()
                                + "; delete the duplicate with pkcs11-tool --delete-object --type secrkey --label <uid>");
                throw new KmipFailure(
                        ResultReason.GENERAL_FAILURE,
                        "partition " + label + " is corrupted (duplicate key labels); see the gateway log");
            }
            if (causes.indexOf("CKR_PIN_INCORRECT") >= 0 || causes.indexOf("CKR_PIN_LEN_RANGE") >= 0) {
                if (refusedDigests.size() == REMEMBERED_REFUSALS) {
                    refusedDigests.removeFirst();
                }
                refusedDigests.add(digest);
            } else {
                LOG.log(
                        Level.WARNING,
                        "partition " + label + ": token login failed: "
                                + causes.toString().strip());
            }
            throw refused();
        } finally {
            Arrays.fill(chars, '\0');
        }
        pinDigest = digest;
        refusedDigests.clear();
        reportOrphans();
    }

    private KmipFailure refused() {
        return new KmipFailure(
                ResultReason.AUTHENTICATION_NOT_SUCCESSFUL, "partition " + label + " refused the password");
    }

    /** How many times this partition has asked the token to log in (C_Login), for tests. */
    synchronized int tokenLogins() {
        return tokenLogins;
    }

    private void reportOrphans() {
        try {
            for (String alias : Collections.list(keyStore.aliases())) {
                if (store.get(alias) == null) {
                    LOG.log(
                            Level.WARNING,
                            "partition " + label + ": token key " + alias
                                    + " has no KMIP metadata (a create interrupted by a crash?); it is unusable through KMIP");
                }
            }
        } catch (GeneralSecurityException e) {
            LOG.log(Level.WARNING, "partition " + label + ": cannot list token keys: " + e);
        }
    }

    private byte[] digest(String pin) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(salt);
            return md.digest(pin.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(ErrorCode.INTERNAL, "no SHA-256", e);
        }
    }

    private void logout() {
        try {
            if (provider instanceof AuthProvider a) {
                a.logout();
            }
        } catch (Exception e) {
            LOG.log(Level.DEBUG, "logout of partition " + label + ": " + e);
        }
        pinDigest = null;
    }

    /** Generates an AES key of {@code lengthBits} on the token and records it Pre-Active; returns its uid. */
    synchronized ManagedKey create(
            int lengthBits, int usageMask, @Nullable String name, @Nullable String group, long now) {
        String uid = UUID.randomUUID().toString();
        try {
            if (keyStore.containsAlias(uid)) {
                throw new KmipFailure(ResultReason.GENERAL_FAILURE, "generated id " + uid + " is taken; retry");
            }
            KeyGenerator kg = KeyGenerator.getInstance("AES", provider);
            kg.init(lengthBits);
            SecretKey sessionKey = kg.generateKey();
            keyStore.setEntry(uid, new KeyStore.SecretKeyEntry(sessionKey), null);
            if (!(keyStore.getKey(uid, null) instanceof SecretKey)) {
                throw new KmipFailure(ResultReason.GENERAL_FAILURE, "the token did not keep key " + uid);
            }
        } catch (GeneralSecurityException e) {
            throw new KmipFailure(ResultReason.GENERAL_FAILURE, "the token could not generate a key: " + e);
        }
        ManagedKey k = new ManagedKey(uid, State.PRE_ACTIVE, usageMask, lengthBits, now, -1, -1, -1, now, name, group);
        store.put(k);
        return k;
    }

    synchronized @Nullable ManagedKey get(String uid) {
        return store.get(uid);
    }

    synchronized Collection<ManagedKey> all() {
        return List.copyOf(store.all());
    }

    synchronized void update(ManagedKey k) {
        store.put(k);
    }

    /** AES-GCM on the token; returns ciphertext followed by the 16-byte tag, or the plaintext. */
    synchronized byte[] gcm(String uid, boolean encrypt, byte[] data, byte[] iv, byte @Nullable [] aad) {
        Key key;
        try {
            key = keyStore.getKey(uid, null);
        } catch (GeneralSecurityException e) {
            key = null;
        }
        if (key == null) {
            throw new KmipFailure(ResultReason.ITEM_NOT_FOUND, "key " + uid + " has no key material on the token");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding", provider);
            c.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            if (aad != null && aad.length > 0) {
                c.updateAAD(aad);
            }
            return c.doFinal(data);
        } catch (AEADBadTagException e) {
            throw new KmipFailure(
                    ResultReason.CRYPTOGRAPHIC_FAILURE,
                    "the tag does not verify under key " + uid + " (wrong key, associated data, IV or ciphertext)");
        } catch (GeneralSecurityException e) {
            throw new KmipFailure(
                    ResultReason.CRYPTOGRAPHIC_FAILURE,
                    "GCM on the token failed: " + e.getClass().getSimpleName());
        }
    }

    /** Deletes the token object, then the metadata (see the class comment for a crash between). */
    synchronized void destroy(String uid) {
        try {
            if (keyStore.containsAlias(uid)) {
                keyStore.deleteEntry(uid);
            }
        } catch (GeneralSecurityException e) {
            throw new KmipFailure(ResultReason.GENERAL_FAILURE, "the token could not delete key " + uid + ": " + e);
        }
        store.remove(uid);
    }

    /** Token aliases, for tests and diagnostics. */
    synchronized List<String> tokenAliases() {
        try {
            return new ArrayList<>(Collections.list(keyStore.aliases()));
        } catch (GeneralSecurityException e) {
            throw new StrongroomException(ErrorCode.KEY_UNAVAILABLE, "cannot list partition " + label, e);
        }
    }

    @Override
    public synchronized void close() {
        logout();
        refusedDigests.clear();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "releasing the lock of partition " + label + ": " + e);
        }
        Arrays.fill(salt, (byte) 0);
    }

    @Override
    public String toString() {
        return "Partition[" + label + "]";
    }
}
