package io.strongroom.control.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.cluster.ClusterKeys;
import io.strongroom.control.cluster.ControlState;
import io.strongroom.control.cluster.RedshiftApiException;
import io.strongroom.control.jobs.Job;
import io.strongroom.control.keyvault.VaultEntry;
import io.strongroom.control.peer.CopyStream;
import io.strongroom.control.peer.PeerClient;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.control.peer.PeerException;
import io.strongroom.control.peer.PeerIdentity;
import io.strongroom.storage.SnapshotTransfer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The sending side of a snapshot copy to a region another installation serves (peers.json): the check at
 * EnableSnapshotCopy, and the copy itself, run by {@link SnapshotCopy}'s job.
 *
 * <p>How a copy goes. {@code begin} tells the receiver the copy (its id, the source account, the destination region
 * and grant, the record without its envelope, the image's block list, and the snapshot's DEK version, cluster id and
 * encryption context; no key); the receiver checks the account mapping, grant and key, makes the RSA-3072 key pair of
 * this transfer and answers its public key and the blocks it still lacks. Here the snapshot's DEK is unwrapped with
 * the source root key and sealed under that public key ({@link ClusterKeys#sealForTransfer}); then {@code send}
 * streams ({@link CopyStream}) the sealed key, the image files and the missing blocks, byte for byte. The receiver
 * commits and answers. A refusal is final; a link that fails (the peer unreachable, the connection cut, the peer
 * restarting) is tried again from {@code begin}, up to {@link #ATTEMPTS} times with a pause doubling from 0.5 s to at
 * most 30 s (about a minute in all: long enough for a peer to restart), and a new key
 * pair each time; blocks the receiver already spooled are not sent again. The copy id stays the same across
 * attempts and restarts of this process, so a copy the receiver committed just before the link failed is answered
 * {@code done}, never made twice.
 *
 * <p>Thread-safe: each copy runs on its own job thread and opens its own connections.
 */
public final class SnapshotCopySender {
    static final int ATTEMPTS = 8;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(500);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ControlState state;
    private final ClusterSnapshots snapshots;
    private final PeerConfig config;
    private final @Nullable PeerIdentity identity;

    public SnapshotCopySender(
            ControlState state, ClusterSnapshots snapshots, PeerConfig config, @Nullable PeerIdentity identity) {
        this.state = state;
        this.snapshots = snapshots;
        this.config = config;
        this.identity = identity;
    }

    /** The peer serving {@code region}, if another installation does. */
    Optional<PeerConfig.Peer> peerFor(String region) {
        return identity == null ? Optional.empty() : config.forRegion(region);
    }

    private PeerClient client(PeerConfig.Peer peer) {
        if (identity == null) {
            throw new IllegalStateException("peering is not configured");
        }
        return new PeerClient(identity, peer, TIMEOUT);
    }

    /**
     * EnableSnapshotCopy to a peer's region: the peer checks that it maps {@code accountId}, and, for an encrypted
     * cluster, that the grant exists there, in {@code region}, on a key it may use. Its refusal comes back as the
     * Redshift error it would give.
     */
    void checkEnable(PeerConfig.Peer peer, String accountId, String region, @Nullable String grantName) {
        ObjectNode q = JSON.createObjectNode()
                .put("sourceAccountId", accountId)
                .put("region", region)
                .put("grantName", grantName);
        try {
            client(peer).call("check", q);
        } catch (PeerException e) {
            throw mapped(e);
        }
    }

    static RedshiftApiException mapped(PeerException e) {
        if (e.wireCode().isEmpty()) {
            // The peer gave its code only: the code is mapped here, as for a failure of this installation.
            return RedshiftApiException.from(new StrongroomException(e.code(), String.valueOf(e.getMessage()), e));
        }
        return new RedshiftApiException(e.code(), e.wireCode(), e.httpStatus(), String.valueOf(e.getMessage()), e);
    }

    /** Copies snapshot {@code s} as copy {@code copyId} to {@code peer}; the job's result message. */
    String copy(Job job, SnapshotRecord s, SnapshotCopy.Config c, String copyId, PeerConfig.Peer peer) {
        String dest = c.destinationRegion();
        int retention = s.automated() ? c.retentionPeriod() : c.manualRetentionPeriod();
        SnapshotTransfer.Export export = SnapshotTransfer.export(snapshots.store(s.region()), s.id());
        job.total(export.totalBytes());
        ObjectNode begin = JSON.createObjectNode()
                .put("copyId", copyId)
                .put("sourceAccountId", s.accountId())
                .put("sourceRegion", s.region())
                .put("region", dest)
                .put("grantName", s.encrypted() ? c.grantName() : null)
                .put(
                        "record",
                        Base64.getEncoder()
                                .encodeToString(s.copiedTo(copyId, dest, null, null, retention)
                                        .toJson()))
                .put("blockList", Base64.getEncoder().encodeToString(export.blockList()));
        VaultEntry source = null;
        if (s.encrypted()) {
            source = VaultEntry.decode(s.envelopeBytes(), "snapshot " + s.identifier());
            ObjectNode ctx = begin.putObject("context");
            source.context().pairs().forEach(ctx::put);
            begin.put("clusterId", source.clusterId()).put("dekVersion", source.dekVersion());
        }
        PeerClient client = client(peer);
        AtomicLong reported = new AtomicLong();
        Duration pause = FIRST_PAUSE;
        for (int attempt = 1; ; attempt++) {
            job.checkpoint();
            try {
                JsonNode started = client.call("begin", begin);
                if (started.path("state").asText().equals("done")) {
                    return "Snapshot " + s.identifier() + " was already copied to " + dest + " (peer " + peer.name()
                            + ").";
                }
                byte[] sealed = source == null
                        ? null
                        : state.keys.sealForTransfer(
                                source,
                                s.region(),
                                Base64.getDecoder()
                                        .decode(started.path("publicKey").asText()));
                List<Integer> missing = new ArrayList<>();
                started.path("missing").forEach(n -> missing.add(n.asInt()));
                long have = export.totalBytes();
                for (int i : missing) {
                    have -= export.blockSizes()
                            .get(Objects.checkIndex(i, export.blockSizes().size()));
                }
                report(job, reported, have);
                client.post("send?copyId=" + copyId, out -> {
                    CopyStream.Writer w = new CopyStream.Writer(out, copyId);
                    if (sealed != null) {
                        w.keyTransfer(sealed);
                    }
                    for (Map.Entry<String, Path> f : export.imageFiles().entrySet()) {
                        try (InputStream in = Files.newInputStream(f.getValue())) {
                            w.file(f.getKey(), Files.size(f.getValue()), in);
                        }
                    }
                    for (int i : missing) {
                        job.checkpoint(); // a stop of this process ends the transfer here; the next start resumes it
                        long size = export.blockSizes().get(i);
                        try (InputStream in =
                                Files.newInputStream(export.blockFiles().get(i))) {
                            w.block(i, size, in);
                        }
                        report(job, reported, reported.get() + size);
                    }
                    w.end();
                });
                return "Snapshot " + s.identifier() + " copied to " + dest + " (peer " + peer.name() + ").";
            } catch (PeerException e) {
                if (!e.code().retryable() || attempt >= ATTEMPTS) {
                    throw mapped(e);
                }
                job.passed("retry");
                pause(job, pause);
                pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
            }
        }
    }

    /** Waits {@code pause} in short slices, so that a stop of this process ends the wait (the next start resumes). */
    private static void pause(Job job, Duration pause) {
        long end = System.nanoTime() + pause.toNanos();
        for (long left = pause.toNanos(); left > 0; left = end - System.nanoTime()) {
            job.checkpoint();
            try {
                Thread.sleep(Duration.ofNanos(Math.min(left, 200_000_000L)));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new StrongroomException(ErrorCode.QUERY_CANCELED, "the copy was stopped", ie);
            }
        }
    }

    /** Moves the job's progress up to {@code bytes} (attempts after the first do not count blocks twice). */
    private static void report(Job job, AtomicLong reported, long bytes) {
        long before = reported.getAndAccumulate(bytes, Math::max);
        if (bytes > before) {
            job.advance(bytes - before);
        }
    }
}
