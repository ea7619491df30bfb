package io.strongroom.control.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.aws.Credential;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterEntry;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.jobs.JobEngine;
import io.strongroom.control.jobs.JobKind;
import io.strongroom.control.jobs.JobRecord;
import io.strongroom.control.jobs.JobState;
import io.strongroom.control.keyvault.AtomicFile;
import io.strongroom.control.keyvault.JsonFiles;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.peer.PeerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Cross-region snapshot copy under snapshot copy grants: CreateSnapshotCopyGrant, DescribeSnapshotCopyGrants,
 * DeleteSnapshotCopyGrant (in the destination region), EnableSnapshotCopy, DisableSnapshotCopy,
 * ModifySnapshotCopyRetentionPeriod (in the source region), and the copy of every new snapshot of a cluster whose
 * copy is enabled.
 *
 * <p>How a copy runs. When a snapshot of such a cluster becomes available, a job ({@link
 * JobKind#COPY_SNAPSHOT_REGION}) writes a {@code creating} record in the destination region, copies the image and
 * the pool blocks it needs into that region's snapshot store byte for byte (blocks are never decrypted), and moves
 * the snapshot's keys by the seed's transit scheme ({@link ClusterKeys#copyEnvelope}: an RSA key pair for this one
 * transfer, the DEK sealed under an AES-256-GCM transit key wrapped with RSA-OAEP; the transfer file in the
 * destination's {@code transit/} directory holds no key in the clear and is deleted when the copy ends); the
 * destination envelope is a new CEK from the grant's key, made by the service through the grant. The record turns
 * {@code available} last (the commit point). A restart rolls an unfinished copy back (its record and half image
 * deleted) and copies again.
 *
 * <p>Copies are kept for the copy's retention (automated: RetentionPeriod days; manual:
 * ManualSnapshotRetentionPeriod, -1 until deleted) whether or not the source cluster still exists; they are never
 * touched by the source cluster's key rotation or deletion. The destination is the same process (another region of
 * this installation) unless peers.json names another installation serving it: then {@link SnapshotCopySender} sends
 * the copy over mutual TLS and that installation's {@link SnapshotCopyReceiver} makes the RSA pair, checks the grant
 * (which lives there) and commits the copy.
 *
 * <p>Thread-safe: records are written under the control plane's lock; copies run on job threads.
 */
public final class SnapshotCopy {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GRANT_NAME = Pattern.compile("[a-z](?:[a-z0-9]|-(?!-)){0,62}");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]");

    /** A snapshot copy grant: in {@code region}, on {@code keyArn}, with the KMS grant {@code grantId}. */
    public record Grant(
            String name, String accountId, String region, String keyArn, String grantId, Instant createTime) {}

    /** A cluster's copy configuration. */
    record Config(
            String clusterId,
            String destinationRegion,
            int retentionPeriod,
            int manualRetentionPeriod,
            @Nullable String grantName) {}

    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final Path grantsDir;
    private final Path configsDir;
    private final Path snapshotsDir;
    private final Map<String, Grant> grants = new ConcurrentHashMap<>();
    private final Map<String, Config> configs = new ConcurrentHashMap<>();
    private final SnapshotCopySender remote;

    public SnapshotCopy(ControlState state, ClusterSnapshots snapshots, Path dataDir, SnapshotCopySender remote) {
        this.state = state;
        this.snapshots = snapshots;
        this.remote = remote;
        this.grantsDir = dataDir.resolve("snapshot-copy-grants");
        this.configsDir = dataDir.resolve("snapshot-copy");
        this.snapshotsDir = dataDir.resolve("snapshots");
        load();
        snapshots.onAvailable(this::snapshotAvailable);
        state.copyStatus = id -> {
            Config c = configs.get(id);
            return c == null
                    ? null
                    : new ClusterView.CopyStatus(
                            c.destinationRegion(), c.retentionPeriod(), c.manualRetentionPeriod(), c.grantName());
        };
    }

    private static String grantKey(String accountId, String region, String name) {
        return accountId + "/" + region + "/" + name;
    }

    private void load() {
        for (Path p : JsonFiles.list(grantsDir)) {
            JsonNode n = JsonFiles.readObject(p);
            Grant g = new Grant(
                    n.path("name").asText(),
                    n.path("accountId").asText(),
                    n.path("region").asText(),
                    n.path("keyArn").asText(),
                    n.path("grantId").asText(),
                    Instant.parse(n.path("createTime").asText()));
            grants.put(grantKey(g.accountId(), g.region(), g.name()), g);
        }
        for (Path p : JsonFiles.list(configsDir)) {
            JsonNode n = JsonFiles.readObject(p);
            Config c = new Config(
                    n.path("clusterId").asText(),
                    n.path("destinationRegion").asText(),
                    n.path("retentionPeriod").asInt(7),
                    n.path("manualRetentionPeriod").asInt(-1),
                    n.hasNonNull("grantName") ? n.get("grantName").asText() : null);
            configs.put(c.clusterId(), c);
        }
    }

    private static String fileName(Grant g) {
        return HexFormat.of()
                .formatHex(grantKey(g.accountId(), g.region(), g.name()).getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Grants (destination region)

    /** The grant {@code name} of {@code accountId} in {@code region}, or null (the receiving side's lookup). */
    @Nullable
    Grant grant(String accountId, String region, String name) {
        return grants.get(grantKey(accountId, region, name));
    }

    public Grant createGrant(Credential caller, String region, String name, @Nullable String kmsKeyId) {
        if (!GRANT_NAME.matcher(name).matches() || name.endsWith("-")) {
            throw RedshiftApiException.invalidParameter("SnapshotCopyGrantName must be 1 to 63 lowercase letters,"
                    + " digits or hyphens, start with a letter, and have no two hyphens in a row or a hyphen at the"
                    + " end.");
        }
        // Checked as CreateCluster checks a key: symmetric, enabled, the caller's, in this region.
        String keyArn = state.keys.resolveRootKey(caller, region, kmsKeyId);
        synchronized (state.lock) {
            if (grants.containsKey(grantKey(caller.accountId(), region, name))) {
                throw new RedshiftApiException(
                        ErrorCode.ALREADY_EXISTS,
                        "SnapshotCopyGrantAlreadyExistsFault",
                        400,
                        "The snapshot copy grant " + name + " already exists in " + region + ".");
            }
            String grantId = state.keys.grantSnapshotCopy(caller, region, keyArn, "redshift-copy-" + name);
            Grant g = new Grant(name, caller.accountId(), region, keyArn, grantId, state.clock.instant());
            ObjectNode n = JSON.createObjectNode()
                    .put("formatVersion", 1)
                    .put("name", g.name())
                    .put("accountId", g.accountId())
                    .put("region", g.region())
                    .put("keyArn", g.keyArn())
                    .put("grantId", g.grantId())
                    .put("createTime", g.createTime().toString());
            try {
                JsonFiles.write(grantsDir, fileName(g), n);
            } catch (RuntimeException e) {
                state.keys.retireGrant(region, keyArn, grantId);
                throw e;
            }
            grants.put(grantKey(g.accountId(), g.region(), g.name()), g);
            return g;
        }
    }

    public List<Grant> describeGrants(Credential caller, String region, @Nullable String name) {
        List<Grant> out = grants.values().stream()
                .filter(g ->
                        g.accountId().equals(caller.accountId()) && g.region().equals(region))
                .filter(g -> name == null || g.name().equals(name))
                .sorted(Comparator.comparing(Grant::createTime))
                .toList();
        if (name != null && out.isEmpty()) {
            throw grantNotFound(name, region);
        }
        return out;
    }

    public void deleteGrant(Credential caller, String region, String name) {
        synchronized (state.lock) {
            Grant g = grants.get(grantKey(caller.accountId(), region, name));
            if (g == null) {
                throw grantNotFound(name, region);
            }
            for (Config c : configs.values()) {
                ClusterEntry e = state.byId.get(c.clusterId());
                if (name.equals(c.grantName())
                        && c.destinationRegion().equals(region)
                        && e != null
                        && e.rec.accountId().equals(caller.accountId())) {
                    throw new RedshiftApiException(
                            ErrorCode.INVALID_STATE,
                            "InvalidSnapshotCopyGrantStateFault",
                            400,
                            "The snapshot copy grant " + name + " is in use by cluster " + e.rec.identifier()
                                    + " (region " + e.rec.region() + "); disable its snapshot copy first.");
                }
            }
            AtomicFile.delete(grantsDir.resolve(fileName(g) + ".json"));
            grants.remove(grantKey(g.accountId(), g.region(), g.name()));
            state.keys.retireGrant(region, g.keyArn(), g.grantId());
        }
    }

    private static RedshiftApiException grantNotFound(String name, String region) {
        return new RedshiftApiException(
                ErrorCode.NOT_FOUND,
                "SnapshotCopyGrantNotFoundFault",
                400,
                "The snapshot copy grant " + name + " does not exist in " + region
                        + ". Create it there with create-snapshot-copy-grant.");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Copy configuration (source region)

    @Nullable
    Config config(String clusterId) {
        return configs.get(clusterId);
    }

    public ClusterView enable(
            Credential caller,
            String region,
            String identifier,
            String destination,
            @Nullable Integer retention,
            @Nullable Integer manualRetention,
            @Nullable String grantName) {
        ClusterEntry e = state.require(caller, region, identifier);
        if (!REGION.matcher(destination).matches()) {
            throw new RedshiftApiException(
                    ErrorCode.NOT_FOUND,
                    "UnknownSnapshotCopyRegionFault",
                    404,
                    "The destination region " + destination + " is not a region name (such as us-west-2).");
        }
        if (destination.equals(region)) {
            throw RedshiftApiException.invalidParameter(
                    "The destination region must differ from the cluster's region " + region + ".");
        }
        if (state.hsm.store().binding(e.rec.id()).isPresent()) {
            throw RedshiftApiException.unsupported("Cluster " + e.rec.identifier() + " keeps its key in an HSM;"
                    + " cross-region snapshot copy works with KMS-encrypted and unencrypted clusters only.");
        }
        int days = retention == null ? 7 : retention;
        if (days < 1 || days > 35) {
            throw retentionFault("RetentionPeriod must be 1 to 35 days.");
        }
        int manual = manualRetention == null ? -1 : manualRetention;
        if (manual != -1 && (manual < 1 || manual > 3653)) {
            throw retentionFault("ManualSnapshotRetentionPeriod must be -1 or 1 to 3653 days.");
        }
        if (e.rec.encrypted() && grantName == null) {
            throw RedshiftApiException.invalidParameter("Cluster " + e.rec.identifier() + " is encrypted with KMS:"
                    + " name a snapshot copy grant of " + destination + " (SnapshotCopyGrantName).");
        }
        Optional<PeerConfig.Peer> peer = remote.peerFor(destination);
        if (peer.isPresent()) {
            // The grant lives in the installation that serves the destination: it checks grant, key and account.
            remote.checkEnable(peer.get(), caller.accountId(), destination, e.rec.encrypted() ? grantName : null);
        } else if (e.rec.encrypted() && grantName != null) {
            Grant g = grants.get(grantKey(caller.accountId(), destination, grantName));
            if (g == null) {
                throw grantNotFound(grantName, destination);
            }
            state.keys.resolveRootKey(caller, destination, g.keyArn()); // disabled or deleted keys are refused
        }
        synchronized (state.lock) {
            if (configs.containsKey(e.rec.id())) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "SnapshotCopyAlreadyEnabledFault",
                        400,
                        "Snapshot copy is already enabled for cluster " + e.rec.identifier() + ".");
            }
            saveConfig(new Config(e.rec.id(), destination, days, manual, e.rec.encrypted() ? grantName : null));
        }
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3700",
                "INFO",
                "Snapshot copy of cluster '" + e.rec.identifier() + "' to " + destination + " enabled"
                        + (grantName != null ? " under snapshot copy grant " + grantName : "") + ".",
                "management");
        return state.view(e, e.status);
    }

    public ClusterView disable(Credential caller, String region, String identifier) {
        ClusterEntry e = state.require(caller, region, identifier);
        synchronized (state.lock) {
            if (configs.remove(e.rec.id()) == null) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "SnapshotCopyAlreadyDisabledFault",
                        400,
                        "Snapshot copy is not enabled for cluster " + e.rec.identifier() + ".");
            }
            AtomicFile.delete(configsDir.resolve(e.rec.id() + ".json"));
        }
        state.event(
                e.rec,
                "REDSHIFT-EVENT-3701",
                "INFO",
                "Snapshot copy of cluster '" + e.rec.identifier() + "' disabled; copies made so far stay.",
                "management");
        return state.view(e, e.status);
    }

    public ClusterView modifyRetention(Credential caller, String region, String identifier, int days, boolean manual) {
        ClusterEntry e = state.require(caller, region, identifier);
        synchronized (state.lock) {
            Config c = configs.get(e.rec.id());
            if (c == null) {
                throw new RedshiftApiException(
                        ErrorCode.INVALID_STATE,
                        "SnapshotCopyDisabledFault",
                        400,
                        "Snapshot copy is not enabled for cluster " + e.rec.identifier() + ".");
            }
            if (manual ? days != -1 && (days < 1 || days > 3653) : days < 1 || days > 35) {
                throw retentionFault(
                        manual
                                ? "RetentionPeriod for manual copies must be -1 or 1 to 3653 days."
                                : "RetentionPeriod must be 1 to 35 days.");
            }
            saveConfig(new Config(
                    c.clusterId(),
                    c.destinationRegion(),
                    manual ? c.retentionPeriod() : days,
                    manual ? days : c.manualRetentionPeriod(),
                    c.grantName()));
            if (!manual) {
                // Automated copies already made are kept by the new period.
                for (SnapshotRecord s : List.copyOf(snapshots.records())) {
                    if (e.rec.id().equals(s.sourceClusterId()) && s.sourceRegion() != null && s.automated()) {
                        snapshots.save(s.withRetention(days));
                    }
                }
            }
        }
        return state.view(e, e.status);
    }

    private void saveConfig(Config c) {
        ObjectNode n = JSON.createObjectNode()
                .put("formatVersion", 1)
                .put("clusterId", c.clusterId())
                .put("destinationRegion", c.destinationRegion())
                .put("retentionPeriod", c.retentionPeriod())
                .put("manualRetentionPeriod", c.manualRetentionPeriod())
                .put("grantName", c.grantName());
        JsonFiles.write(configsDir, c.clusterId(), n);
        configs.put(c.clusterId(), c);
    }

    private static RedshiftApiException retentionFault(String message) {
        return new RedshiftApiException(ErrorCode.INVALID_ARGUMENT, "InvalidRetentionPeriodFault", 400, message);
    }

    /** Renaming a KMS-encrypted cluster whose snapshots are copied is refused (its name is in the context). */
    public void checkRename(ClusterEntry e) {
        if (e.rec.encrypted() && configs.containsKey(e.rec.id())) {
            throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " copies its snapshots to "
                    + configs.get(e.rec.id()).destinationRegion() + " under a snapshot copy grant, and its name is"
                    + " in the encryption context of the copies: disable snapshot copy, rename the cluster, then"
                    + " enable snapshot copy again.");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The copy

    /** A snapshot became available: if its cluster's copy is enabled, copy it (in the background). */
    private void snapshotAvailable(SnapshotRecord s) {
        Config c = s.sourceRegion() == null ? configs.get(s.sourceClusterId()) : null;
        if (c == null) {
            return;
        }
        launch(s, c, "s-" + HexFormat.of().formatHex(state.randomBytes(10)));
    }

    private void launch(SnapshotRecord s, Config c, String copyId) {
        Job job = state.jobs.create(JobRecord.start(
                state.newJobId(),
                JobKind.COPY_SNAPSHOT_REGION,
                s.accountId(),
                s.region(),
                s.identifier(),
                "",
                state.clock.instant(),
                Map.of("snapshotId", s.id(), "copyId", copyId, "destinationRegion", c.destinationRegion())));
        state.jobs.launch(job, new CopyWork(s, c, copyId));
    }

    /**
     * At start: transfer files a stop left in {@code transit/} are deleted (they hold no key in the clear, and no
     * copy reads them again: a copy starts over with a new RSA pair); unfinished copies are rolled back (record and
     * half image deleted) and run again. A copy to a peer keeps its copy id, so the receiver resumes its spool or
     * answers that the copy is done.
     */
    public void resumeJobs() {
        deleteTransitFiles();
        for (JobRecord j : state.jobs.unfinished()) {
            if (j.kind() != JobKind.COPY_SNAPSHOT_REGION) {
                continue;
            }
            Job job = state.jobs.reopen(j);
            String copyId = Objects.requireNonNull(j.attribute("copyId"));
            SnapshotRecord half = snapshots.byId(copyId);
            if (half != null && !half.available()) {
                snapshots.remove(half);
            }
            state.jobs.settle(job, JobState.ROLLED_BACK, "Stopped by a restart; the copy starts over.");
            SnapshotRecord source = snapshots.byId(j.attribute("snapshotId"));
            if (source != null && source.available() && (half == null || !half.available())) {
                Config c = configs.get(source.sourceClusterId());
                if (c != null && remote.peerFor(c.destinationRegion()).isPresent()) {
                    launch(source, c, copyId);
                } else {
                    snapshotAvailable(source);
                }
            }
        }
    }

    /** Deletes every {@code snapshots/<region>/transit/*.bin}; called at start, before any copy runs. */
    private void deleteTransitFiles() {
        for (String region : snapshots.regions()) {
            Path dir = snapshotsDir.resolve(region).resolve("transit");
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            } catch (IOException e) {
                throw new StrongroomException(ErrorCode.IO_ERROR, "cannot clean " + dir + ": " + e, e);
            }
        }
    }

    private final class CopyWork implements JobEngine.Work {
        private final SnapshotRecord s;
        private final Config c;
        private final String copyId;

        CopyWork(SnapshotRecord s, Config c, String copyId) {
            this.s = s;
            this.c = c;
            this.copyId = copyId;
        }

        @Override
        public String run(Job job) {
            String dest = c.destinationRegion();
            Optional<PeerConfig.Peer> peer = remote.peerFor(dest);
            if (peer.isPresent()) {
                return remote.copy(job, s, c, copyId, peer.get());
            }
            int retention = s.automated() ? c.retentionPeriod() : c.manualRetentionPeriod();
            job.total(s.totalBytes());
            String envelope = null;
            String keyArn = null;
            Path transit = snapshotsDir.resolve(dest).resolve("transit").resolve(copyId + ".bin");
            try {
                if (s.encrypted()) {
                    Grant g = grants.get(grantKey(s.accountId(), dest, Objects.requireNonNull(c.grantName())));
                    if (g == null) {
                        throw grantNotFound(String.valueOf(c.grantName()), dest);
                    }
                    VaultEntry source = VaultEntry.decode(s.envelopeBytes(), "snapshot " + s.identifier());
                    VaultEntry copied = state.keys.copyEnvelope(
                            source, s.region(), dest, g.keyArn(), g.grantId(), state.clock.instant(), bytes -> {
                                // What crosses between the regions, as it would on the wire: written where the
                                // destination receives it, read back there.
                                AtomicFile.write(transit, bytes);
                                try {
                                    return Files.readAllBytes(transit);
                                } catch (IOException e) {
                                    throw new StrongroomException(
                                            ErrorCode.IO_ERROR, "cannot read the snapshot transfer: " + e, e);
                                }
                            });
                    envelope = Base64.getEncoder().encodeToString(copied.encode());
                    keyArn = g.keyArn();
                }
                SnapshotRecord copy = s.copiedTo(copyId, dest, keyArn, envelope, retention);
                snapshots.save(copy);
                snapshots.track(copyId, job);
                snapshots.store(s.region()).copyInto(s.id(), snapshots.store(dest), copyId, job::advance);
                // The copy keeps what its job showed while it ran: the bytes carried into this region (its
                // "incremental" size, the whole image) and how long that took; without this the fields fell to 0.
                Job.Progress p = job.progress();
                SnapshotRecord done = copy.withStatus(
                        "available",
                        copy.totalBytes(),
                        p.doneBytes(),
                        p.elapsed().toMillis(),
                        copy.excludedTables());
                snapshots.save(done); // the commit point
                snapshots.event(
                        done,
                        "REDSHIFT-EVENT-3702",
                        "INFO",
                        "Snapshot '" + s.identifier() + "' of cluster '" + s.clusterIdentifier() + "' was copied from "
                                + s.region() + " to " + dest + (keyArn != null ? " under KMS key " + keyArn : "")
                                + ".");
                return "Snapshot " + s.identifier() + " copied to " + dest + ".";
            } finally {
                snapshots.untrack(copyId);
                try {
                    Files.deleteIfExists(transit);
                } catch (IOException ignored) {
                    // A leftover transfer holds no key in the clear; the next copy of this id never comes.
                }
            }
        }

        @Override
        public String failed(Job job, RuntimeException cause) {
            SnapshotRecord half = snapshots.byId(copyId);
            if (half != null) {
                snapshots.remove(half);
            }
            String why = StrongroomException.forClient(String.valueOf(cause.getMessage()));
            state.byId.values().stream()
                    .filter(e -> e.rec.id().equals(s.sourceClusterId()))
                    .findFirst()
                    .ifPresent(e -> state.event(
                            e.rec,
                            "REDSHIFT-EVENT-3703",
                            "ERROR",
                            "Copy of snapshot '" + s.identifier() + "' to " + c.destinationRegion() + " failed: " + why,
                            "management"));
            return "Copy failed: " + why;
        }
    }
}
