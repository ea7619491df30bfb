package io.strongroom.control.cluster;

import io.strongroom.base.ErrorCode;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The rules for request parameters of the cluster and snapshot operations: identifiers, node types and counts,
 * master user name, password and database name, retention periods. Each check answers the API error the real
 * service answers (InvalidParameterValue, InvalidParameterCombination, InvalidRetentionPeriodFault, ...) and
 * returns the value in the form it is stored in (identifiers lowercased).
 *
 * <p>Kept apart from the operations so that each operation reads as its flow, and so that the same rule (an
 * identifier, a retention period) is written once for every operation that takes it. Stateless; thread-safe.
 */
public final class ClusterParameters {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)");
    private static final Pattern USERNAME = Pattern.compile("[a-z][a-z0-9_$]{0,127}");
    private static final Pattern DB_NAME = Pattern.compile("[a-z_][a-z0-9_$]{0,63}");
    private static final Set<String> RESERVED_USERS = Set.of("rdsadmin", "postgres", "public", "user", "admin!");
    private static final Pattern SNAPSHOT_IDENTIFIER = Pattern.compile("[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}(?<!-)");

    private ClusterParameters() {}

    /** A master user name, lowercased; reserved words are refused. */
    public static String masterUsername(String raw) {
        String user = raw.toLowerCase(Locale.ROOT);
        if (!USERNAME.matcher(user).matches() || RESERVED_USERS.contains(user)) {
            throw RedshiftApiException.invalidParameter("MasterUsername must have 1 to 128 letters, digits,"
                    + " underscores or dollar signs, start with a letter, and not be a reserved word.");
        }
        return user;
    }

    /** A database name, lowercased; {@code dev} when none is given. */
    public static String dbName(@Nullable String raw) {
        String db = raw == null ? "dev" : raw.toLowerCase(Locale.ROOT);
        if (!DB_NAME.matcher(db).matches()) {
            throw RedshiftApiException.invalidParameter(
                    "DBName must have 1 to 64 letters, digits, underscores or dollar signs and start with a letter.");
        }
        return db;
    }

    /** A cluster identifier, lowercased; {@code parameter} names the request parameter in the error. */
    public static String identifier(String raw, String parameter) {
        String id = raw.toLowerCase(Locale.ROOT);
        if (!IDENTIFIER.matcher(id).matches()) {
            throw RedshiftApiException.invalidParameter(parameter + " must have 1 to 63 lowercase letters, digits"
                    + " or hyphens, start with a letter, and not end with a hyphen or contain two consecutive"
                    + " hyphens.");
        }
        return id;
    }

    /** A node type by its wire name. */
    public static NodeType nodeType(String raw) {
        return NodeType.of(raw)
                .orElseThrow(() -> RedshiftApiException.invalidParameter("Invalid node type: " + raw + ". Supported:"
                        + " ra3.xlplus, ra3.4xlarge, ra3.16xlarge, dc2.large, dc2.8xlarge, ds2.xlarge, ds2.8xlarge."));
    }

    /** The number of nodes for {@code type}, checked against ClusterType (which may be absent) and its limits. */
    public static int nodeCount(NodeType type, @Nullable String clusterType, @Nullable Integer requested) {
        if (clusterType != null && !clusterType.equals("single-node") && !clusterType.equals("multi-node")) {
            throw RedshiftApiException.invalidParameter("ClusterType must be single-node or multi-node.");
        }
        int nodes;
        if ("single-node".equals(clusterType)) {
            if (requested != null && requested != 1) {
                throw RedshiftApiException.invalidCombination(
                        "A single-node cluster has 1 node; NumberOfNodes " + requested + " needs multi-node.");
            }
            nodes = 1;
        } else if ("multi-node".equals(clusterType)) {
            if (requested == null || requested < 2) {
                throw RedshiftApiException.invalidParameter("A multi-node cluster needs NumberOfNodes of 2 or more.");
            }
            nodes = requested;
        } else {
            nodes = requested == null ? 1 : requested;
        }
        if (nodes < 1) {
            throw RedshiftApiException.invalidParameter("NumberOfNodes must be at least 1.");
        }
        if (nodes == 1 && !type.allowsSingleNode()) {
            throw RedshiftApiException.invalidCombination("Node type " + type
                    + " does not support single-node clusters; use " + type.minMultiNodes() + " or more nodes.");
        }
        if (nodes > type.maxNodes()) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "NumberOfNodesPerClusterLimitExceeded",
                    400,
                    "Node type " + type + " allows at most " + type.maxNodes() + " nodes per cluster.");
        }
        return nodes;
    }

    /** Checks a master password without ever putting it in a message. */
    public static void checkPassword(String p) {
        boolean upper = false;
        boolean lower = false;
        boolean digit = false;
        boolean bad = p.length() < 8 || p.length() > 64;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            upper |= c >= 'A' && c <= 'Z';
            lower |= c >= 'a' && c <= 'z';
            digit |= c >= '0' && c <= '9';
            bad |= c < 33 || c > 126 || "'\"\\/@".indexOf(c) >= 0;
        }
        if (bad || !upper || !lower || !digit) {
            throw RedshiftApiException.invalidParameter("MasterUserPassword must have 8 to 64 printable ASCII"
                    + " characters with at least one uppercase letter, one lowercase letter and one digit, and no"
                    + " space, ' \" \\ / or @.");
        }
    }

    /** A retention period in days within {@code [min, max]}; {@code dflt} when none is given. */
    public static int retention(@Nullable Integer v, int dflt, int min, int max, String name) {
        if (v == null) {
            return dflt;
        }
        if (v < min || v > max) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "InvalidRetentionPeriodFault",
                    400,
                    name + " must be between " + min + " and " + max + ".");
        }
        return v;
    }

    /** A manual snapshot retention period in days; -1 (keep until deleted) when none is given. */
    public static int manualRetention(@Nullable Integer v) {
        if (v == null) {
            return -1;
        }
        if (v != -1 && (v < 1 || v > 3653)) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_ARGUMENT,
                    "InvalidRetentionPeriodFault",
                    400,
                    "ManualSnapshotRetentionPeriod must be -1 or between 1 and 3653.");
        }
        return v;
    }

    /** A snapshot identifier, as given (snapshot identifiers keep their case). */
    public static String snapshotIdentifier(String raw) {
        if (!SNAPSHOT_IDENTIFIER.matcher(raw).matches()) {
            throw RedshiftApiException.invalidParameter("SnapshotIdentifier must have 1 to 255 letters, digits or"
                    + " hyphens, start with a letter, and not end with a hyphen or contain two consecutive hyphens.");
        }
        return raw;
    }
}
