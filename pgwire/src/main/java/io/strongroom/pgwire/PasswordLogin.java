package io.strongroom.pgwire;

import io.strongroom.base.ErrorCode;
import io.strongroom.pgwire.protocol.BackendWriter;
import io.strongroom.pgwire.protocol.FrontendMessage;
import io.strongroom.pgwire.protocol.PgException;
import io.strongroom.pgwire.protocol.StartupPacket;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The password exchange of one login, after the startup packet, by the method the server chose for the client
 * ({@link PasswordMethod}; by default SCRAM-SHA-256 for PostgreSQL clients and Redshift's SHA-256 digest for Amazon's
 * Redshift drivers). Every wrong password is
 * logged with the client's address and answered after the throttle's delay; an unknown user runs the same exchange
 * against made-up credentials. Used by one connection thread.
 */
final class PasswordLogin {
    private static final System.Logger LOG = System.getLogger(PasswordLogin.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PgServer.Config config;
    private final LoginThrottle throttle;
    private final InetAddress peer;
    private final InputStream in;
    private final BackendWriter out;
    private final String database;

    PasswordLogin(
            PgServer.Config config,
            LoginThrottle throttle,
            InetAddress peer,
            InputStream in,
            BackendWriter out,
            String database) {
        this.database = database;
        this.config = config;
        this.throttle = throttle;
        this.peer = peer;
        this.in = in;
        this.out = out;
    }

    /**
     * PostgreSQL's md5 login (authentication code 5): the server sends a 4-byte salt; the client answers with a
     * PasswordMessage {@code "md5" + hex md5(hex md5(password || user) || salt)}. Credentials kept without the md5
     * hash (a password set before Strongroom kept it) are refused with a 28000 that says what to do; an unknown user
     * gets a salt and fails like a wrong password.
     */
    void md5(String u) throws IOException {
        Credentials known = config.authenticator().lookup(u, database);
        if (known != null && !known.supportsMd5()) {
            throw new PgException(
                    ErrorCode.INVALID_AUTHORIZATION,
                    "md5 authentication is not available for user \"" + u + "\": its password was set before"
                            + " Strongroom kept the md5 hash. Set the password again (aws redshift modify-cluster"
                            + " --master-user-password), or choose another method with the cluster parameter"
                            + " auth_methods",
                    true);
        }
        byte[] salt = new byte[4];
        RANDOM.nextBytes(salt);
        out.authenticationMd5Password(salt);
        out.flush();
        String answer = readPassword().password();
        throttleBeforeCheck(u);
        byte[] expected = known == null ? null : known.md5Response(salt);
        if (expected == null || !MessageDigest.isEqual(expected, answer.getBytes(StandardCharsets.UTF_8))) {
            throw authenticationFailed(u);
        }
    }

    /**
     * SCRAM-SHA-256 (authentication code 10, SASL): the server offers the mechanism, the client sends its first
     * message, the server its salt, iterations and nonce, the client its proof, and the server its signature (code
     * 12). An unknown user runs the exchange against made-up credentials.
     */
    void scram(String u) throws IOException {
        Credentials known = config.authenticator().lookup(u, database);
        Credentials credentials = known != null ? known : Credentials.impossible(config.unknownUserKey(), u);
        out.authenticationSasl(List.of("SCRAM-SHA-256"));
        out.flush();
        FrontendMessage.SaslInitialResponse first = readPassword().saslInitialResponse();
        if (!first.mechanism().equals("SCRAM-SHA-256")) {
            throw new PgException(
                    ErrorCode.INVALID_AUTHORIZATION, "SASL mechanism not supported: use SCRAM-SHA-256", true);
        }
        byte[] nonce = new byte[18];
        RANDOM.nextBytes(nonce);
        ScramExchange scram =
                new ScramExchange(credentials, u, Base64.getEncoder().encodeToString(nonce));
        out.authenticationSaslContinue(scram.serverFirst(first.data()));
        out.flush();
        byte[] serverFinal;
        try {
            byte[] proof = readPassword().saslResponse();
            throttleBeforeCheck(u);
            serverFinal = scram.serverFinal(proof);
        } catch (PgException e) {
            throw e.code() == ErrorCode.INVALID_PASSWORD ? authenticationFailed(u) : e;
        }
        out.authenticationSaslFinal(serverFinal);
    }

    /**
     * Whether the client is one of Amazon's Redshift drivers (JDBC, Python, ODBC), which announce themselves with
     * {@code client_protocol_version} (and {@code driver_version}) and log in with Redshift's SHA-256 digest: the
     * JDBC driver cannot do SCRAM.
     */
    static boolean redshiftDriver(Map<String, String> params) {
        return params.containsKey("client_protocol_version")
                || params.getOrDefault("driver_version", "").startsWith("Redshift");
    }

    /**
     * Redshift's digest login (authentication code 13), as its drivers implement it: the server sends a salt and
     * a nonce; the client answers with a 'd' message: int32 n, SHA-256(SHA-256(password || salt) || server nonce ||
     * client nonce), int32 m, client nonce. The server keeps SHA-256(password || salt) only. An unknown user gets
     * a made-up salt and fails like a wrong password.
     */
    void redshiftDigest(String u) throws IOException {
        Credentials known = config.authenticator().lookup(u, database);
        if (known != null && !known.supportsDigest()) {
            throw new PgException(
                    ErrorCode.INVALID_AUTHORIZATION,
                    "user \"" + u + "\" cannot log in with a Redshift driver yet: its password was set before"
                            + " Strongroom kept Redshift's digest verifier. Set the password again (aws redshift"
                            + " modify-cluster --master-user-password), or use a PostgreSQL driver (SCRAM-SHA-256)",
                    true);
        }
        Credentials credentials = known != null ? known : Credentials.impossible(config.unknownUserKey(), u);
        byte[] salt = Objects.requireNonNull(credentials.digestSalt());
        byte[] serverNonce = new byte[16];
        RANDOM.nextBytes(serverNonce);
        out.authenticationRedshiftDigest(salt, serverNonce);
        out.flush();
        FrontendMessage m = FrontendMessage.read(in, StartupPacket.MAX_BYTES);
        if (m instanceof FrontendMessage.Terminate) {
            throw new EOFException("client left during authentication");
        }
        if (!(m instanceof FrontendMessage.CopyData d)) {
            throw PgException.protocolViolation(
                    "expected a digest response ('d'), got " + m.getClass().getSimpleName());
        }
        ByteBuffer b = ByteBuffer.wrap(d.data());
        byte[] digest;
        byte[] clientNonce;
        try {
            digest = new byte[lengthAtMost(b.getInt(), 64)];
            b.get(digest);
            clientNonce = new byte[lengthAtMost(b.getInt(), 256)];
            b.get(clientNonce);
        } catch (BufferUnderflowException e) {
            throw PgException.protocolViolation("malformed digest response");
        }
        throttleBeforeCheck(u);
        if (known == null || !credentials.digestMatches(serverNonce, clientNonce, digest)) {
            throw authenticationFailed(u);
        }
    }

    private static int lengthAtMost(int n, int max) {
        if (n < 0 || n > max) {
            throw PgException.protocolViolation("malformed digest response");
        }
        return n;
    }

    /**
     * A wrong password: logged with the user and the client's address, and answered only after the throttle's delay,
     * which grows with the recent failures from that address or for that user.
     */
    private PgException authenticationFailed(String u) {
        Duration next = throttle.failed(peer, u);
        try {
            config.loginAudit().failed(peer, u, database);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, () -> "cannot audit a failed login: " + e);
        }
        LOG.log(
                System.Logger.Level.INFO,
                () -> "password authentication failed for user \"" + u + "\" from " + peer.getHostAddress()
                        + " (the next attempt waits " + next.toMillis() + " ms)");
        return ScramExchange.authenticationFailed(u);
    }

    /** Waits the delay earned by recent failures from this address or for {@code u}, before checking a password. */
    private void throttleBeforeCheck(String u) {
        Duration wait = throttle.before(peer, u);
        if (!wait.isZero()) {
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private FrontendMessage.Password readPassword() throws IOException {
        FrontendMessage m = FrontendMessage.read(in, StartupPacket.MAX_BYTES);
        if (m instanceof FrontendMessage.Password p) {
            return p;
        }
        if (m instanceof FrontendMessage.Terminate) {
            throw new EOFException("client left during authentication");
        }
        throw PgException.protocolViolation(
                "expected a password response, got " + m.getClass().getSimpleName());
    }
}
