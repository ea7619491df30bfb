package io.strongroom.pgwire.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.testkit.fuzz.Fuzz;
import io.strongroom.testkit.fuzz.FuzzInput;
import io.strongroom.testkit.fuzz.Generator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzz targets for the pgwire decoder (docs/security.md, "Fuzzing"): arbitrary bytes as the first packet of a
 * connection ({@link StartupPacket#read}) and as a stream of typed frontend messages ({@link FrontendMessage#read},
 * then the password-message parsers). For any input the decoder returns messages or throws {@link PgException} or
 * {@link EOFException}, nothing else; an accepted startup packet re-encodes to bytes that decode to the same
 * packet. Seeds: {@code src/test/resources/fuzz/pgwire-startup} and {@code pgwire-messages}, captured from what
 * psql and pgjdbc send, as {@link #writeCorpus} lays them.
 */
class ProtocolFuzzTest {
    private static final int MAX_MESSAGE_BYTES = 1 << 20;

    private Generator<FuzzInput> startupPackets() {
        return Fuzz.inputs(Fuzz.corpus(getClass(), "pgwire-startup"), 4096);
    }

    private Generator<FuzzInput> messageStreams() {
        return Fuzz.inputs(Fuzz.corpus(getClass(), "pgwire-messages"), 8192);
    }

    @Test
    void startupPacket_decodesOrThrowsTyped_andRoundTrips() {
        Fuzz.run("pgwire.startup", 3000, startupPackets(), ProtocolFuzzTest::checkStartupPacket);
    }

    @Test
    void messageStream_decodesOrThrowsTyped() {
        Fuzz.run("pgwire.messages", 3000, messageStreams(), ProtocolFuzzTest::checkMessageStream);
    }

    private static void checkStartupPacket(FuzzInput in) {
        byte[] bytes = in.bytes();
        Fuzz.decodes(() -> StartupPacket.read(new ByteArrayInputStream(bytes)), PgException.class, EOFException.class)
                .ifPresent(p -> assertThat(StartupPacket.decode(bodyOf(encode(p))))
                        .as("an accepted startup packet re-encodes to one that decodes the same")
                        .isEqualTo(p));
    }

    private static void checkMessageStream(FuzzInput in) {
        byte[] bytes = in.bytes();
        List<FrontendMessage> read = Fuzz.decodes(
                        () -> readAll(new ByteArrayInputStream(bytes)), PgException.class, EOFException.class)
                .orElse(List.of());
        for (FrontendMessage m : read) {
            if (m instanceof FrontendMessage.Password p) {
                // Which of the three a 'p' is depends on the server's request; each must fail typed on any body.
                Fuzz.decodes(p::password, PgException.class);
                Fuzz.decodes(p::saslInitialResponse, PgException.class);
                assertThat(p.saslResponse()).isEqualTo(p.payload());
            }
        }
    }

    /** Reads messages until the stream ends (EOFException ends the list, as a client closing would). */
    private static List<FrontendMessage> readAll(InputStream in) throws Exception {
        List<FrontendMessage> out = new ArrayList<>();
        while (true) {
            try {
                out.add(FrontendMessage.read(in, MAX_MESSAGE_BYTES));
            } catch (EOFException e) {
                return out;
            }
        }
    }

    @Test
    void corpus_everySeedHoldsItsProperties() {
        for (byte[] seed : Fuzz.corpus(getClass(), "pgwire-startup")) {
            checkStartupPacket(new FuzzInput(seed, "corpus"));
        }
        for (byte[] seed : Fuzz.corpus(getClass(), "pgwire-messages")) {
            checkMessageStream(new FuzzInput(seed, "corpus"));
        }
    }

    // ---- encoding (the server has no frontend encoder; this one follows the protocol documentation)

    private static byte[] encode(StartupPacket p) {
        Frame f = new Frame();
        switch (p) {
            case StartupPacket.SslRequest s -> f.int32(StartupPacket.SSL_REQUEST_CODE);
            case StartupPacket.GssEncRequest g -> f.int32(StartupPacket.GSSENC_REQUEST_CODE);
            case StartupPacket.CancelRequest c ->
                f.int32(StartupPacket.CANCEL_REQUEST_CODE).int32(c.processId()).int32(c.secretKey());
            case StartupPacket.Startup s -> {
                f.int32(s.protocolVersion());
                s.parameters().forEach((k, v) -> f.cstring(k).cstring(v));
                f.int8(0);
            }
        }
        return f.untyped();
    }

    private static byte[] bodyOf(byte[] packet) {
        return Arrays.copyOfRange(packet, 4, packet.length);
    }

    /** A message body under construction, framed with or without a type byte. */
    private static final class Frame {
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        Frame int8(int v) {
            body.write(v);
            return this;
        }

        Frame int16(int v) {
            return int8(v >>> 8).int8(v);
        }

        Frame int32(int v) {
            return int16(v >>> 16).int16(v);
        }

        Frame cstring(String s) {
            body.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            return int8(0);
        }

        Frame bytes(byte[] b) {
            body.writeBytes(b);
            return this;
        }

        byte[] untyped() {
            byte[] b = body.toByteArray();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int n = b.length + 4;
            out.write(n >>> 24);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
            out.writeBytes(b);
            return out.toByteArray();
        }

        byte[] typed(char type) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(type);
            out.writeBytes(untyped());
            return out.toByteArray();
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Regenerates the seed files: {@code mvn -pl pgwire test -Dtest=ProtocolFuzzTest -Dstrongroom.fuzz.writeCorpus=true}. */
    @Test
    @EnabledIfSystemProperty(named = Fuzz.WRITE_CORPUS_PROPERTY, matches = "true")
    void writeCorpus() {
        Map<String, StartupPacket> startups = Map.of(
                "startup-psql.bin",
                        new StartupPacket.Startup(
                                StartupPacket.PROTOCOL_3_0,
                                Map.of("user", "alice", "database", "dev", "application_name", "psql")),
                "startup-jdbc.bin",
                        new StartupPacket.Startup(
                                StartupPacket.PROTOCOL_3_0,
                                Map.of(
                                        "user",
                                        "bob",
                                        "database",
                                        "dev",
                                        "client_encoding",
                                        "UTF8",
                                        "DateStyle",
                                        "ISO")),
                "ssl-request.bin", new StartupPacket.SslRequest(),
                "gssenc-request.bin", new StartupPacket.GssEncRequest(),
                "cancel-request.bin", new StartupPacket.CancelRequest(4242, -559038737));
        startups.forEach((name, p) -> Fuzz.writeSeed("pgwire-startup", name, encode(p)));

        Fuzz.writeSeed(
                "pgwire-messages",
                "simple-query.bin",
                concat(new Frame().cstring("SELECT 1; SELECT 'x'").typed('Q'), new Frame().typed('X')));
        Fuzz.writeSeed(
                "pgwire-messages",
                "extended-query.bin",
                concat(
                        new Frame()
                                .cstring("s1")
                                .cstring("SELECT $1, $2")
                                .int16(2)
                                .int32(23)
                                .int32(0)
                                .typed('P'),
                        new Frame()
                                .cstring("p1")
                                .cstring("s1")
                                .int16(1)
                                .int16(0)
                                .int16(2)
                                .int32(2)
                                .bytes("42".getBytes(StandardCharsets.UTF_8))
                                .int32(-1)
                                .int16(1)
                                .int16(1)
                                .typed('B'),
                        new Frame().int8('P').cstring("p1").typed('D'),
                        new Frame().cstring("p1").int32(0).typed('E'),
                        new Frame().int8('S').cstring("s1").typed('C'),
                        new Frame().typed('H'),
                        new Frame().typed('S')));
        Fuzz.writeSeed(
                "pgwire-messages",
                "copy-in.bin",
                concat(
                        new Frame().cstring("COPY t FROM STDIN").typed('Q'),
                        new Frame()
                                .bytes("1\talice\n2\tbob\n".getBytes(StandardCharsets.UTF_8))
                                .typed('d'),
                        new Frame().typed('c'),
                        new Frame().cstring("aborted by the client").typed('f')));
        Fuzz.writeSeed(
                "pgwire-messages",
                "password-md5.bin",
                new Frame().cstring("md5" + "0123456789abcdef0123456789abcdef").typed('p'));
        byte[] clientFirst = "n,,n=,r=rOprNGfwEbeRWgbNEkqO".getBytes(StandardCharsets.UTF_8);
        Fuzz.writeSeed(
                "pgwire-messages",
                "sasl-initial.bin",
                concat(
                        new Frame()
                                .cstring("SCRAM-SHA-256")
                                .int32(clientFirst.length)
                                .bytes(clientFirst)
                                .typed('p'),
                        new Frame()
                                .bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
                                        .getBytes(StandardCharsets.UTF_8))
                                .typed('p')));
    }
}
