package io.strongroom.pgwire;

/**
 * Seals the random password of a TLS key store under a key the store's files never hold, so that a copy of the TLS
 * directory alone opens no private key: a cluster's key store is sealed under that cluster's database key (it opens
 * only while the cluster's key hierarchy is loaded, and becomes unreadable with it), the authority's under the
 * installation passphrase. {@link TlsAuthority} keeps what {@link #seal} returns beside the key store.
 *
 * <p>Implementations are thread-safe; {@link #open} throws {@link io.strongroom.base.StrongroomException} when the
 * sealed bytes do not open under the current key (damaged, or sealed under a key since rotated away).
 */
public interface KeyStoreSeal {
    /** {@code password} sealed; the caller zeroes its copy. */
    byte[] seal(byte[] password);

    /** What {@link #seal} sealed; the caller zeroes the result. */
    byte[] open(byte[] sealed);

    /** What the seal is under, for messages (never a secret). */
    String describe();
}
