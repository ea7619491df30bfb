package io.strongroom.control.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.keyvault.AtomicFile;
import io.strongroom.control.keyvault.JsonFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Cluster parameter groups (CreateClusterParameterGroup, DescribeClusterParameterGroups, DescribeClusterParameters,
 * ModifyClusterParameterGroup, ResetClusterParameterGroup, DeleteClusterParameterGroup) and the parameters a
 * cluster runs with. Every account and region has {@value ClusterRecord#DEFAULT_PARAMETER_GROUP}, which cannot be
 * changed or deleted; user groups of family {@code redshift-1.0} hold values that differ from the defaults. The
 * parameters served are listed in {@link #DEFINITIONS}; all are static: a cluster takes a change at its next reboot
 * (DescribeClusters shows {@code pending-reboot} until then). One JSON file per user group in {@code
 * parametergroups/}, written with {@link AtomicFile}.
 *
 * <p>Thread-safe: changes are made under the control plane's lock; the map is concurrent.
 */
public final class ParameterGroups {
    public static final String FAMILY = "redshift-1.0";
    static final int QUOTA = 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[a-z](?:[a-z0-9]|-(?!-)){0,254}");
    public static final String STATUS_UPDATED = "Your parameter group has been updated. If you changed only dynamic"
            + " parameters, associated clusters are being modified now. If you changed static parameters, all"
            + " updates, including dynamic parameters, will be applied when you reboot the associated clusters.";

    /** A parameter Strongroom serves: its name, default, type, allowed values and what it does. */
    public record Definition(
            String name,
            String defaultValue,
            String dataType,
            String allowedValues,
            String description,
            String applyType) {
        boolean isStatic() {
            return applyType.equals("static");
        }
    }

    public static final String KMS_LEASE_MINUTES = "kms_lease_minutes";

    /**
     * Which password login each client is asked for: {@code digest-scram} (the default: Redshift's SHA-256 digest,
     * code 13, to Amazon's Redshift drivers, SCRAM-SHA-256 to other clients), {@code digest-md5} (the digest to
     * Redshift's drivers, md5 to others), {@code md5} (md5, code 5, to every client, as Redshift's classic
     * endpoints ask), {@code scram} (SCRAM-SHA-256 to every client; Amazon's JDBC driver cannot log in then).
     */
    public static final String AUTH_METHODS = "auth_methods";

    /** The parameters served, by name. */
    static final Map<String, Definition> DEFINITIONS = Map.of(
            "require_ssl",
            new Definition(
                    "require_ssl",
                    "true",
                    "boolean",
                    "true,false",
                    "require TLS for all SQL connections: plain connections are refused with SQLSTATE 28000",
                    "static"),
            AUTH_METHODS,
            new Definition(
                    AUTH_METHODS,
                    "digest-scram",
                    "string",
                    "digest-scram,digest-md5,md5,scram",
                    "the password login each SQL client is asked for: digest-scram = Redshift's SHA-256 digest to"
                            + " Amazon's Redshift drivers and SCRAM-SHA-256 to others; digest-md5 = the digest to"
                            + " Redshift's drivers and MD5 to others; md5 = MD5 to every client; scram ="
                            + " SCRAM-SHA-256 to every client (Amazon's JDBC driver cannot log in)",
                    "static"),
            KMS_LEASE_MINUTES,
            new Definition(
                    KMS_LEASE_MINUTES,
                    "1440",
                    "integer",
                    "1-10080",
                    "how long a KMS cluster keeps serving on the keys it holds while the KMS cannot be reached",
                    "dynamic"));

    /** A user parameter group. */
    public record Group(
            String name,
            String accountId,
            String region,
            String description,
            Map<String, String> values,
            Map<String, String> tags,
            Instant createTime) {}

    /** A parameter as DescribeClusterParameters shows it. */
    public record Parameter(Definition definition, String value, String source) {}

    private final ControlState state;
    private final Path dir;
    private final Map<String, Group> groups = new ConcurrentHashMap<>();

    ParameterGroups(ControlState state, Path dir) {
        this.state = state;
        this.dir = dir;
        for (Path p : JsonFiles.list(dir)) {
            Group g = read(p);
            groups.put(key(g.accountId(), g.region(), g.name()), g);
        }
    }

    /** The static parameters of {@code values} (what a reboot applies). */
    static Map<String, String> staticOnly(Map<String, String> values) {
        Map<String, String> out = new TreeMap<>(values);
        out.keySet()
                .removeIf(k -> DEFINITIONS.containsKey(k) && !DEFINITIONS.get(k).isStatic());
        return out;
    }

    /** The values a cluster of {@code accountId}/{@code region} in group {@code name} runs with. */
    public Map<String, String> values(String accountId, String region, String name) {
        Map<String, String> v = new TreeMap<>();
        DEFINITIONS.values().forEach(d -> v.put(d.name(), d.defaultValue()));
        Group g = groups.get(key(accountId, region, name));
        if (g != null) {
            v.putAll(g.values());
        }
        return v;
    }

    /** Checks that group {@code name} exists for the caller (CreateCluster, ModifyCluster); returns it lowercased. */
    public String require(Credential caller, String region, String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (!n.equals(ClusterRecord.DEFAULT_PARAMETER_GROUP)
                && !groups.containsKey(key(caller.accountId(), region, n))) {
            throw notFound(name);
        }
        return n;
    }

    public Group create(
            Credential caller,
            String region,
            String name,
            String family,
            String description,
            Map<String, String> tags) {
        String n = name.toLowerCase(Locale.ROOT);
        if (!NAME.matcher(n).matches() || n.endsWith("-")) {
            throw RedshiftApiException.invalidParameter("ParameterGroupName must be 1 to 255 letters, digits or"
                    + " hyphens, start with a letter, and have no two hyphens in a row or a hyphen at the end.");
        }
        if (!family.equals(FAMILY)) {
            throw RedshiftApiException.invalidParameter(
                    "ParameterGroupFamily " + family + " is not supported; use " + FAMILY + ".");
        }
        synchronized (state.lock) {
            if (groups.containsKey(key(caller.accountId(), region, n))) {
                throw new RedshiftApiException(
                        ErrorCode.ALREADY_EXISTS,
                        "ClusterParameterGroupAlreadyExists",
                        400,
                        "The parameter group " + n + " already exists.");
            }
            if (list(caller, region).size() >= QUOTA) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "ClusterParameterGroupQuotaExceeded",
                        400,
                        "At most " + QUOTA + " parameter groups per account and region; delete one first.");
            }
            Group g = new Group(n, caller.accountId(), region, description, Map.of(), tags, state.clock.instant());
            save(g);
            return g;
        }
    }

    /** The default group (synthesised) and the caller's groups, or one of them. */
    public List<Group> describe(Credential caller, String region, @Nullable String name) {
        List<Group> all = new ArrayList<>();
        all.add(defaultGroup(caller, region));
        all.addAll(list(caller, region));
        if (name == null) {
            return all;
        }
        String n = name.toLowerCase(Locale.ROOT);
        List<Group> one = all.stream().filter(g -> g.name().equals(n)).toList();
        if (one.isEmpty()) {
            throw notFound(name);
        }
        return one;
    }

    public List<Parameter> parameters(Credential caller, String region, String name, @Nullable String source) {
        Group g = describe(caller, region, name).get(0);
        if (source != null && !List.of("user", "engine-default").contains(source)) {
            throw RedshiftApiException.invalidParameter("Source must be user or engine-default.");
        }
        List<Parameter> out = new ArrayList<>();
        for (Definition d : new TreeMap<>(DEFINITIONS).values()) {
            String v = g.values().get(d.name());
            Parameter p =
                    v == null ? new Parameter(d, d.defaultValue(), "engine-default") : new Parameter(d, v, "user");
            if (source == null || source.equals(p.source())) {
                out.add(p);
            }
        }
        return out;
    }

    /** ModifyClusterParameterGroup: sets values; a value equal to the default is kept as set by the user. */
    public void modify(Credential caller, String region, String name, Map<String, String> changes) {
        if (changes.isEmpty()) {
            throw RedshiftApiException.missing("Parameters");
        }
        Map<String, String> checked = new LinkedHashMap<>();
        changes.forEach((k, v) -> {
            Definition d = DEFINITIONS.get(k.toLowerCase(Locale.ROOT));
            if (d == null) {
                throw RedshiftApiException.invalidParameter("Parameter " + k + " is not supported; the parameters"
                        + " served are " + new TreeMap<>(DEFINITIONS).keySet() + ".");
            }
            String value = v.toLowerCase(Locale.ROOT).strip();
            if (!allowed(d, value)) {
                throw RedshiftApiException.invalidParameter(
                        "Parameter " + d.name() + " takes " + d.allowedValues() + ", not " + v + ".");
            }
            checked.put(d.name(), value);
        });
        synchronized (state.lock) {
            Group g = userGroup(caller, region, name);
            Map<String, String> values = new TreeMap<>(g.values());
            values.putAll(checked);
            save(new Group(g.name(), g.accountId(), g.region(), g.description(), values, g.tags(), g.createTime()));
        }
    }

    /** ResetClusterParameterGroup: back to the defaults, all or the named ones. */
    public void reset(Credential caller, String region, String name, boolean all, List<String> names) {
        if (!all && names.isEmpty()) {
            throw RedshiftApiException.invalidCombination("Give ResetAllParameters or the Parameters to reset.");
        }
        synchronized (state.lock) {
            Group g = userGroup(caller, region, name);
            Map<String, String> values = new TreeMap<>(g.values());
            if (all) {
                values.clear();
            } else {
                for (String n : names) {
                    if (!DEFINITIONS.containsKey(n.toLowerCase(Locale.ROOT))) {
                        throw RedshiftApiException.invalidParameter("Parameter " + n + " is not supported.");
                    }
                    values.remove(n.toLowerCase(Locale.ROOT));
                }
            }
            save(new Group(g.name(), g.accountId(), g.region(), g.description(), values, g.tags(), g.createTime()));
        }
    }

    public void delete(Credential caller, String region, String name) {
        synchronized (state.lock) {
            Group g = userGroup(caller, region, name);
            for (ClusterEntry e : state.byId.values()) {
                if (e.rec.accountId().equals(caller.accountId())
                        && e.rec.region().equals(region)
                        && e.rec.parameterGroupName().equals(g.name())) {
                    throw new RedshiftApiException(
                            ErrorCode.INVALID_STATE,
                            "InvalidClusterParameterGroupState",
                            400,
                            "The parameter group " + g.name() + " is used by cluster " + e.rec.identifier()
                                    + "; move the cluster to another group first.");
                }
            }
            AtomicFile.delete(dir.resolve(fileName(g) + ".json"));
            groups.remove(key(g.accountId(), g.region(), g.name()));
        }
    }

    /** Whether {@code value} is one of {@code d}'s allowed values: a list, or an integer range {@code lo-hi}. */
    private static boolean allowed(Definition d, String value) {
        if (d.dataType().equals("integer")) {
            String[] range = d.allowedValues().split("-");
            try {
                long v = Long.parseLong(value);
                return v >= Long.parseLong(range[0]) && v <= Long.parseLong(range[1]);
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return List.of(d.allowedValues().split(",")).contains(value);
    }

    private Group userGroup(Credential caller, String region, String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals(ClusterRecord.DEFAULT_PARAMETER_GROUP)) {
            throw new RedshiftApiException(
                    ErrorCode.INVALID_STATE,
                    "InvalidClusterParameterGroupState",
                    400,
                    "The default parameter group cannot be changed or deleted; create a parameter group of your own"
                            + " (create-cluster-parameter-group) and move the cluster to it.");
        }
        Group g = groups.get(key(caller.accountId(), region, n));
        if (g == null) {
            throw notFound(name);
        }
        return g;
    }

    private List<Group> list(Credential caller, String region) {
        return groups.values().stream()
                .filter(g ->
                        g.accountId().equals(caller.accountId()) && g.region().equals(region))
                .sorted(Comparator.comparing(Group::createTime))
                .toList();
    }

    private static Group defaultGroup(Credential caller, String region) {
        return new Group(
                ClusterRecord.DEFAULT_PARAMETER_GROUP,
                caller.accountId(),
                region,
                "Default parameter group for " + FAMILY,
                Map.of(),
                Map.of(),
                Instant.EPOCH);
    }

    private static RedshiftApiException notFound(String name) {
        return new RedshiftApiException(
                ErrorCode.NOT_FOUND,
                "ClusterParameterGroupNotFound",
                404,
                "The parameter group " + name + " does not exist; create it with create-cluster-parameter-group.");
    }

    private void save(Group g) {
        ObjectNode n = JSON.createObjectNode()
                .put("formatVersion", 1)
                .put("name", g.name())
                .put("accountId", g.accountId())
                .put("region", g.region())
                .put("family", FAMILY)
                .put("description", g.description())
                .put("createTime", g.createTime().toString());
        ObjectNode v = n.putObject("values");
        g.values().forEach(v::put);
        ObjectNode t = n.putObject("tags");
        g.tags().forEach(t::put);
        JsonFiles.write(dir, fileName(g), n);
        groups.put(key(g.accountId(), g.region(), g.name()), g);
    }

    private static Group read(Path p) {
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(p));
            Map<String, String> values = new TreeMap<>();
            n.path("values")
                    .properties()
                    .forEach(e -> values.put(e.getKey(), e.getValue().asText()));
            Map<String, String> tags = new LinkedHashMap<>();
            n.path("tags")
                    .properties()
                    .forEach(e -> tags.put(e.getKey(), e.getValue().asText()));
            return new Group(
                    n.path("name").asText(),
                    n.path("accountId").asText(),
                    n.path("region").asText(),
                    n.path("description").asText(""),
                    values,
                    tags,
                    Instant.parse(n.path("createTime").asText()));
        } catch (IOException | RuntimeException e) {
            throw new StrongroomException(ErrorCode.INTEGRITY_FAILURE, "parameter group " + p + " is damaged: " + e, e);
        }
    }

    private static String key(String accountId, String region, String name) {
        return accountId + "/" + region + "/" + name;
    }

    private static String fileName(Group g) {
        return HexFormat.of().formatHex(key(g.accountId(), g.region(), g.name()).getBytes(StandardCharsets.UTF_8));
    }
}
