package io.strongroom.hsm.gateway;

import io.strongroom.base.DurableFile;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import io.strongroom.hsm.OneSidedTrust;
import io.strongroom.hsm.kmip.KmipCodec;
import io.strongroom.hsm.kmip.ProtocolVersion;
import io.strongroom.hsm.kmip.RequestMessage;
import io.strongroom.hsm.kmip.ResponseMessage;
import io.strongroom.hsm.kmip.ResultReason;
import io.strongroom.hsm.ttlv.TtlvCodec;
import io.strongroom.hsm.ttlv.TtlvDump;
import io.strongroom.hsm.ttlv.TtlvException;
import io.strongroom.hsm.ttlv.TtlvReader;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * {@code strongroom hsm}: a KMIP server (1.2–1.4 and 2.0 requests) over mutual TLS, fronting PKCS#11 tokens.
 *
 * <p>How this works. The gateway directory holds the server key and certificate ({@code server.p12}, made on
 * first start, EC P-256, SAN localhost and 127.0.0.1, EKU serverAuth, mode 0600), the {@link Registry} (partitions,
 * registered client certificates, assignments) and one directory per partition with its lock and {@link
 * ObjectStore}. A TLS handshake succeeds only for a client certificate registered exactly; the registry is read
 * again whenever it changes, so registering or revoking a client takes effect at the next handshake and the next
 * request. Each request names its partition in the Username of its credential and logs in with the Password; the
 * client must be assigned to that partition. {@link RequestProcessor} answers; a message that does not decode is
 * answered Invalid Message with a Result Message naming the tag, and logged as a redacted dump. Failures whose
 * details name server paths (the PKCS#11 library, lock files) are logged with a reference; the client gets the
 * reference only.
 *
 * <p>Connections ({@link Limits}). TLS runs over plain accepted sockets, so the gateway can close a socket in the
 * middle of a handshake: a timer closes any connection that has not finished its handshake within the handshake
 * deadline (10 s), because a socket read timeout alone restarts with every byte and a peer trickling a ClientHello
 * would keep its slot for ever. Only an authenticated connection gets the long idle timeout (5 minutes). At most 256
 * connections are open, at most 32 from one remote address, so one unauthenticated peer cannot take every slot.
 *
 * <p>Rejected: one provider for all tokens (SunPKCS11 binds a provider to one slot); keeping KMIP metadata on the
 * token as CKA_ID or vendor attributes (not portable across PKCS#11 libraries; the UUID label is).
 *
 * <p>Thread-safe. One accept thread; one virtual thread per connection; one timer thread for handshake deadlines.
 * Request messages on one partition run one at a time, each whole (its password check and every batch item) before
 * the next starts ({@link Partition#exclusively}).
 */
public final class HsmGateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HsmGateway.class.getName());

    public static final int DEFAULT_PORT = 5696;
    public static final Path DEFAULT_LIBRARY = Paths.get("/usr/lib/softhsm/libsofthsm2.so");
    static final String SERVER_KEYSTORE = "server.p12";
    private static final char[] NO_PASSWORD = new char[0];
    private static final Duration REFUSAL_LOG_INTERVAL = Duration.ofMinutes(1);
    private static final SecureRandom REFERENCES = new SecureRandom();

    /**
     * Connection limits: {@code maxConnections} open at once, at most {@code maxConnectionsPerAddress} of them from
     * one remote address; a connection that has not finished its TLS handshake within {@code handshakeTimeout} is
     * closed, whatever it sends; an authenticated one that sends nothing for {@code idleTimeout} is closed.
     */
    public record Limits(
            int maxConnections, int maxConnectionsPerAddress, Duration handshakeTimeout, Duration idleTimeout) {
        /** 256 connections, 32 per address, a 10-second handshake deadline, 5 minutes idle. */
        public static final Limits DEFAULT = new Limits(256, 32, Duration.ofSeconds(10), Duration.ofMinutes(5));

        public Limits {
            if (maxConnections < 1 || maxConnectionsPerAddress < 1 || maxConnectionsPerAddress > maxConnections) {
                throw new IllegalArgumentException("need 1 <= maxConnectionsPerAddress <= maxConnections, not "
                        + maxConnectionsPerAddress + " and " + maxConnections);
            }
            requireMillis(handshakeTimeout, "handshakeTimeout");
            requireMillis(idleTimeout, "idleTimeout");
        }

        private static void requireMillis(Duration d, String what) {
            if (d.toMillis() < 1 || d.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " must be 1 ms to 24 days, not " + d);
            }
        }
    }

    private final Path dir;
    private final Path library;
    private final X509Certificate certificate;
    private final ServerSocket listener;
    private final SSLSocketFactory tls;
    private final SSLParameters tlsParameters;
    private final Limits limits;
    private final Registry.Cached registry;
    private final RequestProcessor processor;
    private final Map<String, Partition> open = new HashMap<>();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Semaphore slots;
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private final ScheduledThreadPoolExecutor deadlines;
    private final Thread acceptor;
    private long refusedSinceLog;
    private long lastRefusalLogNanos;
    private volatile boolean closed;

    private HsmGateway(
            Path dir,
            Path library,
            X509Certificate certificate,
            ServerSocket listener,
            SSLSocketFactory tls,
            SSLParameters tlsParameters,
            Limits limits) {
        this.dir = dir;
        this.library = library;
        this.certificate = certificate;
        this.listener = listener;
        this.tls = tls;
        this.tlsParameters = tlsParameters;
        this.limits = limits;
        this.slots = new Semaphore(limits.maxConnections());
        this.registry = new Registry.Cached(dir);
        this.processor = new RequestProcessor(this::partition, InstantSource.system());
        this.deadlines = new ScheduledThreadPoolExecutor(
                1, Thread.ofPlatform().name("strongroom-hsm-deadline").daemon().factory());
        this.deadlines.setRemoveOnCancelPolicy(true);
        this.acceptor =
                Thread.ofPlatform().name("strongroom-hsm-accept").daemon().unstarted(this::acceptLoop);
    }

    /**
     * Starts serving on {@code bind}:{@code port} (0 picks a free port) with PKCS#11 library {@code library} and the
     * default {@link Limits}. Creates the directory and the server certificate on first start.
     */
    public static HsmGateway start(Path dir, String bind, int port, Path library) {
        return start(dir, bind, port, library, Limits.DEFAULT);
    }

    /** {@link #start(Path, String, int, Path)} with connection limits {@code limits}. */
    public static HsmGateway start(Path dir, String bind, int port, Path library, Limits limits) {
        Identity id = Identity.loadOrCreate(dir);
        ServerSocket s = null;
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(id.keyStore, NO_PASSWORD);
            Registry.Cached reg = new Registry.Cached(dir);
            ctx.init(
                    kmf.getKeyManagers(),
                    new X509ExtendedTrustManager[] {new RegisteredClients(reg)},
                    new SecureRandom());
            // The server's default suites (not the client's), plus two CBC suites older KMIP clients need.
            SSLServerSocketFactory server = ctx.getServerSocketFactory();
            Set<String> suites = new LinkedHashSet<>(Arrays.asList(server.getDefaultCipherSuites()));
            for (String extra :
                    List.of("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384")) {
                if (Arrays.asList(server.getSupportedCipherSuites()).contains(extra)) {
                    suites.add(extra);
                }
            }
            SSLParameters params =
                    new SSLParameters(suites.toArray(new String[0]), new String[] {"TLSv1.3", "TLSv1.2"});
            params.setNeedClientAuth(true);
            s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(bind), port), 64);
            HsmGateway g = new HsmGateway(dir, library, id.certificate, s, ctx.getSocketFactory(), params, limits);
            g.acceptor.start();
            LOG.log(
                    Level.INFO,
                    "strongroom hsm serving KMIP on " + bind + ":" + g.port() + " (PKCS#11 " + library
                            + "), server certificate sha256:" + ClientCertificates.fingerprint(id.certificate));
            return g;
        } catch (GeneralSecurityException | IOException e) {
            closeQuietly(s);
            throw new StrongroomException(
                    ErrorCode.IO_ERROR, "cannot listen on " + bind + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The server certificate: its PEM is what users give CreateHsmConfiguration (HsmServerPublicCertificate). */
    public X509Certificate serverCertificate() {
        return certificate;
    }

    /** The server certificate of gateway directory {@code dir}, made on first use. */
    public static X509Certificate serverCertificate(Path dir) {
        return Identity.loadOrCreate(dir).certificate;
    }

    // ---------------------------------------------------------------- management (usable while a gateway runs)

    /**
     * Creates partition {@code label}: initialises a free token of {@code library} with that label, user PIN
     * {@code pin} and a random security officer PIN that is not kept, then records it. With {@code existing}, the
     * token must exist already (made with the vendor's tools) and is only recorded. A gateway already running in
     * another process sees a new SoftHSM2 token only after a restart; {@link #createPartition(String, String)} on a
     * running gateway does not need one.
     *
     * <p>The whole create (the check that the label is free, C_InitToken, the registry record) runs under the
     * registry lock, so two creates of one label, in one process or two, cannot both initialise a token with it. A
     * crash after C_InitToken and before the record leaves a token the registry does not name (see
     * docs/format/hsm-gateway.md).
     */
    public static void createPartition(Path dir, Path library, String label, String pin, boolean existing) {
        Registry.requireLabel(label);
        if (pin.length() < 4 || pin.length() > 255) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "the partition password must be 4 to 255 characters");
        }
        Registry.update(dir, reg -> {
            if (reg.partitions().contains(label)) {
                throw new StrongroomException(ErrorCode.ALREADY_EXISTS, "partition " + label + " exists already");
            }
            Pkcs11Slots slots = Pkcs11Slots.of(library);
            if (existing) {
                if (slots.slotOf(label) == null) {
                    throw new StrongroomException(
                            ErrorCode.NOT_FOUND, "no token labelled " + label + " in " + library + "; create it first");
                }
            } else {
                byte[] r = new byte[12];
                new SecureRandom().nextBytes(r);
                char[] so = HexFormat.of().formatHex(r).toCharArray();
                char[] user = pin.toCharArray();
                try {
                    slots.initToken(label, so, user);
                } finally {
                    Arrays.fill(so, '0');
                    Arrays.fill(user, '0');
                    Arrays.fill(r, (byte) 0);
                }
            }
            return reg.withPartition(label);
        });
    }

    /** {@link #createPartition(Path, Path, String, String, boolean)} in this gateway's process. */
    public void createPartition(String label, String pin) {
        createPartition(dir, library, label, pin, false);
    }

    /** Registers client certificate {@code cert} as {@code name} (no partition yet). */
    public static void registerClient(Path dir, String name, X509Certificate cert) {
        Registry.update(dir, reg -> reg.withClient(name, cert));
    }

    /** Lets client {@code name} use partition {@code label}. */
    public static void assignClient(Path dir, String name, String label) {
        Registry.update(dir, reg -> reg.withAssignment(name, label));
    }

    /** Withdraws client {@code name} from partition {@code label}, or, when {@code label} is null, entirely. */
    public static void revokeClient(Path dir, String name, @Nullable String label) {
        Registry.update(dir, reg -> reg.withoutClient(name, label));
    }

    /** Partition labels, in creation order. */
    public static List<String> partitions(Path dir) {
        return Registry.load(dir).partitions();
    }

    /** One line per registered client: name, SHA-256 fingerprint, subject, partitions. */
    public static List<String> clients(Path dir) {
        Registry reg = Registry.load(dir);
        return reg.clients().keySet().stream().sorted().map(reg::describeClient).toList();
    }

    /**
     * Writes a SoftHSM2 configuration at {@code confFile} (the file SOFTHSM2_CONF names) with its token directory
     * {@code tokens/} beside it, unless the file exists. SoftHSM2 reads it when the library is first loaded in the
     * process, so call this before the first gateway starts: the embedded gateway and tests do.
     */
    public static void writeSoftHsmConfig(Path confFile) {
        Path conf = confFile.toAbsolutePath();
        if (Files.exists(conf)) {
            return;
        }
        Path tokens = conf.resolveSibling("tokens");
        try {
            Files.createDirectories(tokens);
            DurableFile.replace(
                    conf,
                    ("directories.tokendir = " + tokens + "\n"
                                    + "objectstore.backend = file\n"
                                    + "log.level = ERROR\n"
                                    + "slots.removable = false\n"
                                    + "slots.mechanisms = ALL\n"
                                    + "library.reset_on_fork = false\n")
                            .getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StrongroomException(ErrorCode.IO_ERROR, "cannot write " + conf + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- serving

    private Partition partition(String label) {
        synchronized (open) {
            Partition p = open.get(label);
            if (p != null) {
                return p;
            }
            try {
                p = Partition.open(dir, label, library);
            } catch (StrongroomException e) {
                // The details name the PKCS#11 library and the lock file: server paths stay in the server log.
                String ref = reference();
                LOG.log(
                        Level.WARNING,
                        "cannot open partition " + label + " (reference " + ref + "): " + e.getMessage());
                throw new KmipFailure(
                        ResultReason.GENERAL_FAILURE,
                        "partition " + label + " cannot be opened now (reference " + ref
                                + "); the gateway log has the details under that reference");
            }
            open.put(label, p);
            return p;
        }
    }

    /** Token aliases of an open partition, for tests. */
    List<String> tokenAliases(String label) {
        return partition(label).tokenAliases();
    }

    /** How many times an open partition has asked its token to log in (C_Login), for tests. */
    int tokenLogins(String label) {
        return partition(label).tokenLogins();
    }

    /** A short random reference tying a client's failure message to the gateway log line with its details. */
    private static String reference() {
        byte[] r = new byte[6];
        REFERENCES.nextBytes(r);
        return HexFormat.of().formatHex(r);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(Level.WARNING, "accept failed on port " + port() + ": " + e);
                }
                continue;
            }
            InetAddress from = s.getInetAddress();
            if (!admit(from)) {
                closeQuietly(s);
                continue;
            }
            connections.add(s);
            try {
                Thread.ofVirtual().name("strongroom-hsm-conn").start(() -> {
                    try {
                        serve(s);
                    } finally {
                        connections.remove(s);
                        release(from);
                    }
                });
            } catch (RuntimeException e) {
                connections.remove(s);
                release(from);
                closeQuietly(s);
                LOG.log(Level.ERROR, "cannot start serving a connection", e);
            }
        }
    }

    /** Takes a connection slot and one of {@code from}'s, or neither (and logs) when a limit is reached. */
    private boolean admit(InetAddress from) {
        if (!slots.tryAcquire()) {
            refused("more than " + limits.maxConnections() + " connections");
            return false;
        }
        synchronized (perAddress) {
            int n = perAddress.getOrDefault(from, 0);
            if (n < limits.maxConnectionsPerAddress()) {
                perAddress.put(from, n + 1);
                return true;
            }
        }
        slots.release();
        refused("more than " + limits.maxConnectionsPerAddress() + " connections from " + from.getHostAddress());
        return false;
    }

    private void release(InetAddress from) {
        synchronized (perAddress) {
            int n = perAddress.getOrDefault(from, 0);
            if (n <= 1) {
                perAddress.remove(from);
            } else {
                perAddress.put(from, n - 1);
            }
        }
        slots.release();
    }

    /** Logs a refused connection, at most once a minute (a flood of them would otherwise flood the log). */
    private void refused(String why) {
        synchronized (perAddress) {
            refusedSinceLog++;
            long now = System.nanoTime();
            if (lastRefusalLogNanos != 0 && now - lastRefusalLogNanos < REFUSAL_LOG_INTERVAL.toNanos()) {
                return;
            }
            LOG.log(
                    Level.WARNING,
                    "refused a connection: " + why + " (" + refusedSinceLog + " refused since the last report)");
            refusedSinceLog = 0;
            lastRefusalLogNanos = now;
        }
    }

    /** Number of open connections from {@code from}, for tests. */
    int connectionsFrom(InetAddress from) {
        synchronized (perAddress) {
            return perAddress.getOrDefault(from, 0);
        }
    }

    private void serve(Socket plain) {
        String peer = String.valueOf(plain.getRemoteSocketAddress());
        // Closing the plain socket is what ends a stalled handshake: the read under it fails at once.
        ScheduledFuture<?> deadline;
        try {
            deadline = deadlines.schedule(
                    () -> closeQuietly(plain), limits.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            closeQuietly(plain); // closing
            return;
        }
        try (SSLSocket s = (SSLSocket) tls.createSocket(plain, null, true)) {
            s.setSSLParameters(tlsParameters);
            s.setSoTimeout((int) limits.handshakeTimeout().toMillis());
            try {
                s.startHandshake();
            } catch (IOException e) {
                if (deadline.isDone() && !deadline.isCancelled()) {
                    LOG.log(
                            Level.INFO,
                            "connection from " + peer + " closed: no TLS handshake within "
                                    + limits.handshakeTimeout().toSeconds() + " s");
                    return;
                }
                throw e;
            }
            if (!deadline.cancel(false)) {
                return; // the deadline closed the socket just as the handshake ended
            }
            s.setSoTimeout((int) limits.idleTimeout().toMillis());
            Certificate[] chain = s.getSession().getPeerCertificates();
            X509Certificate cert = (X509Certificate) chain[0];
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            TtlvReader reader = new TtlvReader(in, TtlvCodec.MAX_MESSAGE_BYTES);
            while (!closed) {
                byte[] bytes;
                try {
                    bytes = reader.next();
                } catch (TtlvException e) {
                    // The stream is out of step after a refused header: answer, then hang up.
                    LOG.log(Level.WARNING, "refused a message from " + peer + ": " + e.getMessage());
                    TtlvReader.write(out, invalid(null, String.valueOf(e.getMessage())));
                    return;
                }
                if (bytes == null) {
                    return;
                }
                byte[] answer = answer(bytes, cert, peer);
                // An Encrypt request holds plaintext and a Decrypt answer too; neither is kept.
                Arrays.fill(bytes, (byte) 0);
                try {
                    TtlvReader.write(out, answer);
                } finally {
                    Arrays.fill(answer, (byte) 0);
                }
            }
        } catch (SocketException e) {
            LOG.log(Level.DEBUG, "connection from " + peer + " ended: " + e.getMessage());
        } catch (IOException e) {
            LOG.log(Level.INFO, "connection from " + peer + " failed: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "connection from " + peer + " failed", e);
        } finally {
            deadline.cancel(false);
            closeQuietly(plain);
        }
    }

    private static void closeQuietly(@Nullable Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing a connection: " + e);
            }
        }
    }

    /** The encoded answer to one request's bytes from the client presenting {@code cert}. */
    private byte[] answer(byte[] bytes, X509Certificate cert, String peer) {
        return answer(bytes, peer, m -> {
            Registry reg = registry.get();
            String client = reg.clientOf(cert);
            if (client == null) {
                List<ResponseMessage.Item> items = new ArrayList<>();
                for (RequestMessage.Item i : m.items()) {
                    items.add(ResponseMessage.Item.failure(
                            i.operationCode(),
                            i.batchItemId(),
                            ResultReason.AUTHENTICATION_NOT_SUCCESSFUL,
                            "this client certificate is no longer registered"));
                }
                return new ResponseMessage(
                        RequestProcessor.answerVersion(m.version()),
                        InstantSource.system().instant().getEpochSecond(),
                        items);
            }
            return processor.process(
                    m, client, label -> reg.partitions().contains(label) && reg.assigned(client, label));
        });
    }

    /**
     * The gateway's parsing of one framed request and the encoding of its answer, apart from the registry and the
     * partitions ({@code process} answers a decoded message): a message that does not decode is answered Invalid
     * Message (in the version it names, when that much can be read) and logged as a redacted dump; a failure of
     * {@code process} itself is answered General Failure with a reference to the log line; an answer that cannot
     * be encoded is answered Invalid Message. Always returns an encoded response message; the fuzz target
     * {@code hsm.gateway-request} holds it to that.
     */
    static byte[] answer(byte[] bytes, String peer, Function<RequestMessage, ResponseMessage> process) {
        RequestMessage m;
        try {
            m = KmipCodec.decodeRequest(bytes);
        } catch (TtlvException e) {
            LOG.log(
                    Level.WARNING,
                    "malformed KMIP request from " + peer + ": " + e.getMessage() + "\n" + TtlvDump.redacted(bytes));
            return invalid(KmipCodec.peekVersion(bytes), String.valueOf(e.getMessage()));
        }
        ResponseMessage r;
        try {
            r = process.apply(m);
        } catch (RuntimeException e) {
            // Not a KMIP refusal (those are answers) but a failure of the gateway, for example a metadata write;
            // its message may name server paths, so the client gets a reference to the log line.
            String ref = reference();
            LOG.log(Level.ERROR, "request from " + peer + " failed (reference " + ref + ")", e);
            List<ResponseMessage.Item> items = new ArrayList<>();
            for (RequestMessage.Item i : m.items()) {
                items.add(ResponseMessage.Item.failure(
                        i.operationCode(),
                        i.batchItemId(),
                        ResultReason.GENERAL_FAILURE,
                        "the gateway failed (reference " + ref + "); its log has the details under that"
                                + " reference"));
            }
            r = new ResponseMessage(
                    RequestProcessor.answerVersion(m.version()),
                    InstantSource.system().instant().getEpochSecond(),
                    items);
        }
        try {
            return KmipCodec.encodeResponse(r);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "cannot encode the answer to " + peer, e);
            return invalid(m.version(), "the server could not encode its answer; see the gateway log");
        }
    }

    private static byte[] invalid(@Nullable ProtocolVersion v, String message) {
        return KmipCodec.encodeResponse(new ResponseMessage(
                RequestProcessor.answerVersion(v),
                InstantSource.system().instant().getEpochSecond(),
                List.of(ResponseMessage.Item.failure(-1, null, ResultReason.INVALID_MESSAGE, message))));
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing the listener", e);
        }
        for (Socket s : connections) {
            closeQuietly(s);
        }
        deadlines.shutdownNow();
        try {
            acceptor.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (open) {
            for (Partition p : open.values()) {
                p.close();
            }
            open.clear();
        }
    }

    @Override
    public String toString() {
        return "HsmGateway[" + dir + ", port " + port() + "]";
    }

    /** Accepts exactly the registered client certificates, read from the registry at each handshake. */
    private static final class RegisteredClients extends OneSidedTrust {
        private final Registry.Cached registry;

        RegisteredClients(Registry.Cached registry) {
            super(false);
            this.registry = registry;
        }

        @Override
        protected void check(X509Certificate[] chain) throws CertificateException {
            if (chain.length == 0 || registry.get().clientOf(chain[0]) == null) {
                throw new CertificateException("client certificate "
                        + (chain.length == 0 ? "missing" : "sha256:" + ClientCertificates.fingerprint(chain[0]))
                        + " is not registered; register it with `strongroom hsm client register`");
            }
        }

        /** Empty: naming the registered clients to anyone who connects would list them. */
        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** The server's key and certificate in {@code server.p12} (no password, mode 0600), made on first use. */
    private record Identity(KeyStore keyStore, X509Certificate certificate) {
        static synchronized Identity loadOrCreate(Path dir) {
            Path file = dir.resolve(SERVER_KEYSTORE);
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                if (Files.exists(file)) {
                    try (InputStream in = Files.newInputStream(file)) {
                        ks.load(in, NO_PASSWORD);
                    }
                    if (!(ks.getCertificate("server") instanceof X509Certificate cert)) {
                        throw new StrongroomException(
                                ErrorCode.INTEGRITY_FAILURE,
                                file + " holds no server certificate; move it away to make"
                                        + " a new one (clients must then be given the new certificate)");
                    }
                    return new Identity(ks, cert);
                }
                ClientCertificates.Issued issued = ClientCertificates.generateServer(
                        "Strongroom HSM gateway", Duration.ofDays(3650), List.of("localhost", "127.0.0.1"));
                ks.load(null, null);
                PrivateKey key = issued.privateKey();
                ks.setKeyEntry("server", key, NO_PASSWORD, new Certificate[] {issued.certificate()});
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ks.store(bytes, NO_PASSWORD);
                DurableFile.replace(file, bytes.toByteArray());
                return new Identity(ks, issued.certificate());
            } catch (GeneralSecurityException | IOException e) {
                throw new StrongroomException(
                        ErrorCode.IO_ERROR, "cannot load or create the gateway's server key " + file + ": " + e, e);
            }
        }
    }
}
