package io.strongroom.control.keys;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The crypto-shredding report of one cluster identifier of an account in a region (issue 20, item 4; docs/security.md
 * "Crypto-shredding"): everything this installation still holds that wrapped the cluster's CEK or DEK, or that holds
 * its data under keys of its own, each with the root key it depends on and whether it could still be read; the state
 * of every root key involved, as the KMS says now; and the verdict. It works whether or not the cluster still exists:
 * items are found by the cluster's ARN and internal ids, in every region. Made by {@link ClusterShredding}.
 *
 * <p>Invariants: {@link #shredded} is true exactly when no item is {@link Item#readable readable}; an item is
 * unreadable only when it is encrypted under a KMS root key that the KMS says no longer exists (NotFound), and it
 * is not a running cluster (whose keys are in memory). A key pending deletion, disabled, or whose state could not be
 * learnt counts as readable: a pending deletion can still be cancelled, a disabled key enabled again. HSM-protected
 * items are reported by the item only (the HSM key's state is not asked) and count as readable while they exist. So
 * the verdict errs only towards "not shredded".
 *
 * <p>Nothing here is secret: names, ARNs, states and dates. Immutable and thread-safe.
 *
 * @param cluster the ClusterIdentifier asked about (lowercase)
 * @param clusterArn the cluster's ARN, which its encryption context names
 * @param checkedAt when the report was made (the control plane's clock)
 * @param shredded the verdict: true (SHREDDED) when nothing readable remains
 * @param items what remains, readable or not, in every region
 * @param rootKeys every root key an item depends on or an earlier report of this cluster saw, with its state now
 * @param actions what to do, one step a line, for every readable item (empty when shredded)
 * @param notes what the report cannot prove, and what is recommended even when shredded
 */
public record ShredReport(
        String cluster,
        String accountId,
        String region,
        String clusterArn,
        Instant checkedAt,
        boolean shredded,
        List<Item> items,
        List<RootKey> rootKeys,
        List<String> actions,
        List<String> notes) {
    public static final String SHREDDED = "SHREDDED";
    public static final String NOT_SHREDDED = "NOT_SHREDDED";

    public ShredReport {
        items = List.copyOf(items);
        rootKeys = List.copyOf(rootKeys);
        actions = List.copyOf(actions);
        notes = List.copyOf(notes);
        if (shredded != items.stream().noneMatch(Item::readable)) {
            throw new IllegalArgumentException("the verdict must say shredded exactly when no item is readable");
        }
    }

    /** {@value #SHREDDED} or {@value #NOT_SHREDDED}. */
    public String verdict() {
        return shredded ? SHREDDED : NOT_SHREDDED;
    }

    /** The items that could still be read. */
    public List<Item> readable() {
        return items.stream().filter(Item::readable).toList();
    }

    /** The kinds of {@link Item}, with the name the API and the command show. */
    public enum Kind {
        /** The cluster itself (under its current identifier, should it have been renamed). */
        CLUSTER("cluster"),
        /** Its key vault entry: the CEK wrapped by the root key, the DEK wrapped by the CEK. */
        KEY_VAULT_ENTRY("key-vault-entry"),
        /** The entry a key rotation was moving to, left beside the current one. */
        PENDING_KEY_VAULT_ENTRY("pending-key-vault-entry"),
        /** A store directory of the cluster still on disk (blocks under block keys wrapped by the DEK). */
        STORE("store"),
        /** A snapshot taken in the cluster's region (its envelope holds the CEK and DEK, wrapped). */
        SNAPSHOT("snapshot"),
        /** A copy of one of its snapshots in another region (its envelope is under that region's key). */
        SNAPSHOT_COPY("snapshot-copy"),
        /** A cluster restored from one of its snapshots: the data under keys of its own. */
        RESTORED_CLUSTER("restored-cluster");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /**
     * One thing that remains.
     *
     * @param name the identifier (snapshot, cluster) or the cluster's internal id (vault entry, store)
     * @param region where it is
     * @param status its status (available, creating, ...) or what it is
     * @param protection {@code KMS}, {@code HSM} or {@code none}
     * @param rootKeyArn the root key it depends on, or null (unencrypted, or not known)
     * @param readable whether it could still be read
     * @param reason why it is readable or not, in words
     */
    public record Item(
            Kind kind,
            String name,
            String region,
            String status,
            String protection,
            @Nullable String rootKeyArn,
            boolean readable,
            String reason) {}

    /**
     * A root key and its state as the KMS answered now.
     *
     * @param state the KMS KeyState ({@code Enabled}, {@code Disabled}, {@code PendingDeletion}, ...), {@code
     *     Deleted} when the KMS says the key does not exist, or {@code Unknown} when it could not be asked
     * @param deletionDate when a key pending deletion will be deleted, else null
     * @param keyManager {@code CUSTOMER} or {@code AWS} when known, else null
     * @param detail what the KMS answered, when the state is not plain (a refusal, no answer)
     */
    public record RootKey(
            String keyArn,
            String region,
            String state,
            @Nullable Instant deletionDate,
            @Nullable String keyManager,
            @Nullable String detail) {
        public static final String DELETED = "Deleted";
        public static final String UNKNOWN = "Unknown";

        /** Whether the KMS says the key no longer exists: only then is what it wraps unreadable. */
        public boolean deleted() {
            return state.equals(DELETED);
        }

        /** The AWS CLI command that schedules this key's deletion, the last step of a shredding. */
        public String scheduleDeletionCommand() {
            return "aws kms schedule-key-deletion --key-id " + keyArn + " --pending-window-in-days 7 --region "
                    + region;
        }
    }
}
