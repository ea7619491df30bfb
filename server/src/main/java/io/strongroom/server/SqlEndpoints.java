package io.strongroom.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.control.cluster.ClusterListener;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.control.cluster.TemporaryCredentials;
import io.strongroom.kms.audit.AuditEvent;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.pgwire.Authenticator;
import io.strongroom.pgwire.Credentials;
import io.strongroom.pgwire.KeyStoreSeal;
import io.strongroom.pgwire.PasswordMethod;
import io.strongroom.pgwire.PgServer;
import io.strongroom.pgwire.TlsAuthority;
import io.strongroom.sql.session.StoreSqlEngine;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Gives every running cluster its PostgreSQL endpoint: a pgwire server on the cluster's port, over the SQL
 * engine of its store, authenticating the master user with the verifiers the control plane keeps (by default
 * SCRAM-SHA-256 for PostgreSQL clients and Redshift's digest for Redshift's drivers; MD5 where the cluster parameter
 * {@code auth_methods} asks for it; read at each login, so ModifyCluster MasterUserPassword takes effect for new
 * connections). TLS is offered with a certificate the installation's
 * authority ({@link TlsAuthority}, {@code strongroom ca}) issued for the cluster, so clients
 * verify every cluster against one root. Plain connections are refused (SQLSTATE 28000) when the cluster's parameter
 * group has {@code require_ssl=true}, which is the default; a group with {@code require_ssl=false} lets them in, as
 * Redshift's does. Both values are read when the endpoint starts (the parameters are static: a change applies at the
 * next reboot). Thread-safe.
 */
