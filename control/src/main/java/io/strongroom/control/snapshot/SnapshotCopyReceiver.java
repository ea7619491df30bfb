package io.strongroom.control.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.keyvault.AtomicFile;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.peer.CopyStream;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.control.peer.PeerException;
import io.strongroom.control.peer.PeerService;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.KeyTransfer;
import io.strongroom.storage.SnapshotTransfer;
import io.strongroom.storage.format.DurableFiles;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The receiving side of a snapshot copy from another installation (a {@link PeerService}; the sender is {@link
 * SnapshotCopySender}).
 *
 * <p>How it works. {@code check} (at the sender's EnableSnapshotCopy) maps the sender's account through peers.json
 * and checks the grant in this installation and its key, as the service principal. {@code begin} does the same
 * checks, makes this transfer's RSA-3072 key pair ({@link KeyTransfer#start}; the private key only in this object's
 * memory), opens a spool ({@code snapshots/<region>/incoming/<copy id>/}) and answers the public key and the blocks
 * neither the region's pool nor the spool holds. {@code send} reads the {@link CopyStream} into the spool (the sealed
 * key as {@code transit.bin}, image files, blocks checked against their fingerprints), then commits: the DEK is
 * opened with the private key and wrapped under a new CEK from the grant's key with the source cluster's encryption
 * context ({@link ClusterKeys#openTransfer}), the private key is closed, the image is moved into the region's
 * snapshot store and marked, and the record is written {@code available}: the commit point. No record exists before
 * it, so no half copy is ever listed; a crash before it leaves a marked image no record names, which the store's
 * recovery deletes. A failed or cut {@code send} closes the key pair at once (the sender begins again, with a new
 * pair) and keeps the spool, so the blocks already received are not sent again. A begun transfer not sent within
 * {@link #PENDING_FOR} is dropped; at start every spool is deleted.
 *
 * <p>Thread-safe: pending transfers are in a concurrent map and each is received under its own lock.
 */
public final class SnapshotCopyReceiver implements PeerService {
    static final Duration PENDING_FOR = Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern COPY_ID = Pattern.compile("s-[0-9a-f]{20}");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]");

    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final SnapshotCopy copy;
    private final Path snapshotsDir;
    private final FaultHook hooks;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    /** A begun transfer. */
    private record Pending(
            String peer,
            SnapshotRecord record,
            SnapshotCopy.@Nullable Grant grant,
            @Nullable KeyTransfer transfer,
            String clusterId,
            int dekVersion,
            EncryptionContext context,
            SnapshotTransfer.Incoming incoming,
            Instant begun) {
        void close() {
            if (transfer != null) {
                transfer.close();
            }
        }
    }

    public SnapshotCopyReceiver(
            ControlState state, ClusterSnapshots snapshots, SnapshotCopy copy, Path dataDir, FaultHook hooks) {
        this.state = state;
        this.snapshots = snapshots;
        this.copy = copy;
        this.snapshotsDir = dataDir.resolve("snapshots");
        this.hooks = hooks;
    }

    /** At start: spools of transfers a stop cut short are deleted (their senders begin again). */
    public void recover() {
        for (String region : snapshots.regions()) {
            DurableFiles.deleteTree(snapshotsDir.resolve(region).resolve("incoming"));
        }
    }

    /** Closes every pending transfer's key pair. */
    public void close() {
        for (Pending p : pending.values()) {
            p.close();
        }
        pending.clear();
    }

    private static PeerException refuse(ErrorCode code, String wireCode, int status, String message) {
        return new PeerException(code, wireCode, status, message);
    }

    private static PeerException refuse(RedshiftApiException e) {
        return new PeerException(e.code(), e.wireCode(), e.httpStatus(), String.valueOf(e.getMessage()));
    }

    /** The account of this installation that {@code from}'s account {@code sourceAccount} maps to. */
    private static String account(PeerConfig.Peer from, String sourceAccount) {
        String ours = from.accounts().get(sourceAccount);
        if (ours == null) {
            throw refuse(
                    ErrorCode.ACCESS_DENIED,
                    "UnauthorizedOperation",
                    403,
                    "Account " + sourceAccount + " of peer " + from.name() + " is not mapped to an account of the"
                            + " destination installation: add it to the peer's \"accounts\" in its peers.json.");
        }
        return ours;
    }

    private static String region(JsonNode q) {
        String region = q.path("region").asText("");
        if (!REGION.matcher(region).matches()) {
            throw refuse(
                    ErrorCode.INVALID_ARGUMENT, "UnknownSnapshotCopyRegionFault", 404, "No region " + region + ".");
        }
        return region;
    }

    /** The grant the copy names, checked with its key; null for an unencrypted snapshot. */
    private SnapshotCopy.@Nullable Grant grant(String account, String region, @Nullable String grantName) {
        if (grantName == null) {
            return null;
        }
        SnapshotCopy.Grant g = copy.grant(account, region, grantName);
        if (g == null) {
            throw refuse(
                    ErrorCode.NOT_FOUND,
                    "SnapshotCopyGrantNotFoundFault",
                    400,
                    "The snapshot copy grant " + grantName + " does not exist in " + region + " of the destination"
                            + " installation. Create it there with create-snapshot-copy-grant.");
        }
        try {
            state.keys.checkCopyKey(region, g.keyArn());
        } catch (RedshiftApiException e) {
            throw refuse(e);
        }
        return g;
    }

    private static @Nullable String text(JsonNode q, String field) {
        return q.hasNonNull(field) ? q.get(field).asText() : null;
    }

    @Override
    public ObjectNode checkCopy(PeerConfig.Peer from, JsonNode q) {
        String account = account(from, q.path("sourceAccountId").asText());
        SnapshotCopy.Grant g = grant(account, region(q), text(q, "grantName"));
        ObjectNode out = JSON.createObjectNode().put("accountId", account);
        return g == null ? out : out.put("keyArn", g.keyArn());
    }

    @Override
    public ObjectNode beginCopy(PeerConfig.Peer from, JsonNode q) {
        sweep();
        String copyId = q.path("copyId").asText("");
        if (!COPY_ID.matcher(copyId).matches()) {
            throw refuse(
                    ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, "copyId " + copyId + " is malformed");
        }
        String account = account(from, q.path("sourceAccountId").asText());
        String region = region(q);
        SnapshotRecord existing = snapshots.byId(copyId);
        if (existing != null) {
            if (existing.available()
                    && existing.accountId().equals(account)
                    && existing.region().equals(region)) {
                return JSON.createObjectNode().put("state", "done");
            }
            throw refuse(ErrorCode.ALREADY_EXISTS, "ClusterSnapshotAlreadyExists", 400, "Copy " + copyId + " exists.");
        }
        SnapshotRecord record;
        byte[] blockList;
        try {
            record = SnapshotRecord.fromJson(
                    Base64.getDecoder().decode(q.path("record").asText()), "from " + from.name());
            blockList = Base64.getDecoder().decode(q.path("blockList").asText());
        } catch (IllegalArgumentException e) {
            throw refuse(
                    ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, "record or block list is not base64");
        }
        if (!record.id().equals(copyId) || !record.region().equals(region) || record.sourceRegion() == null) {
            throw refuse(ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, "the record is not of this copy");
        }
        SnapshotCopy.Grant g = grant(account, region, record.encrypted() ? text(q, "grantName") : null);
        if (record.encrypted() && g == null) {
            throw refuse(
                    ErrorCode.INVALID_ARGUMENT, "InvalidParameterValue", 400, "an encrypted copy needs a grant name");
        }
        Map<String, String> context = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = q.path("context").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            context.put(e.getKey(), e.getValue().asText());
        }
        SnapshotTransfer.Incoming incoming = SnapshotTransfer.receive(
                snapshots.store(region),
                blockList,
                snapshotsDir.resolve(region).resolve("incoming").resolve(copyId));
        KeyTransfer transfer = record.encrypted() ? KeyTransfer.start(state.random) : null;
        Pending p = new Pending(
                from.name(),
                record.receivedAs(account, g == null ? null : g.keyArn(), null),
                g,
                transfer,
                q.path("clusterId").asText(record.sourceClusterId()),
                q.path("dekVersion").asInt(1),
                EncryptionContext.of(context),
                incoming,
                state.clock.instant());
        Pending old = pending.put(copyId, p);
        if (old != null) {
            old.close();
        }
        ObjectNode out = JSON.createObjectNode().put("state", "send");
        if (transfer != null) {
            out.put("publicKey", Base64.getEncoder().encodeToString(transfer.publicKey()));
        }
        ArrayNode missing = out.putArray("missing");
        incoming.missing().forEach(missing::add);
        return out;
    }

    /** Drops transfers begun more than {@link #PENDING_FOR} ago and never sent. */
    private void sweep() {
        Instant limit = state.clock.instant().minus(PENDING_FOR);
        pending.entrySet().removeIf(e -> {
            if (e.getValue().begun().isBefore(limit)) {
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    @Override
    public ObjectNode receiveCopy(PeerConfig.Peer from, String copyId, InputStream body) {
        Pending p = pending.remove(copyId);
        if (p == null || !p.peer().equals(from.name())) {
            if (p != null) {
                pending.putIfAbsent(copyId, p);
            }
            throw refuse(
                    ErrorCode.IO_ERROR,
                    "InvalidSnapshotCopyState",
                    409,
                    "Copy " + copyId + " was not begun" + " (or was cut short); begin it again.");
        }
        // Removed from the map: this thread alone uses p, and whatever happens its key pair is closed below.
        try {
            return receive(p, copyId, body);
        } finally {
            p.close();
        }
    }

    private ObjectNode receive(Pending p, String copyId, InputStream body) {
        SnapshotTransfer.Incoming in = p.incoming();
        Path spool = in.spool();
        byte[][] sealed = {null};
        CopyStream.read(body, copyId, new CopyStream.Parts() {
            @Override
            public void keyTransfer(byte[] transfer) {
                AtomicFile.write(spool.resolve("transit.bin"), transfer);
                sealed[0] = transfer;
                hooks.reached(new PeerService.ReceivedPart(copyId, "key"), spool);
            }

            @Override
            public void file(String path, long length, InputStream data) {
                in.acceptFile(path, length, data);
                hooks.reached(new PeerService.ReceivedPart(copyId, "file"), spool);
            }

            @Override
            public void block(int index, long length, InputStream data) {
                if (index >= in.blockCount() || length != in.blockSize(index)) {
                    throw new StrongroomException(
                            ErrorCode.INTEGRITY_FAILURE, "block " + index + " is not in the list or has another size");
                }
                in.acceptBlock(index, data);
                hooks.reached(new PeerService.ReceivedPart(copyId, "block"), spool);
            }
        });
        hooks.reached(new PeerService.ReceivedPart(copyId, "end"), spool);
        if (!in.missing().isEmpty()) {
            throw refuse(
                    ErrorCode.IO_ERROR,
                    "InvalidSnapshotCopyState",
                    409,
                    in.missing().size() + " blocks of copy " + copyId + " did not arrive; begin it again.");
        }
        SnapshotRecord record = p.record();
        if (p.transfer() != null) {
            SnapshotCopy.Grant g = Objects.requireNonNull(p.grant());
            if (sealed[0] == null) {
                throw refuse(
                        ErrorCode.INTEGRITY_FAILURE,
                        "InvalidParameterValue",
                        400,
                        "an encrypted copy came" + " without its key transfer");
            }
            VaultEntry envelope;
            try {
                envelope = state.keys.openTransfer(
                        p.transfer(),
                        sealed[0],
                        p.clusterId(),
                        p.dekVersion(),
                        p.context(),
                        record.region(),
                        g.keyArn(),
                        g.grantId(),
                        state.clock.instant());
            } catch (RedshiftApiException e) {
                throw refuse(e);
            } finally {
                p.close(); // the private key's work is done
            }
            record = record.receivedAs(
                    record.accountId(), g.keyArn(), Base64.getEncoder().encodeToString(envelope.encode()));
        }
        in.commit(copyId);
        snapshots.save(record); // the commit point
        DurableFiles.deleteTree(spool);
        snapshots.event(
                record,
                "REDSHIFT-EVENT-3702",
                "INFO",
                "Snapshot '" + record.identifier() + "' of cluster '" + record.clusterIdentifier()
                        + "' was copied from "
                        + record.sourceRegion() + " (peer " + p.peer() + ") to " + record.region()
                        + (record.kmsKeyArn() != null ? " under KMS key " + record.kmsKeyArn() : "") + ".");
        return JSON.createObjectNode().put("state", "done").put("id", copyId);
    }
}
