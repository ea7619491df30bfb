package io.strongroom.pgwire;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.pgwire.protocol.BackendWriter;
import io.strongroom.sql.SqlEngine;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL protocol 3 server for one cluster.
 *
 * <p>How this works: one virtual thread accepts on a plain {@link ServerSocket}; each connection gets its own
 * virtual thread running a {@link PgConnection}, which owns the socket, the codec and one {@link
 * io.strongroom.sql.SqlSession}, and reads and answers messages in order. Blocking I/O on virtual threads keeps
 * the protocol code a straight-line state machine; Netty was rejected as a dependency (7 jars) that would buy
 * nothing here but callbacks. A CancelRequest arrives on a new connection and finds its target through the
 * process id and secret key the target announced in BackendKeyData.
 *
 * <p>Thread-safety: built once, then {@link #close()} may be called from any thread; it closes the listening
 * socket and every open connection (whose sessions and result sets are then closed by their threads).
 */
public final class PgServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(PgServer.class.getName());

    /** PostgreSQL's own cap on a message (1 GiB). */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 30;

    /** Replaced only by {@link #replaceTls}; each connection takes the one current when it is accepted. */
    private volatile Config config;

    private final ServerSocket listener;
    private final Thread acceptor;
    private final Map<Integer, PgConnection> connections = new ConcurrentHashMap<>();
    private final Map<Integer, Thread> threads = new ConcurrentHashMap<>();
    /**
     * Authenticated connections beyond this (by default) are refused with 53300 too_many_connections (PostgreSQL's
     * max_connections, here per cluster). Unauthenticated ones do not count against it.
     */
    static final int DEFAULT_MAX_CONNECTIONS = 500;

    private final int maxConnections;
    /**
     * Connections still authenticating, in all and from one address. Past the per-address limit, that address's
     * oldest one at least {@link #MIN_AGE_TO_DROP} old is dropped (or the newcomer refused); past the total, the
     * oldest one of the address holding the most is dropped, whatever its age. A real client authenticates within
     * milliseconds of connecting, so a flood of idle or trickling sockets, reconnecting or not, from one address or
     * many, evicts its own and does not hold logins off.
     */
    static final int MAX_UNAUTHENTICATED = 128;

    static final int MAX_UNAUTHENTICATED_PER_ADDRESS = 32;
    /** A client must finish TLS, startup and authentication within this time. */
    static final Duration AUTHENTICATION_DEADLINE = Duration.ofSeconds(60);

    private final SecureRandom random = new SecureRandom();
    /** Failed logins slow the next ones from the same address or for the same user. */
    private final LoginThrottle throttle = new LoginThrottle(InstantSource.system());

    private volatile boolean closed;

    /** What every connection needs; immutable. */
    record Config(
            SqlEngine engine,
            Authenticator authenticator,
            PasswordMethod passwordMethod,
            PasswordMethod redshiftDriverMethod,
            @Nullable SSLContext sslContext,
            boolean requireTls,
            int maxMessageBytes,
            Map<String, String> defaultSettings,
            SecretKeySpec unknownUserKey,
            LoginAudit loginAudit) {}

    private PgServer(Config config, ServerSocket listener, int maxConnections) {
        this.config = config;
        this.maxConnections = maxConnections;
        this.listener = listener;
        this.acceptor = Thread.ofVirtual()
                .name("pgwire-accept-" + listener.getLocalPort())
                .unstarted(this::accept);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Serves TLS with {@code next} from now on (a renewed certificate): connections accepted from here use it, those
     * open keep theirs. Refused on a server built without TLS.
     */
    public void replaceTls(SSLContext next) {
        Config c = config;
        if (c.sslContext() == null) {
            throw new IllegalStateException("this server was built without TLS");
        }
        config = new Config(
                c.engine(),
                c.authenticator(),
                c.passwordMethod(),
                c.redshiftDriverMethod(),
                next,
                c.requireTls(),
                c.maxMessageBytes(),
                c.defaultSettings(),
                c.unknownUserKey(),
                c.loginAudit());
    }

    /** The port the server listens on (the one chosen by the system when built with port 0). */
    public int port() {
        return listener.getLocalPort();
    }

    /** The number of connections open now. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Stops accepting, cancels every running statement, closes every connection and waits (up to 30 s) for the
     * connection threads to end, so the engine and the store under it are idle when this returns.
     */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the listener", e);
        }
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (PgConnection c : connections.values()) {
            c.cancel();
            c.abort();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Thread t : threads.values()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                LOG.log(System.Logger.Level.WARNING, "connections still running after 30 s on port " + port());
                break;
            }
            try {
                t.join(Duration.ofNanos(left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    private void accept() {
        while (!closed) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "accept failed on port " + port() + ": " + e);
                    try {
                        Thread.sleep(100); // e.g. out of file descriptors: do not spin
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
                continue;
            }
            try {
                socket.setTcpNoDelay(true);
            } catch (SocketException e) {
                LOG.log(System.Logger.Level.DEBUG, "setTcpNoDelay", e);
            }
            if (authenticatedCount() >= maxConnections) {
                refusedOverCap(socket.getInetAddress());
                refuse(socket);
                continue;
            }
            if (!makeRoomFor(socket.getInetAddress())) {
                refuse(socket);
                continue;
            }
            int processId = newProcessId();
            PgConnection connection = new PgConnection(
                    config, socket, processId, random.nextInt(), this::cancel, this::admitAuthenticated, throttle);
            connections.put(processId, connection);
            Thread thread = Thread.ofVirtual().name("pgwire-" + processId).unstarted(() -> {
                try {
                    connection.run();
                } finally {
                    connections.remove(processId);
                    threads.remove(processId);
                }
            });
            threads.put(processId, thread);
            thread.start();
            // An overall deadline for authentication: a per-read timeout alone lets a client trickle bytes forever.
            Thread.ofVirtual().name("pgwire-auth-deadline-" + processId).start(() -> {
                try {
                    Thread.sleep(AUTHENTICATION_DEADLINE);
                } catch (InterruptedException e) {
                    return;
                }
                if (!connection.authenticated()) {
                    connection.abort();
                }
            });
            if (closed) {
                connection.abort();
            }
        }
    }

    /**
     * Admits {@code c}, whose password just checked out, unless {@code maxConnections} are authenticated already
     * (then it is refused with 53300). Counted again here, not only at accept: connections accepted together may all
     * finish logging in. Synchronized, so two logins cannot both take the last place.
     */
    private synchronized boolean admitAuthenticated(PgConnection c) {
        if (authenticatedCount() >= maxConnections) {
            refusedOverCap(c.peer());
            return false;
        }
        c.passwordChecked();
        return true;
    }

    private void refusedOverCap(InetAddress from) {
        LOG.log(
                System.Logger.Level.WARNING,
                "refused a connection from " + from.getHostAddress() + " on port " + port() + ": " + maxConnections
                        + " are open");
    }

    private int authenticatedCount() {
        int n = 0;
        for (PgConnection c : connections.values()) {
            if (c.authenticated()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Before a new connection from {@code from} starts authenticating: drops the oldest connections still
     * authenticating (at least {@link #MIN_AGE_TO_DROP} old), from that address and then overall, until both are
     * under their limits. Returns whether the newcomer fits; if not, it is refused with 53300.
     */
    private boolean makeRoomFor(InetAddress from) {
        List<PgConnection> pending = new ArrayList<>();
        for (PgConnection c : connections.values()) {
            if (!c.authenticated()) {
                pending.add(c);
            }
        }
        pending.sort(Comparator.comparingLong(c -> c.acceptedNanos));
        List<PgConnection> same =
                pending.stream().filter(c -> c.peer().equals(from)).toList();
        int dropped = 0;
        int sameLeft = same.size();
        for (int i = 0; i <= same.size() - MAX_UNAUTHENTICATED_PER_ADDRESS; i++) {
            if (dropIfStillAuthenticating(same.get(i))) {
                dropped++;
                sameLeft--;
                pending.remove(same.get(i));
            }
        }
        // Over the total: drop, whatever its age, the oldest connection of the address that holds the most
        // (a flood from many addresses evicts itself first; a client with one handshake in flight is dropped only
        // when every address holds one, and then oldest first, so a handshake has the time 128 newcomers take).
        // Waiting for a connection a second old instead let a flood that reconnects without pause refuse every
        // newcomer (bench: AdmissionBench, 600 sockets from 20 addresses).
        Map<InetAddress, Integer> perAddress = new HashMap<>();
        for (PgConnection c : pending) {
            perAddress.merge(c.peer(), 1, Integer::sum);
        }
        int left = pending.size();
        while (left >= MAX_UNAUTHENTICATED && !pending.isEmpty()) {
            PgConnection victim = pending.get(0);
            for (PgConnection c : pending) {
                if (perAddress.getOrDefault(c.peer(), 0) > perAddress.getOrDefault(victim.peer(), 0)) {
                    victim = c;
                }
            }
            pending.remove(victim);
            perAddress.merge(victim.peer(), -1, Integer::sum);
            if (!victim.authenticated()) {
                victim.abort();
                dropped++;
                left--;
            }
        }
        logDropped(dropped, from);
        // Nothing old enough to drop from the newcomer's own address: it waits its turn (a flood of fresh sockets
        // from one address cannot evict its own handshakes in flight, nor anyone else's).
        return sameLeft < MAX_UNAUTHENTICATED_PER_ADDRESS && left < MAX_UNAUTHENTICATED;
    }

    private void logDropped(int dropped, InetAddress from) {
        if (dropped > 0) {
            int n = dropped;
            LOG.log(
                    System.Logger.Level.INFO,
                    () -> "dropped " + n + " connection(s) still authenticating on port " + port()
                            + " to admit one from " + from.getHostAddress());
        }
    }

    /**
     * Closes {@code c} unless it authenticated since it was counted (then it stays: it is a user's session) or is
     * younger than {@link #MIN_AGE_TO_DROP}: a client whose handshake is in flight on a slow link is not dropped
     * for a flood of newer sockets.
     */
    private static boolean dropIfStillAuthenticating(PgConnection c) {
        if (c.authenticated() || System.nanoTime() - c.acceptedNanos < MIN_AGE_TO_DROP.toNanos()) {
            return false;
        }
        c.abort();
        return true;
    }

    /** A connection still authenticating is dropped for a newer one only once it is this old. */
    static final Duration MIN_AGE_TO_DROP = Duration.ofSeconds(1);

    /** Answers 53300 too_many_connections, as PostgreSQL does, and closes. */
    private static void refuse(Socket socket) {
        try (socket) {
            socket.setSoTimeout(1000);
            BackendWriter w = new BackendWriter(socket.getOutputStream());
            w.errorResponse("FATAL", "53300", "sorry, too many clients already; try again later");
            w.flush();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "answering a refused connection", e);
        }
    }

    private int newProcessId() {
        while (true) {
            int id = random.nextInt(1, Integer.MAX_VALUE);
            if (!connections.containsKey(id)) {
                return id;
            }
        }
    }

    /** A CancelRequest: cancels only when both the process id and its secret key match. */
    private void cancel(int processId, int secretKey) {
        PgConnection target = connections.get(processId);
        if (target != null && target.secretKeyMatches(secretKey)) {
            target.cancel();
        } else {
            LOG.log(System.Logger.Level.INFO, "ignored a CancelRequest for an unknown process or with a wrong key");
        }
    }

    /** Configures and starts a {@link PgServer}. Not thread-safe. */
    public static final class Builder {
        private @Nullable SqlEngine engine;
        private @Nullable Authenticator authenticator;
        private PasswordMethod passwordMethod = PasswordMethod.SCRAM_SHA_256;
        private PasswordMethod redshiftDriverMethod = PasswordMethod.REDSHIFT_DIGEST;
        private int port = 5439;
        private String bindAddress = "127.0.0.1";
        private @Nullable SSLContext sslContext;
        private boolean tlsDisabled;
        private boolean requireTls;
        private LoginAudit loginAudit = LoginAudit.NONE;
        private String certificateName = "strongroom";
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private Map<String, String> defaultSettings = Map.of();
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;

        private Builder() {}

        public Builder engine(SqlEngine engine) {
            this.engine = engine;
            return this;
        }

        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = authenticator;
            return this;
        }

        /**
         * What PostgreSQL clients are asked for: SCRAM-SHA-256 (the default) or md5. Redshift's digest is refused here:
         * only Amazon's drivers speak it.
         */
        public Builder passwordMethod(PasswordMethod method) {
            if (method == PasswordMethod.REDSHIFT_DIGEST) {
                throw new IllegalArgumentException(
                        "Redshift's digest is for Amazon's Redshift drivers only: use redshiftDriverMethod");
            }
            this.passwordMethod = method;
            return this;
        }

        /**
         * What Amazon's Redshift drivers (JDBC, Python, ODBC) are asked for: Redshift's SHA-256 digest (the default),
         * md5, or SCRAM-SHA-256 (which the Python driver speaks and the JDBC driver does not).
         */
        public Builder redshiftDriverMethod(PasswordMethod method) {
            this.redshiftDriverMethod = method;
            return this;
        }

        /** The TCP port; 0 lets the system choose (read it back with {@link PgServer#port()}). Default 5439. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535]: " + port);
            }
            this.port = port;
            return this;
        }

        /** The address to listen on; default 127.0.0.1. */
        public Builder bind(String address) {
            this.bindAddress = address;
            return this;
        }

        /** Serves TLS with this context (its key manager holds the certificate). */
        public Builder tls(SSLContext context) {
            this.sslContext = context;
            this.tlsDisabled = false;
            return this;
        }

        /**
         * Without {@link #tls(SSLContext)}, the server makes a self-signed certificate with this CN (the cluster
         * name) at start; see {@link SelfSignedTls}.
         */
        public Builder selfSignedCertificateName(String commonName) {
            this.certificateName = commonName;
            return this;
        }

        /** Answers SSLRequest with 'N': plaintext only. For tests and loopback-only setups. */
        public Builder tlsDisabled() {
            this.sslContext = null;
            this.tlsDisabled = true;
            return this;
        }

        /** Refuses clients that do not start TLS (SQLSTATE 28000). */
        public Builder requireTls(boolean require) {
            this.requireTls = require;
            return this;
        }

        /** Told of every failed password login (an audit trail); none by default. */
        public Builder loginAudit(LoginAudit audit) {
            this.loginAudit = Objects.requireNonNull(audit);
            return this;
        }

        /** Largest message body accepted; longer ones are a protocol violation. Default 1 GiB. */
        public Builder maxMessageBytes(int bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("maxMessageBytes must be at least 1024: " + bytes);
            }
            this.maxMessageBytes = bytes;
            return this;
        }

        /**
         * Authenticated connections beyond this are refused with 53300 too_many_connections (PostgreSQL's
         * max_connections). Default 500.
         */
        public Builder maxConnections(int connections) {
            if (connections < 1) {
                throw new IllegalArgumentException("maxConnections must be at least 1: " + connections);
            }
            this.maxConnections = connections;
            return this;
        }

        /**
         * ParameterStatus values sent when the session's {@code reportedSettings()} does not name them (it wins),
         * on top of the built-in defaults (server_version 15.0, UTF8, DateStyle ISO, MDY, TimeZone UTC, ...).
         */
        public Builder defaultSettings(Map<String, String> settings) {
            this.defaultSettings = Map.copyOf(settings);
            return this;
        }

        /**
         * Binds the port and starts accepting.
         *
         * @throws StrongroomException IO_ERROR if the port cannot be bound (the message names it)
         */
        public PgServer start() {
            SqlEngine e = Objects.requireNonNull(engine, "engine");
            Authenticator a = Objects.requireNonNull(authenticator, "authenticator");
            SSLContext ssl = sslContext;
            if (ssl == null && !tlsDisabled) {
                ssl = SelfSignedTls.generate(certificateName, List.of("localhost", "127.0.0.1"))
                        .sslContext();
            }
            if (ssl == null && requireTls) {
                throw new IllegalStateException("requireTls needs TLS: do not call tlsDisabled()");
            }
            byte[] seed = new byte[32];
            new SecureRandom().nextBytes(seed);
            Config config = new Config(
                    e,
                    a,
                    passwordMethod,
                    redshiftDriverMethod,
                    ssl,
                    requireTls,
                    maxMessageBytes,
                    defaultSettings,
                    new SecretKeySpec(seed, "HmacSHA256"),
                    loginAudit);
            Arrays.fill(seed, (byte) 0);
            ServerSocket listener;
            try {
                listener = new ServerSocket();
                listener.setReuseAddress(true);
                listener.bind(new InetSocketAddress(InetAddress.getByName(bindAddress), port), 128);
            } catch (IOException ex) {
                throw new StrongroomException(
                        ErrorCode.IO_ERROR,
                        "cannot listen on " + bindAddress + ":" + port + " (" + ex.getMessage()
                                + "): choose another port",
                        ex);
            }
            PgServer server = new PgServer(config, listener, maxConnections);
            server.acceptor.start();
            return server;
        }
    }
}
