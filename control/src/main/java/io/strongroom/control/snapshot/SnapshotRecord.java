package io.strongroom.control.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.keyvault.VaultEntry;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the control plane keeps durably about one snapshot ({@code snapshots/<region>/records/<image id>.json}):
 * the Snapshot shape's fields, the snapshot's status, and, for an encrypted snapshot, its key envelope (the source
 * cluster's key vault entry as it was when the snapshot was taken: the CEK wrapped by the KMS key with the
 * cluster's encryption context, and the DEK wrapped by the CEK). Nothing here is secret. The record's status is
 * the snapshot's commit point: {@code available} is written only after the image is complete. Immutable.
 *
 * @param id the image id in the region's snapshot store (internal, stable)
 * @param identifier the SnapshotIdentifier
 * @param sourceClusterId the internal id of the cluster it was taken from
 * @param type {@code manual} or {@code automated}
 * @param status {@code creating}, {@code available} or {@code failed}
 * @param envelope the encoded key vault entry of the source cluster, base64; null when unencrypted
 * @param manualRetentionDays -1 (keep until deleted) or days
 * @param excludedTables qualified names of the BACKUP NO tables left out (reported in restore events)
 * @param sourceRegion the region a cross-region copy was copied from (its envelope is under this region's key),
 *     null for a snapshot taken in this region
 */
public record SnapshotRecord(
        String id,
        String identifier,
        String accountId,
        String region,
        String clusterIdentifier,
        String sourceClusterId,
        String type,
        String status,
        Instant createTime,
        Instant clusterCreateTime,
        String nodeType,
        int numberOfNodes,
        String dbName,
        String masterUsername,
        String passwordVerifier,
        int port,
        boolean encrypted,
        @Nullable String kmsKeyArn,
        @Nullable String envelope,
        int manualRetentionDays,
        long totalBytes,
        long incrementalBytes,
        long elapsedMillis,
        List<String> excludedTables,
        @Nullable String sourceRegion) {
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    public SnapshotRecord {
        excludedTables = List.copyOf(excludedTables);
    }

    public boolean automated() {
        return type.equals("automated");
    }

    public boolean available() {
        return status.equals("available");
    }

    String arn() {
        return "arn:aws:redshift:" + region + ":" + accountId + ":snapshot:" + clusterIdentifier + "/" + identifier;
    }

    /** Whether the snapshot's keys are under a CEK inside an HSM (its envelope says so). */
    public boolean encryptedWithHsm() {
        return envelope != null
                && VaultEntry.decode(envelopeBytes(), identifier).hsmProtected();
    }

    public byte[] envelopeBytes() {
        if (envelope == null) {
            throw new IllegalStateException("snapshot " + identifier + " is not encrypted");
        }
        return Base64.getDecoder().decode(envelope);
    }

    SnapshotRecord withStatus(String next, long total, long incremental, long elapsed, List<String> excluded) {
        return new SnapshotRecord(
                id,
                identifier,
                accountId,
                region,
                clusterIdentifier,
                sourceClusterId,
                type,
                next,
                createTime,
                clusterCreateTime,
                nodeType,
                numberOfNodes,
                dbName,
                masterUsername,
                passwordVerifier,
                port,
                encrypted,
                kmsKeyArn,
                envelope,
                manualRetentionDays,
                total,
                incremental,
                elapsed,
                excluded,
                sourceRegion);
    }

    SnapshotRecord withStatus(String next) {
        return withStatus(next, totalBytes, incrementalBytes, elapsedMillis, excludedTables);
    }

    SnapshotRecord withRetention(int days) {
        return new SnapshotRecord(
                id,
                identifier,
                accountId,
                region,
                clusterIdentifier,
                sourceClusterId,
                type,
                status,
                createTime,
                clusterCreateTime,
                nodeType,
                numberOfNodes,
                dbName,
                masterUsername,
                passwordVerifier,
                port,
                encrypted,
                kmsKeyArn,
                envelope,
                days,
                totalBytes,
                incrementalBytes,
                elapsedMillis,
                excludedTables,
                sourceRegion);
    }

    /** This snapshot with its key envelope replaced (a key rotation rewrapped it under the new CEK). */
    public SnapshotRecord withEnvelope(String newEnvelope) {
        return new SnapshotRecord(
                id,
                identifier,
                accountId,
                region,
                clusterIdentifier,
                sourceClusterId,
                type,
                status,
                createTime,
                clusterCreateTime,
                nodeType,
                numberOfNodes,
                dbName,
                masterUsername,
                passwordVerifier,
                port,
                encrypted,
                kmsKeyArn,
                newEnvelope,
                manualRetentionDays,
                totalBytes,
                incrementalBytes,
                elapsedMillis,
                excludedTables,
                sourceRegion);
    }

    /** A manual copy of this snapshot as image {@code newId}, named {@code newIdentifier}, status creating. */
    SnapshotRecord copyAs(String newId, String newIdentifier, int retentionDays, Instant now) {
        return new SnapshotRecord(
                newId,
                newIdentifier,
                accountId,
                region,
                clusterIdentifier,
                sourceClusterId,
                "manual",
                "creating",
                now,
                clusterCreateTime,
                nodeType,
                numberOfNodes,
                dbName,
                masterUsername,
                passwordVerifier,
                port,
                encrypted,
                kmsKeyArn,
                envelope,
                retentionDays,
                totalBytes,
                0,
                0,
                excludedTables,
                sourceRegion);
    }

    /**
     * The copy of this snapshot in region {@code destRegion} as image {@code newId}: its envelope under that region's
     * key {@code destKeyArn}, status creating, kept {@code retentionDays} (-1: until deleted).
     */
    SnapshotRecord copiedTo(
            String newId,
            String destRegion,
            @Nullable String destKeyArn,
            @Nullable String destEnvelope,
            int retentionDays) {
        return new SnapshotRecord(
                newId,
                identifier,
                accountId,
                destRegion,
                clusterIdentifier,
                sourceClusterId,
                type,
                "creating",
                createTime,
                clusterCreateTime,
                nodeType,
                numberOfNodes,
                dbName,
                masterUsername,
                passwordVerifier,
                port,
                encrypted,
                destKeyArn,
                destEnvelope,
                retentionDays,
                totalBytes,
                0,
                0,
                excludedTables,
                region);
    }

    /**
     * This record, received from another installation ({@code copiedTo} there), as it is kept here: in this
     * installation's account {@code localAccountId} (the peer's account mapped by peers.json), with this region's
     * key and envelope, available.
     */
    SnapshotRecord receivedAs(String localAccountId, @Nullable String keyArn, @Nullable String destEnvelope) {
        return new SnapshotRecord(
                id,
                identifier,
                localAccountId,
                region,
                clusterIdentifier,
                sourceClusterId,
                type,
                "available",
                createTime,
                clusterCreateTime,
                nodeType,
                numberOfNodes,
                dbName,
                masterUsername,
                passwordVerifier,
                port,
                encrypted,
                keyArn,
                destEnvelope,
                manualRetentionDays,
                totalBytes,
                0,
                0,
                excludedTables,
                sourceRegion);
    }

    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("formatVersion", FORMAT_VERSION)
                .put("id", id)
                .put("identifier", identifier)
                .put("accountId", accountId)
                .put("region", region)
                .put("clusterIdentifier", clusterIdentifier)
                .put("sourceClusterId", sourceClusterId)
                .put("type", type)
                .put("status", status)
                .put("createTime", createTime.toString())
                .put("clusterCreateTime", clusterCreateTime.toString())
                .put("nodeType", nodeType)
                .put("numberOfNodes", numberOfNodes)
                .put("dbName", dbName)
                .put("masterUsername", masterUsername)
                .put("passwordVerifier", passwordVerifier)
                .put("port", port)
                .put("encrypted", encrypted)
                .put("kmsKeyArn", kmsKeyArn)
                .put("envelope", envelope)
                .put("manualRetentionDays", manualRetentionDays)
                .put("totalBytes", totalBytes)
                .put("incrementalBytes", incrementalBytes)
                .put("elapsedMillis", elapsedMillis);
        excludedTables.forEach(n.putArray("excludedTables")::add);
        if (sourceRegion != null) {
            n.put("sourceRegion", sourceRegion);
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode snapshot record " + id, e);
        }
    }

    public static SnapshotRecord fromJson(byte[] data, String place) {
        try {
            JsonNode n = JSON.readTree(data);
            if (n == null || !n.isObject()) {
                throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "snapshot record " + place + " is not JSON");
            }
            int v = n.path("formatVersion").asInt(-1);
            if (v != FORMAT_VERSION) {
                throw new StrongroomException(
                        ErrorCode.UNSUPPORTED_FORMAT,
                        "snapshot record " + place + " has format version " + v + "; this build reads "
                                + FORMAT_VERSION);
            }
            List<String> excluded = new ArrayList<>();
            n.path("excludedTables").forEach(e -> excluded.add(e.asText()));
            return new SnapshotRecord(
                    req(n, "id", place),
                    req(n, "identifier", place),
                    req(n, "accountId", place),
                    req(n, "region", place),
                    req(n, "clusterIdentifier", place),
                    req(n, "sourceClusterId", place),
                    req(n, "type", place),
                    req(n, "status", place),
                    Instant.parse(req(n, "createTime", place)),
                    Instant.parse(req(n, "clusterCreateTime", place)),
                    req(n, "nodeType", place),
                    n.path("numberOfNodes").asInt(),
                    req(n, "dbName", place),
                    req(n, "masterUsername", place),
                    req(n, "passwordVerifier", place),
                    n.path("port").asInt(),
                    n.path("encrypted").asBoolean(),
                    n.hasNonNull("kmsKeyArn") ? n.get("kmsKeyArn").asText() : null,
                    n.hasNonNull("envelope") ? n.get("envelope").asText() : null,
                    n.path("manualRetentionDays").asInt(-1),
                    n.path("totalBytes").asLong(),
                    n.path("incrementalBytes").asLong(),
                    n.path("elapsedMillis").asLong(),
                    excluded,
                    n.hasNonNull("sourceRegion") ? n.get("sourceRegion").asText() : null);
        } catch (IOException | RuntimeException e) {
            if (e instanceof StrongroomException s) {
                throw s;
            }
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "snapshot record " + place + " is damaged: " + e.getMessage(), e);
        }
    }

    private static String req(JsonNode n, String field, String place) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "snapshot record " + place + " lacks " + field);
        }
        return v.asText();
    }

    @Override
    public String toString() {
        return "SnapshotRecord[" + identifier + " (" + id + ") of " + clusterIdentifier + ", " + type + ", " + status
                + (encrypted ? ", KMS key " + kmsKeyArn : ", unencrypted") + "]";
    }
}
