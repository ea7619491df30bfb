package io.strongroom.pgwire;

import static io.strongroom.pgwire.RawClient.body;
import static io.strongroom.pgwire.RawClient.types;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.pgwire.RawClient.Msg;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each password login on the wire, byte by byte, as the client side computes it from the password alone (nothing
 * here reads the server's {@link Credentials}): what the server sends, what it accepts, and that a wrong password
 * gets 28P01 and nothing else. The server holds the stored form the control plane keeps ({@code SCRAM-SHA-256$...;
 * SHA256-DIGEST$...;MD5$...}), so these are the exchanges a cluster runs.
 *
 * <ul>
 *   <li>MD5, code 5: {@code 'R' int32 12, int32 5, salt[4]}; the client answers {@code 'p' "md5" + hex md5(hex
 *       md5(password || user) || salt) \0}.
 *   <li>SCRAM-SHA-256, code 10: {@code 'R' int32 10, "SCRAM-SHA-256\0", \0}; SASLInitialResponse; code 11 with the
 *       salt and iterations; the client's proof; code 12 with the server's signature, which the client checks.
 *   <li>Redshift's SHA-256 digest, code 13: {@code 'R' int32 13, int32 0, int32 n, salt, int32 m, server nonce}; the
 *       client answers {@code 'd' int32 32, SHA-256(SHA-256(password || salt) || server nonce || client nonce),
 *       int32 k, client nonce}.
 * </ul>
 */
class AuthenticationMethodsIT {
    static final String USER = "admin";
    static final String PASSWORD = "Passw0rdX";
    static final String WRONG = "Passw0rdY";

    static FakeSqlEngine engine;
    static Credentials stored;

    @BeforeAll
    static void storedForm() {
        engine = new FakeSqlEngine();
        char[] pw = PASSWORD.toCharArray();
        stored = Credentials.ofStored(Credentials.ofPassword(USER, pw).scramVerifier() + ";"
                + Credentials.digestVerifier(pw) + ";" + Credentials.md5Verifier(USER, pw));
    }

    static PgServer server(PasswordMethod forPostgres, PasswordMethod forRedshift, Credentials credentials) {
        return PgServer.builder()
                .engine(engine)
                .port(0)
                .tlsDisabled()
                .passwordMethod(forPostgres)
                .redshiftDriverMethod(forRedshift)
                .authenticator(Authenticator.single(USER, credentials))
                .start();
    }

    /** A startup packet; {@code redshiftDriver} adds what Amazon's drivers announce. */
    static void startup(RawClient c, String user, boolean redshiftDriver) throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", user);
        params.put("database", "dev");
        if (redshiftDriver) {
            params.put("client_protocol_version", "2");
            params.put("driver_version", "Redshift JDBC Driver 2.1.0.33");
        }
        RawClient.Body b = body().int32(196608);
        for (Map.Entry<String, String> e : params.entrySet()) {
            b.cstring(e.getKey()).cstring(e.getValue());
        }
        c.sendUntyped(b.int8(0).build());
    }

    /** After the password: AuthenticationOk (code 0), ParameterStatus..., BackendKeyData, ReadyForQuery. */
    static void assertLoggedIn(RawClient c, Msg afterAnswer) throws Exception {
        assertThat(afterAnswer.type()).isEqualTo('R');
        assertThat(afterAnswer.body()).as("AuthenticationOk").containsExactly(0, 0, 0, 0);
        assertThat(types(c.readUntil('Z'))).matches("S+KZ");
    }

    /** A wrong password: one fatal ErrorResponse, 28P01, naming the user, and the connection closed. */
    static void assertRefused(RawClient c, Msg afterAnswer) throws Exception {
        assertThat(afterAnswer.type()).isEqualTo('E');
        assertThat(afterAnswer.sqlState()).isEqualTo("28P01");
        assertThat(afterAnswer.text()).contains("password authentication failed for user \"" + USER + "\"");
        assertThat(c.closedByServer()).isTrue();
    }

    static byte[] md5Hex(byte[]... parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        for (byte[] p : parts) {
            md.update(p);
        }
        return HexFormat.of().formatHex(md.digest()).getBytes(StandardCharsets.US_ASCII);
    }

    /** The md5 login, for PostgreSQL clients or Redshift drivers alike; returns the message after the answer. */
    static Msg md5Login(RawClient c, String user, String password, boolean redshiftDriver) throws Exception {
        startup(c, user, redshiftDriver);
        Msg auth = c.read();
        assertThat(auth.type()).isEqualTo('R');
        assertThat(auth.body()).as("int32 5 and a 4-byte salt").hasSize(8);
        assertThat(ByteBuffer.wrap(auth.body()).getInt()).isEqualTo(5);
        byte[] salt = Arrays.copyOfRange(auth.body(), 4, 8);
        byte[] inner = md5Hex((password + user).getBytes(StandardCharsets.UTF_8));
        String answer = "md5" + new String(md5Hex(inner, salt), StandardCharsets.US_ASCII);
        assertThat(answer).hasSize(35);
        c.send('p', body().cstring(answer).build());
        return c.read();
    }

    @Test
    void md5_code5_sendsASalt_acceptsTheRightHash_refusesAWrongOne_forBothKindsOfClient() throws Exception {
        try (PgServer s = server(PasswordMethod.MD5, PasswordMethod.MD5, stored)) {
            for (boolean redshiftDriver : new boolean[] {false, true}) {
                try (RawClient c = new RawClient(s.port())) {
                    assertLoggedIn(c, md5Login(c, USER, PASSWORD, redshiftDriver));
                }
                try (RawClient c = new RawClient(s.port())) {
                    assertRefused(c, md5Login(c, USER, WRONG, redshiftDriver));
                }
            }
            // The salt is fresh each time, so a captured answer does not log in again.
            try (RawClient c = new RawClient(s.port())) {
                startup(c, USER, false);
                byte[] first = c.read().body();
                try (RawClient d = new RawClient(s.port())) {
                    startup(d, USER, false);
                    assertThat(d.read().body()).isNotEqualTo(first);
                }
            }
        }
    }

    @Test
    void md5_unknownUser_getsTheSameExchange_andTheSameRefusal() throws Exception {
        try (PgServer s = server(PasswordMethod.MD5, PasswordMethod.REDSHIFT_DIGEST, stored);
                RawClient c = new RawClient(s.port())) {
            Msg after = md5Login(c, "nobody", PASSWORD, false);
            assertThat(after.type()).isEqualTo('E');
            assertThat(after.sqlState()).isEqualTo("28P01");
        }
    }

    @Test
    void md5_credentialsKeptWithoutTheHash_areRefusedSayingWhatToDo() throws Exception {
        char[] pw = PASSWORD.toCharArray();
        Credentials old = Credentials.ofStored(
                Credentials.ofPassword(USER, pw).scramVerifier() + ";" + Credentials.digestVerifier(pw));
        assertThat(old.supportsMd5()).isFalse();
        try (PgServer s = server(PasswordMethod.MD5, PasswordMethod.REDSHIFT_DIGEST, old);
                RawClient c = new RawClient(s.port())) {
            startup(c, USER, false);
            Msg m = c.read();
            assertThat(m.type()).as("refused before any salt is sent").isEqualTo('E');
            assertThat(m.sqlState()).isEqualTo("28000");
            assertThat(m.text())
                    .contains("modify-cluster --master-user-password")
                    .contains("auth_methods");
        }
    }

    static byte[] hmac(byte[] key, byte[] data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data);
    }

    /**
     * The SCRAM-SHA-256 login from the client's side (RFC 5802 §3); returns the message after the client's proof.
     * On success the server's signature (code 12) is checked here, as a client must, before AuthenticationOk.
     */
    static Msg scramLogin(RawClient c, String password, boolean redshiftDriver) throws Exception {
        startup(c, USER, redshiftDriver);
        Msg offer = c.read();
        assertThat(offer.type()).isEqualTo('R');
        ByteBuffer ob = ByteBuffer.wrap(offer.body());
        assertThat(ob.getInt()).isEqualTo(10);
        byte[] mechanisms = new byte[ob.remaining()];
        ob.get(mechanisms);
        assertThat(new String(mechanisms, StandardCharsets.US_ASCII))
                .as("one mechanism, no -PLUS: no channel binding")
                .isEqualTo("SCRAM-SHA-256\0\0");

        String clientNonce = "rOprNGfwEbeRWgbNEkqO";
        String clientFirstBare = "n=,r=" + clientNonce;
        byte[] first = ("n,," + clientFirstBare).getBytes(StandardCharsets.UTF_8);
        c.send(
                'p',
                body().cstring("SCRAM-SHA-256").int32(first.length).bytes(first).build());
        Msg cont = c.read();
        assertThat(cont.type()).isEqualTo('R');
        assertThat(ByteBuffer.wrap(cont.body()).getInt()).isEqualTo(11);
        String serverFirst = new String(cont.body(), 4, cont.body().length - 4, StandardCharsets.UTF_8);
        assertThat(serverFirst).matches("r=" + clientNonce + "[A-Za-z0-9+/=]+,s=[A-Za-z0-9+/=]+,i=4096");
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        byte[] salt = Base64.getDecoder()
                .decode(serverFirst.substring(serverFirst.indexOf(",s=") + 3, serverFirst.indexOf(",i=")));

        byte[] saltedPassword = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, 4096, 256))
                .getEncoded();
        byte[] clientKey = hmac(saltedPassword, "Client Key".getBytes(StandardCharsets.UTF_8));
        byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
        String withoutProof = "c=biws,r=" + nonce;
        byte[] authMessage =
                (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
        byte[] signature = hmac(storedKey, authMessage);
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        c.send(
                'p',
                (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)).getBytes(StandardCharsets.UTF_8));
        Msg next = c.read();
        if (next.type() == 'R' && ByteBuffer.wrap(next.body()).getInt() == 12) {
            byte[] serverKey = hmac(saltedPassword, "Server Key".getBytes(StandardCharsets.UTF_8));
            String expected = "v=" + Base64.getEncoder().encodeToString(hmac(serverKey, authMessage));
            assertThat(new String(next.body(), 4, next.body().length - 4, StandardCharsets.UTF_8))
                    .as("the server proves it holds the verifier")
                    .isEqualTo(expected);
            return c.read();
        }
        return next;
    }

    @Test
    void scram_code10_offersOnlyScramSha256_acceptsTheRightProof_refusesAWrongOne() throws Exception {
        try (PgServer s = server(PasswordMethod.SCRAM_SHA_256, PasswordMethod.SCRAM_SHA_256, stored)) {
            for (boolean redshiftDriver : new boolean[] {false, true}) {
                try (RawClient c = new RawClient(s.port())) {
                    assertLoggedIn(c, scramLogin(c, PASSWORD, redshiftDriver));
                }
                try (RawClient c = new RawClient(s.port())) {
                    assertRefused(c, scramLogin(c, WRONG, redshiftDriver));
                }
            }
        }
    }

    /** Redshift's digest login from the driver's side; returns the message after the client's digest. */
    static Msg digestLogin(RawClient c, String password) throws Exception {
        startup(c, USER, true);
        Msg auth = c.read();
        assertThat(auth.type()).isEqualTo('R');
        ByteBuffer b = ByteBuffer.wrap(auth.body());
        assertThat(b.getInt()).isEqualTo(13);
        assertThat(b.getInt()).as("algorithm 0: SHA-256").isZero();
        byte[] salt = new byte[b.getInt()];
        b.get(salt);
        byte[] serverNonce = new byte[b.getInt()];
        b.get(serverNonce);
        assertThat(b.hasRemaining()).isFalse();
        assertThat(salt).hasSize(16);
        assertThat(serverNonce).hasSize(16);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] h1 = sha.digest(concat(password.getBytes(StandardCharsets.UTF_8), salt));
        // Amazon's drivers send the epoch milliseconds in ASCII as their nonce.
        byte[] clientNonce = "1733472000000".getBytes(StandardCharsets.US_ASCII);
        byte[] digest = sha.digest(concat(h1, serverNonce, clientNonce));
        c.send(
                'd',
                body().int32(digest.length)
                        .bytes(digest)
                        .int32(clientNonce.length)
                        .bytes(clientNonce)
                        .build());
        return c.read();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    @Test
    void digest_code13_toRedshiftDrivers_acceptsTheRightDigest_refusesAWrongOne_othersGetTheirMethod()
            throws Exception {
        try (PgServer s = server(PasswordMethod.MD5, PasswordMethod.REDSHIFT_DIGEST, stored)) {
            try (RawClient c = new RawClient(s.port())) {
                assertLoggedIn(c, digestLogin(c, PASSWORD));
            }
            try (RawClient c = new RawClient(s.port())) {
                assertRefused(c, digestLogin(c, WRONG));
            }
            // The same server asks a PostgreSQL client for md5 (digest-md5), never for the digest.
            try (RawClient c = new RawClient(s.port())) {
                assertLoggedIn(c, md5Login(c, USER, PASSWORD, false));
            }
        }
    }

    @Test
    void redshiftsDigest_cannotBeOfferedToPostgresClients() {
        assertThatThrownBy(() -> PgServer.builder().passwordMethod(PasswordMethod.REDSHIFT_DIGEST))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redshiftDriverMethod");
    }

    @Test
    void storedForm_readsEachPartOnce_andRefusesMalformedOrUnknownParts() {
        char[] pw = PASSWORD.toCharArray();
        String scram = Credentials.ofPassword(USER, pw).scramVerifier();
        String digest = Credentials.digestVerifier(pw);
        String md5 = Credentials.md5Verifier(USER, pw);
        assertThat(md5).matches("MD5\\$[0-9a-f]{32}");
        // Parts in either order; each one enables its login.
        Credentials reordered = Credentials.ofStored(scram + ";" + md5 + ";" + digest);
        assertThat(reordered.supportsMd5()).isTrue();
        assertThat(reordered.supportsDigest()).isTrue();
        Credentials md5Only = Credentials.ofStored(scram + ";" + md5);
        assertThat(md5Only.supportsMd5()).isTrue();
        assertThat(md5Only.supportsDigest()).isFalse();
        assertThat(Credentials.ofStored(scram).supportsMd5()).isFalse();
        for (String bad : new String[] {
            scram + ";" + md5 + ";" + md5,
            scram + ";MD5$0123",
            scram + ";MD5$0123456789ABCDEF0123456789ABCDEF",
            scram + ";PLAIN$" + PASSWORD,
            scram + ";",
            scram + ";SHA256-DIGEST$AAAA"
        }) {
            assertThatThrownBy(() -> Credentials.ofStored(bad))
                    .as(bad.substring(scram.length()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .message()
                    .doesNotContain(PASSWORD)
                    .doesNotContain("0123");
        }
        assertThat(reordered.toString()).doesNotContain(md5.substring(4)).contains("md5");
    }
}
