package io.strongroom.control.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Which other installations this one exchanges snapshot copies with ({@code peers.json} in the control plane's data
 * directory, or the file {@code STRONGROOM_PEERS} names). No secret is in it: certificates are public.
 *
 * <pre>
 * {
 *   "formatVersion": 1,
 *   "listen": "127.0.0.1:9443",              // the receiving endpoint (mutual TLS); absent: receive nothing
 *   "peers": [{
 *     "name": "west",                         // for messages and logs
 *     "endpoint": "https://10.0.0.2:9443",    // its receiving endpoint
 *     "certificate": "-----BEGIN CERTIFICATE-----...",   // or "certificateFile": "west.pem" (relative to this file)
 *     "regions": ["us-west-2"],               // regions it serves: copies to these go there
 *     "accounts": {"111122223333": "444455556666"}       // its account -> ours, for copies it sends us
 *   }]
 * }
 * </pre>
 *
 * <p>Invariants checked at load: endpoints are {@code https}; names, certificates and regions are unique across
 * peers (one region, one peer; one certificate, one peer, so the TLS handshake names the sender); account ids are
 * 12 digits. A sender account with no mapping may not copy into this installation: the mapping is explicit. Immutable
 * and thread-safe.
 */
public final class PeerConfig {
    public static final String FILE = "peers.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]");

    /** No peers and no receiving endpoint: every region is served by this process. */
    public static final PeerConfig NONE = new PeerConfig(null, List.of());

    /**
     * One peer installation. {@code toString} names it and its endpoint only.
     *
     * @param accounts the peer's account ids mapped to this installation's, for copies it sends here
     */
    public record Peer(
            String name, URI endpoint, X509Certificate certificate, Set<String> regions, Map<String, String> accounts) {
        public Peer {
            regions = Set.copyOf(regions);
            accounts = Map.copyOf(accounts);
        }

        @Override
        public String toString() {
            return "Peer[" + name + ", " + endpoint + "]";
        }
    }

    private final @Nullable InetSocketAddress listen;
    private final List<Peer> peers;

    private PeerConfig(@Nullable InetSocketAddress listen, List<Peer> peers) {
        this.listen = listen;
        this.peers = List.copyOf(peers);
    }

    /** {@code dataDir/peers.json}, or {@link #NONE} when there is no such file. */
    public static PeerConfig load(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        return Files.exists(file) ? read(file) : NONE;
    }

    /** The configuration in {@code file}; INVALID_ARGUMENT naming the field when it is wrong. */
    public static PeerConfig read(Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            return parse(Files.readAllBytes(file), dir == null ? Path.of(".") : dir, file.toString());
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot read peer configuration " + file + ": " + e, e);
        }
    }

    /** Parses a configuration; {@code certificateFile}s are read relative to {@code baseDir}. */
    public static PeerConfig parse(byte[] json, Path baseDir, String place) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw bad(place, "is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad(place, "is not a JSON object");
        }
        if (root.path("formatVersion").asInt(1) != 1) {
            throw bad(place, "has formatVersion " + root.path("formatVersion") + "; this build reads 1");
        }
        InetSocketAddress listen = null;
        if (root.hasNonNull("listen")) {
            listen = address(root.get("listen").asText(), place);
        }
        List<Peer> peers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> regions = new HashSet<>();
        Set<X509Certificate> certs = new HashSet<>();
        for (JsonNode p : root.path("peers")) {
            String name = p.path("name").asText("");
            if (name.isBlank() || !names.add(name)) {
                throw bad(place, "has a peer with no name or a name used twice (" + name + ")");
            }
            String at = place + " peer " + name;
            URI endpoint = URI.create(p.path("endpoint").asText(""));
            if (!"https".equals(endpoint.getScheme()) || endpoint.getHost() == null || endpoint.getPort() <= 0) {
                throw bad(at, "needs an endpoint https://host:port (its receiving endpoint)");
            }
            X509Certificate cert = certificate(p, baseDir, at);
            if (!certs.add(cert)) {
                throw bad(at, "has the certificate of another peer; each installation has its own");
            }
            Set<String> served = new HashSet<>();
            for (JsonNode r : p.path("regions")) {
                String region = r.asText();
                if (!REGION.matcher(region).matches() || !regions.add(region)) {
                    throw bad(at, "names region " + region + ", which is not a region name or is another peer's");
                }
                served.add(region);
            }
            Map<String, String> accounts = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = p.path("accounts").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String ours = e.getValue().asText();
                if (!ACCOUNT.matcher(e.getKey()).matches()
                        || !ACCOUNT.matcher(ours).matches()) {
                    throw bad(at, "maps account " + e.getKey() + " to " + ours + "; account ids are 12 digits");
                }
                accounts.put(e.getKey(), ours);
            }
            peers.add(new Peer(name, endpoint, cert, served, accounts));
        }
        return new PeerConfig(listen, peers);
    }

    private static X509Certificate certificate(JsonNode p, Path baseDir, String at) {
        String pem;
        if (p.hasNonNull("certificate")) {
            pem = p.get("certificate").asText();
        } else if (p.hasNonNull("certificateFile")) {
            Path f = baseDir.resolve(p.get("certificateFile").asText());
            try {
                pem = Files.readString(f, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw bad(at, "names certificateFile " + f + ", which cannot be read: " + e.getMessage());
            }
        } else {
            throw bad(at, "needs its identity certificate (certificate or certificateFile: its peering/identity.pem)");
        }
        try {
            return ClientCertificates.parseCertificatePem(pem);
        } catch (StrongroomException e) {
            throw bad(at, "has a certificate that is not a PEM X.509 certificate");
        }
    }

    private static InetSocketAddress address(String hostPort, String place) {
        int colon = hostPort.lastIndexOf(':');
        try {
            String host = hostPort.substring(0, Math.max(0, colon));
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            if (colon <= 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host.replace("[", "").replace("]", ""), port);
        } catch (NumberFormatException e) {
            throw bad(place, "has listen " + hostPort + "; write host:port (port 0 picks a free one)");
        }
    }

    private static StrongroomException bad(String place, String what) {
        return new StrongroomException(ErrorCode.INVALID_ARGUMENT, "peer configuration " + place + " " + what);
    }

    /** Where the receiving endpoint listens, or null when this installation receives no copies. */
    public @Nullable InetSocketAddress listen() {
        return listen;
    }

    public List<Peer> peers() {
        return peers;
    }

    /** Whether any peer is configured or a receiving endpoint is asked for. */
    public boolean enabled() {
        return listen != null || !peers.isEmpty();
    }

    /** The peer that serves {@code region}, if another installation does. */
    public Optional<Peer> forRegion(String region) {
        return peers.stream().filter(p -> p.regions().contains(region)).findFirst();
    }

    /** The peer whose identity certificate is {@code certificate} (compared exactly), if any. */
    public Optional<Peer> byCertificate(X509Certificate certificate) {
        return peers.stream().filter(p -> p.certificate().equals(certificate)).findFirst();
    }

    /** This configuration with the receiving endpoint on {@code address} (tests use port 0). */
    public PeerConfig withListen(InetSocketAddress address) {
        return new PeerConfig(address, peers);
    }

    @Override
    public String toString() {
        return "PeerConfig[listen " + listen + ", " + peers + "]";
    }
}
