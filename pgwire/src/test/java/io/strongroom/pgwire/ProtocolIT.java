package io.strongroom.pgwire;

import static io.strongroom.pgwire.RawClient.body;
import static io.strongroom.pgwire.RawClient.types;
import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.pgwire.RawClient.Msg;
import io.strongroom.pgwire.protocol.PgValues;
import io.strongroom.sql.SqlType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server driven byte by byte: the message flows of the protocol, and its answers to broken input. */
class ProtocolIT {
    static final String USER = "u";
    static final String PASSWORD = "pw";
    static FakeSqlEngine engine;
    static PgServer server;

    @BeforeAll
    static void start() {
        engine = new FakeSqlEngine();
        server = PgServer.builder()
                .engine(engine)
                .port(0)
                .tlsDisabled()
                .passwordMethod(PasswordMethod.MD5)
                .maxMessageBytes(1 << 20)
                .authenticator(Authenticator.single(USER, Credentials.ofPassword(USER, PASSWORD.toCharArray())))
                .start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static RawClient login() throws Exception {
        RawClient c = new RawClient(server.port());
        List<Msg> msgs = c.loginMd5(USER, PASSWORD);
        assertThat(types(msgs)).matches("RS+KZ");
        assertThat(msgs.getLast().body()).containsExactly('I');
        return c;
    }

    /**
     * Redshift's digest login (code 13) for a client that announces a Redshift driver; SCRAM (code 10) for any
     * other; what each sends and accepts, wrong passwords included.
     */
    @Test
    void redshiftDriver_getsTheSha256Digest_othersGetScram() throws Exception {
        char[] pw = PASSWORD.toCharArray();
        Credentials both = Credentials.ofStored(
                Credentials.ofPassword(USER, pw).scramVerifier() + ";" + Credentials.digestVerifier(pw));
        try (PgServer s = PgServer.builder()
                .engine(engine)
                .port(0)
                .tlsDisabled()
                .authenticator(Authenticator.single(USER, both))
                .start()) {
            for (String password : List.of(PASSWORD, "wrong")) {
                try (RawClient c = new RawClient(s.port())) {
                    c.sendUntyped(body().int32(196608)
                            .cstring("user")
                            .cstring(USER)
                            .cstring("client_protocol_version")
                            .cstring("2")
                            .cstring("driver_version")
                            .cstring("Redshift Python Driver 2.1.15")
                            .int8(0)
                            .build());
                    Msg auth = c.read();
                    ByteBuffer b = ByteBuffer.wrap(auth.body());
                    assertThat(auth.type()).isEqualTo('R');
                    assertThat(b.getInt()).isEqualTo(13);
                    assertThat(b.getInt()).as("algorithm 0: SHA-256").isZero();
                    byte[] salt = new byte[b.getInt()];
                    b.get(salt);
                    byte[] serverNonce = new byte[b.getInt()];
                    b.get(serverNonce);
                    assertThat(b.hasRemaining()).isFalse();
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    sha.update(password.getBytes(StandardCharsets.UTF_8));
                    sha.update(salt);
                    byte[] h1 = sha.digest();
                    byte[] clientNonce = "1733472000000".getBytes(StandardCharsets.US_ASCII);
                    sha.update(h1);
                    sha.update(serverNonce);
                    sha.update(clientNonce);
                    byte[] digest = sha.digest();
                    c.send(
                            'd',
                            body().int32(digest.length)
                                    .bytes(digest)
                                    .int32(clientNonce.length)
                                    .bytes(clientNonce)
                                    .build());
                    Msg next = c.read();
                    if (password.equals(PASSWORD)) {
                        assertThat(next.type()).isEqualTo('R');
                        assertThat(next.body()).containsExactly(0, 0, 0, 0);
                        assertThat(types(c.readUntil('Z'))).matches("S*KZ");
                    } else {
                        assertThat(next.type()).isEqualTo('E');
                        assertThat(next.sqlState()).isEqualTo("28P01");
                    }
                }
            }
            try (RawClient c = new RawClient(s.port())) {
                c.sendUntyped(body().int32(196608)
                        .cstring("user")
                        .cstring(USER)
                        .int8(0)
                        .build());
                Msg auth = c.read();
                assertThat(ByteBuffer.wrap(auth.body()).getInt())
                        .as("a PostgreSQL client: SASL")
                        .isEqualTo(10);
            }
        }
        // Credentials without the digest verifier: a clear refusal that says what to do.
        try (PgServer s = PgServer.builder()
                        .engine(engine)
                        .port(0)
                        .tlsDisabled()
                        .authenticator(Authenticator.single(USER, Credentials.ofPassword(USER, pw)))
                        .start();
                RawClient c = new RawClient(s.port())) {
            c.sendUntyped(body().int32(196608)
                    .cstring("user")
                    .cstring(USER)
                    .cstring("client_protocol_version")
                    .cstring("3")
                    .int8(0)
                    .build());
            Msg m = c.read();
            assertThat(m.type()).isEqualTo('E');
            assertThat(m.text()).contains("modify-cluster --master-user-password");
        }
    }

    @Test
    void loginsFinishingTogether_neverGoPastTheConnectionCap() throws Exception {
        try (PgServer capped = PgServer.builder()
                        .engine(engine)
                        .port(0)
                        .tlsDisabled()
                        .passwordMethod(PasswordMethod.MD5)
                        .maxConnections(2)
                        .authenticator(Authenticator.single(USER, Credentials.ofPassword(USER, PASSWORD.toCharArray())))
                        .start();
                RawClient a = new RawClient(capped.port());
                RawClient b = new RawClient(capped.port());
                RawClient c = new RawClient(capped.port())) {
            // All three are accepted and asked for their password while none has authenticated: only the count
            // taken when a password checks out can hold the cap.
            List<RawClient> clients = List.of(a, b, c);
            List<byte[]> salts = new ArrayList<>();
            for (RawClient client : clients) {
                salts.add(client.startMd5(USER));
            }
            StringBuilder answers = new StringBuilder();
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).answerMd5(USER, PASSWORD, salts.get(i));
                Msg first = clients.get(i).read();
                answers.append(first.type());
                if (first.type() == 'E') {
                    assertThat(first.sqlState()).isEqualTo("53300");
                    assertThat(clients.get(i).closedByServer()).isTrue();
                }
            }
            assertThat(answers.toString()).isEqualTo("RRE");
        }
    }

    @Test
    void deallocate_dropsTheStatementsParseNamed_soTheNamesCanBeParsedAgain() throws Exception {
        try (RawClient c = login()) {
            // psycopg prepares named statements, and after a rollback sends DEALLOCATE ALL and prepares them again.
            c.send('P', body().cstring("s1").cstring("SELECT 1").int16(0).build());
            c.send('P', body().cstring("s2").cstring("SELECT 1").int16(0).build());
            c.send('S', new byte[0]);
            assertThat(types(c.readUntil('Z'))).isEqualTo("11Z");
            c.send('Q', body().cstring("DEALLOCATE s1").build());
            List<Msg> one = c.readUntil('Z');
            assertThat(types(one)).isEqualTo("CZ");
            assertThat(one.getFirst().text()).isEqualTo("DEALLOCATE\u0000");
            c.send('Q', body().cstring("DEALLOCATE s1").build());
            List<Msg> gone = c.readUntil('Z');
            assertThat(types(gone)).isEqualTo("EZ");
            assertThat(gone.getFirst().sqlState()).isEqualTo("26000");
            c.send('Q', body().cstring("DEALLOCATE ALL").build());
            assertThat(types(c.readUntil('Z'))).isEqualTo("CZ");
            c.send('P', body().cstring("s2").cstring("SELECT 1").int16(0).build());
            c.send('P', body().cstring("s1").cstring("SELECT 1").int16(0).build());
            c.send('S', new byte[0]);
            assertThat(types(c.readUntil('Z'))).isEqualTo("11Z");
        }
    }

    @Test
    void login_reportsSettingsClientsNeed() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            List<Msg> msgs = c.loginMd5(USER, PASSWORD);
            List<String> statuses =
                    msgs.stream().filter(m -> m.type() == 'S').map(Msg::text).toList();
            assertThat(statuses)
                    .contains(
                            "server_version\u000015.0\u0000",
                            "client_encoding\u0000UTF8\u0000",
                            "DateStyle\u0000ISO, MDY\u0000",
                            "integer_datetimes\u0000on\u0000",
                            "standard_conforming_strings\u0000on\u0000");
        }
    }

    @Test
    void sslAndGssEncRequests_areAnsweredN_whenTlsIsOff() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            c.sendUntyped(body().int32(80877103).build());
            assertThat(c.in.readByte()).isEqualTo((byte) 'N');
            c.sendUntyped(body().int32(80877104).build());
            assertThat(c.in.readByte()).isEqualTo((byte) 'N');
            assertThat(types(c.loginMd5(USER, PASSWORD))).endsWith("KZ");
        }
    }

    @Test
    void oversizedStartupPacket_is08P01_andCloses() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            c.out.writeInt(20_000);
            c.out.flush();
            Msg m = c.read();
            assertThat(m.type()).isEqualTo('E');
            assertThat(m.sqlState()).isEqualTo("08P01");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void unknownMessageType_is08P01_andCloses() throws Exception {
        try (RawClient c = login()) {
            c.send('y', new byte[0]);
            Msg m = c.read();
            assertThat(m.type()).isEqualTo('E');
            assertThat(m.sqlState()).isEqualTo("08P01");
            assertThat(m.text()).contains("FATAL");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void oversizedMessage_is08P01_beforeItsBodyArrives() throws Exception {
        try (RawClient c = login()) {
            c.out.writeByte('Q');
            c.out.writeInt(Integer.MAX_VALUE);
            c.out.flush();
            Msg m = c.read();
            assertThat(m.sqlState()).isEqualTo("08P01");
            assertThat(m.text()).contains("invalid length");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void malformedBind_is08P01() throws Exception {
        try (RawClient c = login()) {
            // Bind claiming 1000 parameters in a 12-byte body.
            c.send(
                    'B',
                    body().cstring("").cstring("").int16(0).int16(1000).int32(1).build());
            Msg m = c.read();
            assertThat(m.sqlState()).isEqualTo("08P01");
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.connectionCount()).isLessThanOrEqualTo(1);
    }

    @Test
    void emptyQuery_answersEmptyQueryResponse() throws Exception {
        try (RawClient c = login()) {
            c.send('Q', body().cstring("  ; ").build());
            assertThat(types(c.readUntil('Z'))).isEqualTo("IZ");
        }
    }

    @Test
    void extendedError_discardsUntilSync_thenTheSessionWorks() throws Exception {
        try (RawClient c = login()) {
            c.send('P', body().cstring("").cstring("FAIL").int16(0).build());
            c.send(
                    'B',
                    body().cstring("").cstring("").int16(0).int16(0).int16(0).build());
            c.send('D', body().int8('P').cstring("").build());
            c.send('E', body().cstring("").int32(0).build());
            c.send('S', new byte[0]);
            List<Msg> msgs = c.readUntil('Z');
            assertThat(types(msgs)).isEqualTo("EZ");
            assertThat(msgs.getFirst().sqlState()).isEqualTo("42P01");

            c.send('Q', body().cstring("SELECT 1").build());
            List<Msg> ok = c.readUntil('Z');
            assertThat(types(ok)).isEqualTo("TDCZ");
            assertThat(ok.get(2).text()).isEqualTo("SELECT 1\0");
        }
    }

    @Test
    void execute_withRowLimit_suspendsThePortal_andResumes() throws Exception {
        try (RawClient c = login()) {
            c.send('Q', body().cstring("BEGIN").build());
            assertThat(c.readUntil('Z').getLast().body()).containsExactly('T');
            c.send('P', body().cstring("s1").cstring("SELECT series 5").int16(0).build());
            c.send(
                    'B',
                    body().cstring("p1")
                            .cstring("s1")
                            .int16(0)
                            .int16(0)
                            .int16(0)
                            .build());
            c.send('E', body().cstring("p1").int32(2).build());
            c.send('S', new byte[0]);
            assertThat(types(c.readUntil('Z'))).isEqualTo("12DDsZ");
            c.send('E', body().cstring("p1").int32(2).build());
            c.send('E', body().cstring("p1").int32(2).build());
            c.send('C', body().int8('P').cstring("p1").build());
            c.send('S', new byte[0]);
            List<Msg> rest = c.readUntil('Z');
            assertThat(types(rest)).isEqualTo("DDsDC3Z");
            assertThat(rest.get(4).text()).isEqualTo("SELECT 5\0");
        }
    }

    @Test
    void describeStatement_thenBinaryResults_forEveryType() throws Exception {
        try (RawClient c = login()) {
            c.send('P', body().cstring("").cstring("SELECT types").int16(0).build());
            c.send('D', body().int8('S').cstring("").build());
            c.send(
                    'B',
                    body().cstring("")
                            .cstring("")
                            .int16(0)
                            .int16(0)
                            .int16(1)
                            .int16(1)
                            .build());
            c.send('E', body().cstring("").int32(0).build());
            c.send('S', new byte[0]);
            List<Msg> msgs = c.readUntil('Z');
            assertThat(types(msgs)).isEqualTo("1tT2DDCZ");
            ByteBuffer row = ByteBuffer.wrap(msgs.get(4).body());
            assertThat(row.getShort()).isEqualTo((short) FakeSqlEngine.TYPE_COLUMNS.size());
            for (int i = 0; i < FakeSqlEngine.TYPE_COLUMNS.size(); i++) {
                byte[] value = new byte[row.getInt()];
                row.get(value);
                SqlType type = FakeSqlEngine.TYPE_COLUMNS.get(i).type();
                assertThat(value)
                        .as("column %s", type)
                        .containsExactly(PgValues.encodeBinary(type, FakeSqlEngine.TYPE_VALUES[i]));
                assertThat(PgValues.decodeBinary(type, value)).isNotNull();
            }
            ByteBuffer nulls = ByteBuffer.wrap(msgs.get(5).body());
            nulls.getShort();
            assertThat(nulls.getInt()).isEqualTo(-1);
        }
    }

    @Test
    void copyFail_abortsTheCopy_andLaterCopyMessagesAreDropped() throws Exception {
        try (RawClient c = login()) {
            int aborts = engine.copyAborts.get();
            c.send('Q', body().cstring("COPY t FROM STDIN").build());
            assertThat(c.read().type()).isEqualTo('G');
            c.send('d', "1\tx\n".getBytes(StandardCharsets.UTF_8));
            c.send('f', body().cstring("client gave up").build());
            List<Msg> msgs = c.readUntil('Z');
            assertThat(types(msgs)).isEqualTo("EZ");
            assertThat(msgs.getFirst().sqlState()).isEqualTo("57014");
            assertThat(engine.copyAborts.get()).isEqualTo(aborts + 1);
            c.send('c', new byte[0]);
            c.send('Q', body().cstring("SELECT 1").build());
            assertThat(types(c.readUntil('Z'))).isEqualTo("TDCZ");
        }
    }

    @Test
    void clientDisconnectingMidStream_closesItsRows() throws Exception {
        int closedBefore = engine.rowsClosed.get();
        try (RawClient c = login()) {
            c.send('Q', body().cstring("SELECT series 100000000").build());
            assertThat(c.read().type()).isEqualTo('T');
            assertThat(c.read().type()).isEqualTo('D');
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (engine.rowsClosed.get() == closedBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(engine.rowsClosed.get()).isGreaterThan(closedBefore);
        assertThat(engine.rowsProduced.get()).isLessThan(100_000_000);
    }

    @Test
    void terminate_closesTheSession() throws Exception {
        int open = engine.sessionsOpen.get();
        try (RawClient c = login()) {
            assertThat(engine.sessionsOpen.get()).isEqualTo(open + 1);
            c.send('X', new byte[0]);
            assertThat(c.closedByServer()).isTrue();
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (engine.sessionsOpen.get() != open && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(engine.sessionsOpen.get()).isEqualTo(open);
    }
}
