package io.strongroom.control;

import io.strongroom.aws.ApiHttpServer;
import io.strongroom.aws.BodyDeadline;
import io.strongroom.aws.Credential;
import io.strongroom.aws.CredentialStore;
import io.strongroom.aws.SigV4;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.api.RedshiftHttpHandler;
import io.strongroom.control.cluster.ClusterListener;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.KmsConnection;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.jobs.JobPoint;
import io.strongroom.control.lifecycle.ClusterManager;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.control.peer.PeerIdentity;
import io.strongroom.control.peer.PeerServer;
import io.strongroom.control.peer.PeerService;
import io.strongroom.control.snapshot.Peering;
import io.strongroom.control.snapshot.SnapshotPolicy;
import io.strongroom.kms.KmsServer;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.storage.SnapshotStep;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * A running control plane: the Redshift API (AWS Query protocol 2012-12-01, SigV4 service {@code redshift}) on one
 * HTTP port, which also passes KMS API requests to the KMS (in process when it is embedded, over HTTP when it runs
 * elsewhere), so one endpoint URL serves both APIs for every
 * region. It owns a data directory: {@code clusters/} (records), {@code keyvault/} (wrapped keys, apart from the
 * cluster data), {@code data/} (one store per cluster) and {@code events/}.
 *
 * <p>Accounts and principals are the KMS's {@link CredentialStore}: the same access keys sign both APIs. The
 * control plane has its own service principal there ({@code role/strongroom-redshift}, in an account of its own,
 * created at first start), which uses root keys only through the grants clusters hold.
 *
 * <p>Start with {@code ControlPlane.builder(dataDir).kms(kmsServer).port(p).start()} (embedded KMS), {@code
 * .kmsEndpoint(uri).credentials(store)} (a Strongroom KMS elsewhere whose credential store is shared) or {@code
 * .externalKms(uri, serviceCredentials, serviceArn).credentials(ownStore)} (any KMS, reached only by endpoint with
 * the control plane's own service credentials; {@link KmsConnection}). With a {@code peers.json} in the data directory
 * ({@link PeerConfig}), regions another installation serves get their snapshot copies over mutual TLS, and copies
 * from peers are received on a port of its own ({@link #peerEndpoint}). Start brings every existing cluster up through the reboot
 * flow. {@link #close()} stops the listener, waits for in-flight requests, closes every cluster and zeroes its keys.
 * The HTTP server is the set-up the KMS uses too ({@link ApiHttpServer}: one virtual thread per request, the JDK
 * server's timeouts and connection cap in force whether the KMS is embedded or not). Thread-safe.
 */
public final class ControlPlane implements AutoCloseable {
    /** The principal path of the control plane's service principal in the credential store. */
    public static final String SERVICE_PRINCIPAL = "role/strongroom-redshift";

    private final ApiHttpServer http;
    private final ClusterManager clusters;
    private final Path dataDir;
    private final KmsConnection kms;
    private final CredentialStore credentials;
    private final AuditLog audit;
    private final @Nullable PeerServer peerServer;
    private final Peering peering;

    /** Where the control plane's own audit records go: refused API requests and failed SQL logins. */
    public static final String AUDIT_FILE = "control-audit.jsonl";

    private ControlPlane(
            ApiHttpServer http,
            ClusterManager clusters,
            Path dataDir,
            KmsConnection kms,
            CredentialStore credentials,
            AuditLog audit,
            @Nullable PeerServer peerServer,
            Peering peering) {
        this.audit = audit;
        this.peerServer = peerServer;
        this.peering = peering;
        this.http = http;
        this.clusters = clusters;
        this.dataDir = dataDir;
        this.kms = kms;
        this.credentials = credentials;
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** Configuration of a control plane; not thread-safe. */
    public static final class Builder {
        private final Path dataDir;
        private @Nullable URI kmsEndpoint;
        private @Nullable Supplier<KmsServer> embeddedKms;
        private @Nullable CredentialStore credentials;
        private @Nullable AwsCredentialsProvider externalCredentials;
        private @Nullable String externalPrincipalArn;
        private String bindAddress = "127.0.0.1";
        private int port = 0;
        private String clusterHost = "localhost";
        private int clusterPortBase = 5439;
        private ClusterListener clusterListener = ClusterListener.NONE;
        private InstantSource clock = InstantSource.system();
        private SnapshotPolicy snapshotPolicy = SnapshotPolicy.DEFAULT;
        private FaultHook snapshotFaults = FaultHook.NONE;
        private FaultHook jobHooks = FaultHook.NONE;
        private Duration jobGrace = ClusterManager.DEFAULT_JOB_GRACE;
        private Duration monitorInterval = Duration.ofMinutes(1);
        private Duration bodyDeadline = BodyDeadline.DEFAULT;
        private @Nullable PeerConfig peers;
        private FaultHook peerHooks = FaultHook.NONE;

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /**
         * An embedded KMS, called in process (no HTTP hop; its audit trail names the callers, not the control plane),
         * and its credential store (the same instance, so additions are shared).
         */
        public Builder kms(KmsServer kms) {
            return kms(() -> kms);
        }

        /**
         * An embedded KMS given by {@code kms} at each call, so a test can stop and restart it on its port (calls
         * while it is stopped fail as calls to a KMS that cannot be reached do); the credential store is the one of
         * the server running now.
         */
        public Builder kms(Supplier<KmsServer> kms) {
            KmsServer now = kms.get();
            this.embeddedKms = kms;
            this.kmsEndpoint = now.endpoint();
            this.credentials = now.credentials();
            return this;
        }

        /** The KMS endpoint the control plane calls and forwards KMS API requests to, over HTTP. */
        public Builder kmsEndpoint(URI endpoint) {
            this.kmsEndpoint = endpoint;
            this.embeddedKms = null;
            return this;
        }

        /**
         * Any KMS at {@code endpoint}, reached only by endpoint: every KMS call is signed with {@code
         * serviceCredentials} (the SDK's default chain, a profile) as {@code servicePrincipalArn}. The control plane's
         * own accounts then come from {@link #credentials} (a store of its own, not the KMS's).
         */
        public Builder externalKms(
                URI endpoint, AwsCredentialsProvider serviceCredentials, String servicePrincipalArn) {
            this.kmsEndpoint = endpoint;
            this.embeddedKms = null;
            this.externalCredentials = serviceCredentials;
            this.externalPrincipalArn = servicePrincipalArn;
            return this;
        }

        /**
         * The accounts and principals that sign Redshift API requests: the KMS's {@code credentials.json} when the KMS
         * shares them (with a KMS in another process, open it with {@code CredentialStore.open(kmsDataDir, new
         * SecureRandom())}), or the control plane's own store with {@link #externalKms}.
         */
        public Builder credentials(CredentialStore credentials) {
            this.credentials = credentials;
            return this;
        }

        /** The address to listen on; loopback by default. */
        public Builder bindAddress(String address) {
            this.bindAddress = address;
            return this;
        }

        /** The API port; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The host name cluster endpoints show ({@code localhost} by default). */
        public Builder clusterHost(String host) {
            this.clusterHost = host;
            return this;
        }

        /** The first port given to a cluster endpoint (5439); later clusters get the next free one. */
        public Builder clusterPortBase(int port) {
            this.clusterPortBase = port;
            return this;
        }

        /** Told when each cluster starts and stops serving (the process attaches its SQL endpoint here). */
        public Builder clusterListener(ClusterListener listener) {
            this.clusterListener = Objects.requireNonNull(listener);
            return this;
        }

        /** The clock of cluster create times and events (signatures are always checked against the real time). */
        public Builder clock(InstantSource clock) {
            this.clock = clock;
            return this;
        }

        /** When automated snapshots are taken ({@link SnapshotPolicy#DEFAULT}). */
        public Builder snapshotPolicy(SnapshotPolicy policy) {
            this.snapshotPolicy = Objects.requireNonNull(policy);
            return this;
        }

        /**
         * The job engine's fault hook, told of each {@link JobPoint}: crash tests stop jobs at their steps, and
         * slowed-job tests hold them.
         */
        public Builder jobHooks(FaultHook hooks) {
            this.jobHooks = Objects.requireNonNull(hooks);
            return this;
        }

        /** How long a request waits for its job before answering with the job still running (default 1 s). */
        public Builder jobGrace(Duration grace) {
            this.jobGrace = Objects.requireNonNull(grace);
            return this;
        }

        /**
         * How often the cluster monitor checks storage, KMS keys (the lease) and HSMs (once a minute by default;
         * {@link Duration#ZERO} turns it off, for tests that run the checks themselves).
         */
        public Builder monitorInterval(Duration interval) {
            this.monitorInterval = Objects.requireNonNull(interval);
            return this;
        }

        /** How long a request's body may take to arrive before the client is answered 408 (20 s by default). */
        public Builder bodyDeadline(Duration deadline) {
            this.bodyDeadline = Objects.requireNonNull(deadline);
            return this;
        }

        /**
         * The other installations that serve some regions, and where this one receives copies ({@code peers.json} in
         * the data directory when not set; none when there is no such file).
         */
        public Builder peers(PeerConfig config) {
            this.peers = Objects.requireNonNull(config);
            return this;
        }

        /** The receiving side's fault hook, told of each {@link PeerService.ReceivedPart} of a copy, for tests. */
        public Builder peerHooks(FaultHook hooks) {
            this.peerHooks = Objects.requireNonNull(hooks);
            return this;
        }

        /** The snapshot stores' fault hook, told of each {@link SnapshotStep}, for crash tests only. */
        public Builder snapshotFaults(FaultHook faults) {
            this.snapshotFaults = Objects.requireNonNull(faults);
            return this;
        }

        /**
         * Opens the data directory, brings every cluster up (a cluster whose keys cannot be loaded stays down with
         * a status and an event) and starts listening.
         */
        public ControlPlane start() {
            URI kms = Objects.requireNonNull(kmsEndpoint, "kmsEndpoint (or kms(server)) is required");
            CredentialStore creds = Objects.requireNonNull(credentials, "credentials (or kms(server)) is required");
            SecureRandom random = new SecureRandom();
            KmsConnection connection = externalCredentials != null
                    ? KmsConnection.external(kms, externalCredentials, Objects.requireNonNull(externalPrincipalArn))
                    : embeddedKms != null
                            ? KmsConnection.embedded(embeddedKms, servicePrincipal(creds, random))
                            : KmsConnection.sharedAccounts(kms, servicePrincipal(creds, random));
            PeerConfig peerConfig = peers != null ? peers : PeerConfig.load(dataDir);
            Peering peering = new Peering(
                    peerConfig, peerConfig.enabled() ? PeerIdentity.loadOrCreate(dataDir) : null, peerHooks);
            ClusterManager clusters = ClusterManager.open(
                    dataDir,
                    connection,
                    clock,
                    random,
                    clusterHost,
                    clusterPortBase,
                    clusterListener,
                    snapshotPolicy,
                    snapshotFaults,
                    jobHooks,
                    jobGrace,
                    peering);
            AuditLog audit;
            try {
                audit = AuditLog.openFile(dataDir.resolve("audit").resolve(AUDIT_FILE));
            } catch (RuntimeException e) {
                clusters.close();
                throw e;
            }
            if (!monitorInterval.isZero()) {
                clusters.startMonitor(monitorInterval);
            }
            PeerServer peerServer = null;
            try {
                peerServer = peerConfig.listen() == null
                        ? null
                        : PeerServer.start(
                                peerConfig,
                                Objects.requireNonNull(peering.identity()),
                                clusters.snapshotCopyReceiver());
                ApiHttpServer http = ApiHttpServer.start(
                        bindAddress,
                        port,
                        ApiHttpServer.Limits.DEFAULTS,
                        new RedshiftHttpHandler(
                                        clusters,
                                        new SigV4(creds, "redshift"),
                                        connection,
                                        InstantSource.system(),
                                        audit)
                                .bodyDeadline(bodyDeadline));
                return new ControlPlane(http, clusters, dataDir, connection, creds, audit, peerServer, peering);
            } catch (IOException e) {
                closeQuietly(peerServer, clusters, audit);
                throw new StrongroomException(
                        ErrorCode.IO_ERROR, "cannot listen on " + bindAddress + ":" + port + ": " + e, e);
            } catch (RuntimeException e) {
                closeQuietly(peerServer, clusters, audit);
                throw e;
            }
        }

        private static void closeQuietly(@Nullable PeerServer peerServer, ClusterManager clusters, AuditLog audit) {
            if (peerServer != null) {
                peerServer.close();
            }
            clusters.close();
            audit.close();
        }

        private static Credential servicePrincipal(CredentialStore creds, SecureRandom random) {
            for (Credential c : creds.all()) {
                if (c.principalArn().endsWith(":" + SERVICE_PRINCIPAL)) {
                    return c;
                }
            }
            StringBuilder account = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                account.append(i == 0 ? 1 + random.nextInt(9) : random.nextInt(10));
            }
            return creds.add(account.toString(), SERVICE_PRINCIPAL);
        }
    }

    /** The endpoint URL, e.g. {@code http://127.0.0.1:41234}; it serves the Redshift and KMS APIs, every region. */
    public URI endpoint() {
        return http.endpoint();
    }

    public int port() {
        return http.port();
    }

    /** The endpoint that receives snapshot copies from peers ({@code https://...}), if peers.json asks for one. */
    public Optional<URI> peerEndpoint() {
        return Optional.ofNullable(peerServer).map(PeerServer::endpoint);
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The control plane's service principal ARN (the grantee of every cluster grant). */
    public String servicePrincipalArn() {
        return kms.servicePrincipalArn();
    }

    /** The operations behind the API, for in-process callers and tests. */
    public ClusterManager clusters() {
        return clusters;
    }

    /** Every cluster, as DescribeClusters would show it. */
    public List<ClusterView> allClusters() {
        return clusters.all();
    }

    /** The running cluster {@code identifier} of {@code accountId} in {@code region}, if it is up. */
    public Optional<RunningCluster> running(String accountId, String region, String identifier) {
        return clusters.running(accountId, region, identifier);
    }

    /** What a person starting the control plane needs to know; contains no secret. */
    public String startupReport() {
        StringBuilder sb = new StringBuilder();
        sb.append("Strongroom control plane listening on ").append(endpoint()).append('\n');
        sb.append("  APIs: Redshift (Query 2012-12-01) and KMS (")
                .append(kms.embedded() != null ? "answered in process by the embedded KMS at " : "forwarded to ")
                .append(kms.endpoint())
                .append(kms.sharedAccounts() ? ", sharing its accounts" : ", an external KMS signed as the service")
                .append(")\n");
        sb.append("  regions: any; the region of a request is taken from its SigV4 credential scope\n");
        sb.append("  credentials: ")
                .append(credentials.file())
                .append(" (admin access key ")
                .append(credentials.admin().accessKeyId())
                .append("; secret in the file)\n");
        sb.append("  service principal: ").append(kms.servicePrincipalArn()).append('\n');
        PeerIdentity identity = peering.identity();
        if (identity != null) {
            sb.append("  peering: identity ")
                    .append(PeerIdentity.certificateFile(dataDir))
                    .append(" (SHA-256 ")
                    .append(identity.fingerprint())
                    .append("), receiving on ")
                    .append(
                            peerServer == null
                                    ? "no endpoint"
                                    : peerServer.endpoint().toString())
                    .append('\n');
            for (PeerConfig.Peer p : peering.config().peers()) {
                sb.append("    peer ")
                        .append(p.name())
                        .append(" at ")
                        .append(p.endpoint())
                        .append(" serves ")
                        .append(p.regions())
                        .append('\n');
            }
        }
        sb.append("  data: ")
                .append(dataDir)
                .append(" (key vault in ")
                .append(dataDir.resolve("keyvault"))
                .append(")\n");
        List<ClusterView> all = clusters.all();
        sb.append("  clusters: ").append(all.size()).append('\n');
        for (ClusterView v : all) {
            sb.append("    ")
                    .append(v.record().identifier())
                    .append(" (")
                    .append(v.record().accountId())
                    .append('/')
                    .append(v.record().region())
                    .append("): ")
                    .append(v.status().wireName())
                    .append(", port ")
                    .append(v.record().port())
                    .append('\n');
        }
        sb.append("  try: /usr/bin/aws --endpoint-url ")
                .append(endpoint())
                .append(" --region us-east-1 redshift create-cluster --cluster-identifier dw1 --node-type ra3.xlplus")
                .append(" --number-of-nodes 2 --master-username admin --master-user-password 'Passw0rdX' --encrypted");
        return sb.toString();
    }

    @Override
    public void close() {
        if (peerServer != null) {
            peerServer.close();
        }
        http.close();
        clusters.close();
        audit.close();
    }

    /**
     * The control plane's audit trail ({@code audit/control-audit.jsonl}, the KMS's CloudTrail format): refused
     * Redshift API requests, and failed SQL logins the SQL endpoints report here. {@code strongroom audit} reads it
     * with the KMS's.
     */
    public AuditLog auditLog() {
        return audit;
    }

    @Override
    public String toString() {
        return "ControlPlane[" + endpoint() + ", " + dataDir + "]";
    }
}
