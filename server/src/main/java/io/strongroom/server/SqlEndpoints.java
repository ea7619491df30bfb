package io.strongroom.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strongroom.control.ClusterListener;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.kms.service.AuditEvent;
import io.strongroom.kms.service.AuditLog;
import io.strongroom.pgwire.Authenticator;
import io.strongroom.pgwire.Credentials;
import io.strongroom.pgwire.KeyStoreSeal;
import io.strongroom.pgwire.PasswordMethod;
import io.strongroom.pgwire.PgServer;
import io.strongroom.pgwire.TlsAuthority;
import io.strongroom.sql.engine.StoreSqlEngine;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Gives every running cluster its PostgreSQL endpoint: a pgwire server on the cluster's port, over the SQL
 * engine of its store, authenticating the master user with the verifiers the control plane keeps (SCRAM-SHA-256
 * for PostgreSQL clients, Redshift's digest for Redshift's drivers; read at each login, so ModifyCluster
 * MasterUserPassword takes effect for new connections). TLS is offered with a certificate the installation's
 * authority ({@link TlsAuthority}, {@code strongroom ca}) issued for the cluster, so clients
 * verify every cluster against one root. Plain connections are refused (SQLSTATE 28000) when the cluster's parameter
 * group has {@code require_ssl=true}, which is the default; a group with {@code require_ssl=false} lets them in, as
 * Redshift's does. The value is read when the endpoint starts (the parameter is static: a change applies at the next
 * reboot). Thread-safe.
 */
final class SqlEndpoints implements ClusterListener, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String bindAddress;
    private final TlsAuthority authority;
    private final Map<String, PgServer> servers = new ConcurrentHashMap<>();
    private final AtomicReference<@Nullable AuditLog> audit = new AtomicReference<>();

    /** Failed SQL logins go to {@code log} from now on (the control plane's audit trail). */
    void auditTo(AuditLog log) {
        audit.set(log);
    }

    /** @param tlsDir where the authority and each cluster's TLS key store are kept (0600) */
    SqlEndpoints(String bindAddress, java.nio.file.Path tlsDir) {
        this(bindAddress, tlsDir, null);
    }

    /** As above, the authority's key store sealed by {@code caSeal} (the installation passphrase) when given. */
    SqlEndpoints(String bindAddress, java.nio.file.Path tlsDir, @Nullable KeyStoreSeal caSeal) {
        this.bindAddress = bindAddress;
        this.authority = TlsAuthority.loadOrCreate(tlsDir, caSeal);
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
        Authenticator auth = user -> {
            ClusterView now = view.get();
            return user.equals(now.record().masterUsername())
                    ? Credentials.ofStored(now.record().passwordVerifier())
                    : null;
        };
        PgServer server = PgServer.builder()
                .engine(new StoreSqlEngine(running.store()))
                .port(v.record().port())
                .bind(bindAddress)
                .authenticator(auth)
                .passwordMethod(PasswordMethod.SCRAM_SHA_256)
                .tls(authority.serverContext(
                        clusterId,
                        v.record().identifier(),
                        hostNames(),
                        running.encrypted()
                                ? new ClusterKeySeal(running, v.record().identifier())
                                : null))
                .requireTls(v.parameters() != null && v.parameters().requireSsl())
                .loginAudit((from, user, database) -> auditFailedLogin(v, from, user, database))
                .start();
        servers.put(clusterId, server);
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
        PgServer s = servers.remove(clusterId);
        if (s != null) {
            s.close();
        }
    }

    @Override
    public void close() {
        servers.keySet().forEach(this::down);
    }
}
