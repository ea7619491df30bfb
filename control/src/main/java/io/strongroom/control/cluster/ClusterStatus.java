package io.strongroom.control.cluster;

/**
 * What {@code ClusterStatus} and {@code ClusterAvailabilityStatus} say about a cluster. Transitional states
 * (creating, modifying, resizing, renaming, rebooting, deleting) last while the control plane runs the
 * operation; an operation the current state forbids answers InvalidClusterState.
 *
 * <p>{@link #INACCESSIBLE_KEY} is the state of a cluster whose keys could not be loaded (KMS down, key disabled
 * or deleted, grant revoked): it does not serve; RebootCluster tries again, DeleteCluster removes it. The wire
 * name is the one AWS uses for the same condition of an RDS instance.
 */
public enum ClusterStatus {
    CREATING("creating", "Unavailable"),
    AVAILABLE("available", "Available"),
    MODIFYING("modifying", "Modifying"),
    RESIZING("resizing", "Modifying"),
    RENAMING("renaming", "Modifying"),
    REBOOTING("rebooting", "Unavailable"),
    /** RotateEncryptionKey is running: queries go on, writes pause only at the switch to the new key. */
    ROTATING_KEYS("rotating-keys", "Modifying"),
    DELETING("deleting", "Unavailable"),
    FINAL_SNAPSHOT("final-snapshot", "Unavailable"),
    INACCESSIBLE_KEY("inaccessible-encryption-credentials", "Failed"),
    /**
     * PauseCluster: the cluster does not serve, its store is closed and its keys are gone from memory; ResumeCluster
     * loads them again through the KMS (the reboot flow). Kept across restarts.
     */
    PAUSED("paused", "Paused"),
    /**
     * The HSM could not be used when the cluster was created (unreachable, refused, too old a KMIP): nothing usable
     * was made; the user deletes the cluster and tries again. Kept across restarts.
     */
    INCOMPATIBLE_HSM("incompatible-hsm", "Failed"),
    /**
     * Shown (never set) while an available cluster's disk is full: queries go on, writes are refused with SQLSTATE
     * 53100 until space is back, which needs no reboot.
     */
    STORAGE_FULL("storage-full", "Available"),
    /** The store could not be opened (integrity failure, I/O error): the event names the file. */
    HARDWARE_FAILURE("hardware-failure", "Failed");

    private final String wireName;
    private final String availability;

    ClusterStatus(String wireName, String availability) {
        this.wireName = wireName;
        this.availability = availability;
    }

    public String wireName() {
        return wireName;
    }

    /** The {@code ClusterAvailabilityStatus} that goes with this status. */
    public String availability() {
        return availability;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