final class SqlEndpoints implements ClusterListener, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String bindAddress;
    private final TlsAuthority authority;
    private static final System.Logger LOG = System.getLogger(SqlEndpoints.class.getName());

    private final Map<String, PgServer> servers = new ConcurrentHashMap<>();
    /** How to issue each serving cluster's certificate again: its name and its seal. */
    private final Map<String, Renewal> renewals = new ConcurrentHashMap<>();

    private record Renewal(String identifier, @Nullable KeyStoreSeal seal) {}

    /** Checks every serving cluster's certificate for renewal this often. */
    static final Duration RENEWAL_CHECK = Duration.ofHours(6);

    private final ScheduledExecutorService renewer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("strongroom-tls-renewal").factory());
    private final AtomicReference<@Nullable AuditLog> audit = new AtomicReference<>();

    private final AtomicReference<@Nullable TemporaryCredentials> temporary = new AtomicReference<>();

    /** Logins of {@code IAM:} users are checked against {@code credentials} from now on (GetClusterCredentials). */
    void temporaryCredentialsFrom(TemporaryCredentials credentials) {
        temporary.set(credentials);
    }

    /** Failed SQL logins go to {@code log} from now on (the control plane's audit trail). */
    void auditTo(AuditLog log) {
        audit.set(log);
    }

    /** @param tlsDir where the authority and each cluster's TLS key store are kept (0600) */
    SqlEndpoints(String bindAddress, Path tlsDir) {
        this(bindAddress, tlsDir, null);
    }

    /** As above, the authority's key store sealed by {@code caSeal} (the installation passphrase) when given. */
    SqlEndpoints(String bindAddress, Path tlsDir, @Nullable KeyStoreSeal caSeal) {
        this.bindAddress = bindAddress;
        this.authority = TlsAuthority.loadOrCreate(tlsDir, caSeal);
        renewer.scheduleWithFixedDelay(
                this::renewDue, RENEWAL_CHECK.toMinutes(), RENEWAL_CHECK.toMinutes(), TimeUnit.MINUTES);
    }

    /**
     * Issues a new certificate for every serving cluster whose certificate is due ({@link TlsAuthority#renewalDue})
     * and swaps it into the running endpoint: connections from then on get the new one, open sessions keep theirs.
     * Returns how many were renewed. Runs every {@link #RENEWAL_CHECK}; a failure is logged and tried again next
     * time (the certificate still has up to 30 days).
     */
    int renewDue() {
        int renewed = 0;
        for (Map.Entry<String, PgServer> e : servers.entrySet()) {
            String clusterId = e.getKey();
            Renewal r = renewals.get(clusterId);
            if (r == null || !authority.renewalDue(clusterId)) {
                continue;
            }
            try {
                e.getValue().replaceTls(authority.serverContext(clusterId, r.identifier(), hostNames(), r.seal()));
                renewed++;
                LOG.log(System.Logger.Level.INFO, "renewed the TLS certificate of cluster " + r.identifier());
            } catch (RuntimeException ex) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "could not renew the TLS certificate of cluster " + r.identifier() + ": " + ex.getMessage()
                                + "; trying again in " + RENEWAL_CHECK.toHours() + " h");
            }
        }
        return renewed;
    }

    /** The installation's certificate authority, which signs every cluster's certificate. */
    TlsAuthority authority() {
        return authority;
    }

    /** The names and addresses a cluster's certificate is issued for. */
    private List<String> hostNames() {
        List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1"));
        if (!hosts.contains(bindAddress) && !bindAddress.equals("0.0.0.0") && !bindAddress.equals("::")) {
            hosts.add(bindAddress);
        }
        return hosts;
    }

    @Override
    public void up(String clusterId, Supplier<ClusterView> view, RunningCluster running) {
        down(clusterId);
        ClusterView v = view.get();
        Authenticator auth = new Authenticator() {
            @Override
            public @Nullable Credentials lookup(String user) {
                return lookup(user, view.get().record().dbName());
            }

            @Override
            public @Nullable Credentials lookup(String user, String database) {
                ClusterView now = view.get();
                if (user.equals(now.record().masterUsername())) {
                    return Credentials.ofStored(now.record().passwordVerifier());
                }
                // IAM:<user>: a temporary password from GetClusterCredentials, while it is valid (and, when it was
                // issued for a DbName, only for that database).
                TemporaryCredentials t = temporary.get();
                if (t != null && user.startsWith(TemporaryCredentials.PREFIX)) {
                    String dbUser = user.substring(TemporaryCredentials.PREFIX.length());
                    return dbUser.equals(now.record().masterUsername())
                            ? t.verifier(clusterId, dbUser, database)
                                    .map(Credentials::ofStored)
                                    .orElse(null)
                            : null;
                }
                return null;
            }
        };
        KeyStoreSeal seal =
                running.encrypted() ? new ClusterKeySeal(running, v.record().identifier()) : null;
        String methods = v.parameters() != null ? v.parameters().authMethods() : "digest-scram";
        PgServer server = PgServer.builder()
                .engine(new StoreSqlEngine(running.store()))
                .port(v.record().port())
                .bind(bindAddress)
                .authenticator(auth)
                .passwordMethod(forPostgresClients(methods))
                .redshiftDriverMethod(forRedshiftDrivers(methods))
                .tls(authority.serverContext(clusterId, v.record().identifier(), hostNames(), seal))
                .requireTls(v.parameters() != null && v.parameters().requireSsl())
                .loginAudit((from, user, database) -> auditFailedLogin(v, from, user, database))
                .start();
        servers.put(clusterId, server);
        renewals.put(clusterId, new Renewal(v.record().identifier(), seal));
    }

    /** What a PostgreSQL client is asked for under {@code auth_methods} = {@code methods}. */
    static PasswordMethod forPostgresClients(String methods) {
        return switch (methods) {
            case "digest-md5", "md5" -> PasswordMethod.MD5;
            case "digest-scram", "scram" -> PasswordMethod.SCRAM_SHA_256;
            default -> throw unknownMethods(methods);
        };
    }

    /** What one of Amazon's Redshift drivers is asked for under {@code auth_methods} = {@code methods}. */
    static PasswordMethod forRedshiftDrivers(String methods) {
        return switch (methods) {
            case "md5" -> PasswordMethod.MD5;
            case "scram" -> PasswordMethod.SCRAM_SHA_256;
            case "digest-scram", "digest-md5" -> PasswordMethod.REDSHIFT_DIGEST;
            default -> throw unknownMethods(methods);
        };
    }

    /** ModifyClusterParameterGroup checks the value against the same list, so this means the two disagree. */
    private static IllegalArgumentException unknownMethods(String methods) {
        return new IllegalArgumentException("auth_methods is " + methods
                + ", which this endpoint does not know; it takes digest-scram, digest-md5, md5 or scram");
    }

    /**
     * Seals a cluster's TLS key store password under the cluster's database key ({@link
     * RunningCluster#sealSecret}): the private key opens only while the cluster's key hierarchy is loaded.
     */
    private record ClusterKeySeal(RunningCluster running, String identifier) implements KeyStoreSeal {
        private static final String PURPOSE = "tls-key-store";

        @Override
        public byte[] seal(byte[] password) {
            return running.sealSecret(PURPOSE, password);
        }

        @Override
        public byte[] open(byte[] sealed) {
            return running.openSecret(PURPOSE, sealed);
        }

        @Override
        public String describe() {
            return "the database key (v" + running.databaseKeyVersion() + ") of cluster " + identifier;
        }
    }

    /** A failed SQL login in the audit trail: the database user, the client, the cluster and database. */
    private void auditFailedLogin(ClusterView v, InetAddress from, String user, String database) {
        AuditLog log = audit.get();
        if (log == null) {
            return;
        }
        AuditEvent ev =
                new AuditEvent(UUID.randomUUID().toString(), UUID.randomUUID().toString(), Instant.now(), "SqlLogin");
        ev.eventSource("sql.strongroom.io");
        ev.databaseUser(user);
        ev.source(from.getHostAddress(), "pgwire");
        ev.region(v.record().region());
        ev.requestParameters(JSON.createObjectNode()
                .put("clusterIdentifier", v.record().identifier())
                .put("database", database));
        ev.error("28P01", "password authentication failed");
        log.append(ev);
    }

    @Override
    public void down(String clusterId) {
        renewals.remove(clusterId);
        PgServer s = servers.remove(clusterId);
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void close() {
        renewer.shutdownNow();
        servers.keySet().forEach(this::down);
    }
}
