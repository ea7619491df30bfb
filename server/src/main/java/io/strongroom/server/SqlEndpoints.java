package io.strongroom.server;

import io.strongroom.control.ClusterListener;
import io.strongroom.control.cluster.ClusterView;
import io.strongroom.control.cluster.RunningCluster;
import io.strongroom.pgwire.Authenticator;
import io.strongroom.pgwire.Credentials;
import io.strongroom.pgwire.PasswordMethod;
import io.strongroom.pgwire.PgServer;
import io.strongroom.sql.engine.StoreSqlEngine;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Gives every running cluster its PostgreSQL endpoint: a pgwire server on the cluster's port, over the SQL
 * engine of its store, authenticating the master user with the SCRAM-SHA-256 verifier the control plane keeps
 * (read at each login, so ModifyCluster MasterUserPassword takes effect for new connections). TLS is offered
 * with a certificate generated for the cluster at its first start and kept (so clients that pin it keep working); plain connections are accepted too, as Redshift does unless
 * require_ssl is set. Thread-safe.
 */
final class SqlEndpoints implements ClusterListener, AutoCloseable {
    private final String bindAddress;
    private final java.nio.file.Path tlsDir;
    private final Map<String, PgServer> servers = new ConcurrentHashMap<>();

    /** @param tlsDir where each cluster's TLS key store is kept (0600), so its certificate survives restarts */
    SqlEndpoints(String bindAddress, java.nio.file.Path tlsDir) {
        this.bindAddress = bindAddress;
        this.tlsDir = tlsDir;
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
                .tls(io.strongroom.pgwire.SelfSignedTls.loadOrCreate(
                                tlsDir.resolve(clusterId + ".p12"),
                                v.record().identifier(),
                                java.util.List.of("localhost", "127.0.0.1"))
                        .sslContext())
                .requireTls(false)
                .start();
        servers.put(clusterId, server);
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
