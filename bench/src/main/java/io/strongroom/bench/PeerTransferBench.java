package io.strongroom.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strongroom.control.peer.CopyStream;
import io.strongroom.control.peer.PeerClient;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.control.peer.PeerIdentity;
import io.strongroom.control.peer.PeerServer;
import io.strongroom.control.peer.PeerService;
import io.strongroom.storage.SnapshotStore;
import io.strongroom.storage.SnapshotTransfer;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The storage and transport half of a snapshot copy to another installation, as the control plane runs it: the
 * image exported, its block list sent with {@code begin}, the image files and blocks streamed ({@link CopyStream})
 * over mutual TLS 1.3 on loopback to a peer endpoint that spools them (each block checked against its fingerprint)
 * and commits them into its own snapshot store. The key transfer (one RSA-3072 operation each way and a KMS
 * GenerateDataKey) is left out: it does not grow with the data. Single-threaded use.
 */
final class PeerTransferBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeerTransferBench() {}

    /** Sends image {@code imageId} of {@code from} to a peer under {@code dir}; returns the wall seconds. */
    static double copy(SnapshotStore from, String imageId, Path dir) throws IOException {
        PeerIdentity sender = PeerIdentity.loadOrCreate(dir.resolve("sender"));
        PeerIdentity receiver = PeerIdentity.loadOrCreate(dir.resolve("receiver"));
        SnapshotStore target = SnapshotStore.open(dir.resolve("receiver").resolve("snapshots"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PeerConfig receiving = config("127.0.0.1:" + port, "sender", "https://127.0.0.1:1", sender, "eu-west-1");
        PeerConfig sending = config(null, "receiver", "https://127.0.0.1:" + port, receiver, "us-west-2");
        AtomicReference<SnapshotTransfer.Incoming> incoming = new AtomicReference<>();
        PeerService service = new PeerService() {
            @Override
            public ObjectNode checkCopy(PeerConfig.Peer peer, JsonNode request) {
                return JSON.createObjectNode();
            }

            @Override
            public ObjectNode beginCopy(PeerConfig.Peer peer, JsonNode request) {
                SnapshotTransfer.Incoming in = SnapshotTransfer.receive(
                        target,
                        Base64.getDecoder().decode(request.path("blockList").asText()),
                        dir.resolve("receiver").resolve("spool"));
                incoming.set(in);
                ObjectNode out = JSON.createObjectNode();
                ArrayNode missing = out.putArray("missing");
                in.missing().forEach(missing::add);
                return out;
            }

            @Override
            public ObjectNode receiveCopy(PeerConfig.Peer peer, String copyId, InputStream body) {
                SnapshotTransfer.Incoming in = Objects.requireNonNull(incoming.get(), "begin first");
                CopyStream.read(body, copyId, new CopyStream.Parts() {
                    @Override
                    public void keyTransfer(byte[] transfer) {}

                    @Override
                    public void file(String path, long length, InputStream data) {
                        in.acceptFile(path, length, data);
                    }

                    @Override
                    public void block(int index, long length, InputStream data) {
                        in.acceptBlock(index, data);
                    }
                });
                in.commit(copyId);
                return JSON.createObjectNode().put("state", "done");
            }
        };
        try (PeerServer server = PeerServer.start(receiving, receiver, service)) {
            PeerClient client = new PeerClient(sender, sending.peers().get(0), Duration.ofMinutes(10));
            long t0 = System.nanoTime();
            SnapshotTransfer.Export e = SnapshotTransfer.export(from, imageId);
            JsonNode begun = client.call(
                    "begin",
                    JSON.createObjectNode().put("blockList", Base64.getEncoder().encodeToString(e.blockList())));
            List<Integer> missing = new ArrayList<>();
            begun.path("missing").forEach(n -> missing.add(n.asInt()));
            client.post("send?copyId=bench-copy", out -> {
                CopyStream.Writer w = new CopyStream.Writer(out, "bench-copy");
                for (Map.Entry<String, Path> f : e.imageFiles().entrySet()) {
                    try (InputStream in = Files.newInputStream(f.getValue())) {
                        w.file(f.getKey(), Files.size(f.getValue()), in);
                    }
                }
                for (int i : missing) {
                    try (InputStream in = Files.newInputStream(e.blockFiles().get(i))) {
                        w.block(i, e.blockSizes().get(i), in);
                    }
                }
                w.end();
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (!target.isComplete("bench-copy")) {
                throw new IllegalStateException("the copy was not committed");
            }
            return seconds;
        }
    }

    private static PeerConfig config(
            @Nullable String listen, String peerName, String endpoint, PeerIdentity peer, String region) {
        ObjectNode root = JSON.createObjectNode();
        if (listen != null) {
            root.put("listen", listen);
        }
        ObjectNode p = root.putArray("peers").addObject();
        p.put("name", peerName).put("endpoint", endpoint).put("certificate", peer.certificatePem());
        p.putArray("regions").add(region);
        return PeerConfig.parse(root.toString().getBytes(StandardCharsets.UTF_8), Path.of("."), "bench");
    }
}
