package io.strongroom.control.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the control plane keeps durably about one cluster ({@code clusters/<id>.json}, written with {@code
 * AtomicFile}). The master password is kept only as verifiers (SCRAM-SHA-256 and Redshift's digest: {@link PasswordVerifier}); no key
 * material is here (the key vault has the wrapped keys). Immutable; {@code with...} methods copy.
 *
 * @param id internal id, stable across renames: names the key vault entry, the store and the DEK binding
 * @param identifier the ClusterIdentifier (lowercase), unique per account and region
 * @param accountId the owning account
 * @param region the region the cluster lives in (from the creating request's credential scope)
 * @param nodeType node type
 * @param numberOfNodes compute nodes
 * @param masterUsername the master user
 * @param passwordVerifier the verifiers of the master password ({@link PasswordVerifier})
 * @param dbName the first database
 * @param port the port of the cluster's endpoint
 * @param createTime when CreateCluster ran
 * @param encrypted whether the store is encrypted
 * @param kmsKeyArn the root key's ARN when encrypted
 * @param storeDir the store directory's name under the control plane's {@code data/} directory
 * @param namespaceId a UUID, the namespace ARN's last part
 * @param deleting true once DeleteCluster started: a restart finishes the deletion
 * @param tags the cluster's tags, in order
 * @param automatedSnapshotRetentionPeriod days automated snapshots are kept (0: none taken)
 * @param manualSnapshotRetentionPeriod days, -1 for forever
 * @param parameterGroupName the cluster parameter group ({@link #DEFAULT_PARAMETER_GROUP} unless given)
 */
public record ClusterRecord(
        String id,
        String identifier,
        String accountId,
        String region,
        NodeType nodeType,
        int numberOfNodes,
        String masterUsername,
        String passwordVerifier,
        String dbName,
        int port,
        Instant createTime,
        boolean encrypted,
        @Nullable String kmsKeyArn,
        String storeDir,
        String namespaceId,
        boolean deleting,
        Map<String, String> tags,
        int automatedSnapshotRetentionPeriod,
        int manualSnapshotRetentionPeriod,
        String parameterGroupName) {
    public static final int FORMAT_VERSION = 1;
    /** The parameter group every cluster has unless it names another (and clusters recorded before there were any). */
    public static final String DEFAULT_PARAMETER_GROUP = "default.redshift-1.0";

    private static final ObjectMapper JSON = new ObjectMapper();

    public ClusterRecord {
        Objects.requireNonNull(id);
        Objects.requireNonNull(identifier);
        tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        if (encrypted != (kmsKeyArn != null)) {
            throw new IllegalArgumentException("an encrypted cluster names its KMS key, an unencrypted one none");
        }
    }

    public String arn() {
        return "arn:aws:redshift:" + region + ":" + accountId + ":cluster:" + identifier;
    }

    public String namespaceArn() {
        return "arn:aws:redshift:" + region + ":" + accountId + ":namespace:" + namespaceId;
    }

    public boolean singleNode() {
        return numberOfNodes == 1;
    }

    public ClusterRecord withIdentifier(String newIdentifier) {
        return new ClusterRecord(
                id,
                newIdentifier,
                accountId,
                region,
                nodeType,
                numberOfNodes,
                masterUsername,
                passwordVerifier,
                dbName,
                port,
                createTime,
                encrypted,
                kmsKeyArn,
                storeDir,
                namespaceId,
                deleting,
                tags,
                automatedSnapshotRetentionPeriod,
                manualSnapshotRetentionPeriod,
                parameterGroupName);
    }

    public ClusterRecord withPasswordVerifier(String verifier) {
        return new ClusterRecord(
                id,
                identifier,
                accountId,
                region,
                nodeType,
                numberOfNodes,
                masterUsername,
                verifier,
                dbName,
                port,
                createTime,
                encrypted,
                kmsKeyArn,
                storeDir,
                namespaceId,
                deleting,
                tags,
                automatedSnapshotRetentionPeriod,
                manualSnapshotRetentionPeriod,
                parameterGroupName);
    }

    public ClusterRecord withLayout(NodeType type, int nodes, String newStoreDir) {
        return new ClusterRecord(
                id,
                identifier,
                accountId,
                region,
                type,
                nodes,
                masterUsername,
                passwordVerifier,
                dbName,
                port,
                createTime,
                encrypted,
                kmsKeyArn,
                newStoreDir,
                namespaceId,
                deleting,
                tags,
                automatedSnapshotRetentionPeriod,
                manualSnapshotRetentionPeriod,
                parameterGroupName);
    }

    public ClusterRecord withDeleting() {
        return new ClusterRecord(
                id,
                identifier,
                accountId,
                region,
                nodeType,
                numberOfNodes,
                masterUsername,
                passwordVerifier,
                dbName,
                port,
                createTime,
                encrypted,
                kmsKeyArn,
                storeDir,
                namespaceId,
                true,
                tags,
                automatedSnapshotRetentionPeriod,
                manualSnapshotRetentionPeriod,
                parameterGroupName);
    }

    /** This record under another KMS root key (a root key change; the encryption context stays frozen). */
    /** Under another root key (an encrypted cluster), or null: the cluster encrypted by it, or decrypted. */
    public ClusterRecord withKmsKeyArn(@Nullable String keyArn) {
        return new ClusterRecord(
                id,
                identifier,
                accountId,
                region,
                nodeType,
                numberOfNodes,
                masterUsername,
                passwordVerifier,
                dbName,
                port,
                createTime,
                keyArn != null,
                keyArn,
                storeDir,
                namespaceId,
                deleting,
                tags,
                automatedSnapshotRetentionPeriod,
                manualSnapshotRetentionPeriod,
                parameterGroupName);
    }

    /** With {@code next} as its tags. */
    public ClusterRecord withTags(Map<String, String> next) {
        return new ClusterRecord(
                id,
                identifier,
                accountId,
                region,
                nodeType,
                numberOfNodes,
                masterUsername,
                passwordVerifier,
                dbName,
                port,
                createTime,
                encrypted,
                kmsKeyArn,
                storeDir,
                namespaceId,
                deleting,
                next,
                automatedSnapshotRetentionPeriod,
                manualSnapshotRetentionPeriod,
                parameterGroupName);
    }

    public ClusterRecord withRetention(int automated, int manual) {
        return new ClusterRecord(
                id,
                identifier,
                accountId,
                region,
                nodeType,
                numberOfNodes,
                masterUsername,
                passwordVerifier,
                dbName,
                port,
                createTime,
                encrypted,
                kmsKeyArn,
                storeDir,
                namespaceId,
                deleting,
                tags,
                automated,
                manual,
                parameterGroupName);
    }

    /** In parameter group {@code name}. */
    public ClusterRecord withParameterGroup(String name) {
        return new ClusterRecord(
                id,
                identifier,
                accountId,
                region,
                nodeType,
                numberOfNodes,
                masterUsername,
                passwordVerifier,
                dbName,
                port,
                createTime,
                encrypted,
                kmsKeyArn,
                storeDir,
                namespaceId,
                deleting,
                tags,
                automatedSnapshotRetentionPeriod,
                manualSnapshotRetentionPeriod,
                name);
    }

    public byte[] toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("formatVersion", FORMAT_VERSION)
                .put("id", id)
                .put("identifier", identifier)
                .put("accountId", accountId)
                .put("region", region)
                .put("nodeType", nodeType.wireName())
                .put("numberOfNodes", numberOfNodes)
                .put("masterUsername", masterUsername)
                .put("passwordVerifier", passwordVerifier)
                .put("dbName", dbName)
                .put("port", port)
                .put("createTime", createTime.toString())
                .put("encrypted", encrypted)
                .put("kmsKeyArn", kmsKeyArn)
                .put("storeDir", storeDir)
                .put("namespaceId", namespaceId)
                .put("deleting", deleting)
                .put("automatedSnapshotRetentionPeriod", automatedSnapshotRetentionPeriod)
                .put("manualSnapshotRetentionPeriod", manualSnapshotRetentionPeriod)
                .put("parameterGroupName", parameterGroupName);
        ObjectNode t = n.putObject("tags");
        tags.forEach(t::put);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode cluster record " + id, e);
        }
    }

    public static ClusterRecord fromJson(byte[] data, String place) {
        try {
            JsonNode n = JSON.readTree(data);
            if (n == null || !n.isObject()) {
                throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "cluster record " + place + " is not JSON");
            }
            int v = n.path("formatVersion").asInt(-1);
            if (v != FORMAT_VERSION) {
                throw new StrongroomException(
                        ErrorCode.UNSUPPORTED_FORMAT,
                        "cluster record " + place + " has format version " + v + "; this build reads "
                                + FORMAT_VERSION);
            }
            Map<String, String> tags = new LinkedHashMap<>();
            n.path("tags")
                    .properties()
                    .forEach(e -> tags.put(e.getKey(), e.getValue().asText()));
            String type = req(n, "nodeType", place);
            String kms = n.hasNonNull("kmsKeyArn") ? n.get("kmsKeyArn").asText() : null;
            return new ClusterRecord(
                    req(n, "id", place),
                    req(n, "identifier", place),
                    req(n, "accountId", place),
                    req(n, "region", place),
                    NodeType.of(type)
                            .orElseThrow(() -> new StrongroomException(
                                    ErrorCode.INTEGRITY_FAILURE,
                                    "cluster record " + place + " names unknown node type " + type)),
                    n.path("numberOfNodes").asInt(),
                    req(n, "masterUsername", place),
                    req(n, "passwordVerifier", place),
                    req(n, "dbName", place),
                    n.path("port").asInt(),
                    Instant.parse(req(n, "createTime", place)),
                    n.path("encrypted").asBoolean(),
                    kms,
                    req(n, "storeDir", place),
                    req(n, "namespaceId", place),
                    n.path("deleting").asBoolean(),
                    tags,
                    n.path("automatedSnapshotRetentionPeriod").asInt(1),
                    n.path("manualSnapshotRetentionPeriod").asInt(-1),
                    n.hasNonNull("parameterGroupName")
                            ? n.get("parameterGroupName").asText()
                            : DEFAULT_PARAMETER_GROUP);
        } catch (IOException | RuntimeException e) {
            if (e instanceof StrongroomException s) {
                throw s;
            }
            throw new StrongroomException(
                    ErrorCode.INTEGRITY_FAILURE, "cluster record " + place + " is damaged: " + e.getMessage(), e);
        }
    }

    private static String req(JsonNode n, String field, String place) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "cluster record " + place + " lacks " + field);
        }
        return v.asText();
    }

    @Override
    public String toString() {
        return "ClusterRecord[" + identifier + " (" + id + "), " + accountId + "/" + region + ", " + nodeType + " x"
                + numberOfNodes + (encrypted ? ", KMS key " + kmsKeyArn : ", unencrypted") + "]";
    }
}
