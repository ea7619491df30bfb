package io.strongroom.pgwire.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.sql.ResultColumn;
import io.strongroom.sql.SqlType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every message the codec decodes or encodes, pinned on raw bytes (hex) as the protocol documentation lays them. */
class CodecTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static FrontendMessage decode(String hex) throws Exception {
        return FrontendMessage.read(new ByteArrayInputStream(hex(hex)), 1 << 20);
    }

    // ---- startup packets

    @Test
    void startupMessage_decodesParameters() throws Exception {
        // length 33, version 3.0, user=alice, database=dev, terminator
        byte[] bytes = hex("00000021 00030000 7573657200 616c69636500 646174616261736500 64657600 00");
        assertThat(bytes).hasSize(33);
        StartupPacket p = StartupPacket.read(new ByteArrayInputStream(bytes));
        assertThat(p).isEqualTo(new StartupPacket.Startup(196608, Map.of("user", "alice", "database", "dev")));
    }

    @Test
    void sslGssAndCancelRequests_decode() throws Exception {
        assertThat(StartupPacket.read(new ByteArrayInputStream(hex("00000008 04d2162f"))))
                .isEqualTo(new StartupPacket.SslRequest());
        assertThat(StartupPacket.read(new ByteArrayInputStream(hex("00000008 04d21630"))))
                .isEqualTo(new StartupPacket.GssEncRequest());
        assertThat(StartupPacket.read(new ByteArrayInputStream(hex("00000010 04d2162e 0000007b fffffffe"))))
                .isEqualTo(new StartupPacket.CancelRequest(123, -2));
    }

    @Test
    void startupPacket_lengthsOutsideBounds_are08P01() {
        for (String len : List.of("00000007", "00002711", "7fffffff", "80000000")) {
            assertThatThrownBy(() -> StartupPacket.read(new ByteArrayInputStream(hex(len + "00030000"))))
                    .isInstanceOfSatisfying(PgException.class, e -> {
                        assertThat(e.code().sqlState()).isEqualTo("08P01");
                        assertThat(e.fatal()).isTrue();
                    });
        }
        assertThatThrownBy(() -> StartupPacket.read(new ByteArrayInputStream(hex("00000010 00020000 7500"))))
                .isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> StartupPacket.decode(hex("00020000 00")))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("unsupported frontend protocol 2.0");
        assertThatThrownBy(() -> StartupPacket.decode(hex("00030000 7573657200")))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("NUL");
    }

    // ---- frontend messages

    @Test
    void query_decodes() throws Exception {
        assertThat(decode("51 0000000d 53454c4543542031 00")).isEqualTo(new FrontendMessage.Query("SELECT 1"));
    }

    @Test
    void parse_decodesNameSqlAndParameterOids() throws Exception {
        FrontendMessage.Parse p = (FrontendMessage.Parse) decode("50 00000014 733100 243100 0002 00000017 00000000");
        assertThat(p.statement()).isEqualTo("s1");
        assertThat(p.sql()).isEqualTo("$1");
        assertThat(p.parameterOids()).containsExactly(23, 0);
    }

    @Test
    void bind_decodesFormatsValuesAndNulls() throws Exception {
        FrontendMessage.Bind b = (FrontendMessage.Bind)
                decode("42 0000001e 7000 7300 0001 0001 0002 00000004 0000002a ffffffff 0001 0001");
        assertThat(b.portal()).isEqualTo("p");
        assertThat(b.statement()).isEqualTo("s");
        assertThat(b.parameterFormats()).containsExactly((short) 1);
        assertThat(b.parameters()).hasSize(2);
        assertThat(b.parameters().get(0)).containsExactly(0, 0, 0, 42);
        assertThat(b.parameters().get(1)).isNull();
        assertThat(b.resultFormats()).containsExactly((short) 1);
    }

    @Test
    void bind_withLyingCountsOrLengths_is08P01() {
        assertThatThrownBy(() -> decode("42 0000000c 00 00 0000 03e8 0000"))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("count 1000");
        assertThatThrownBy(() -> decode("42 0000000e 00 00 0000 0001 00000064"))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("shorter");
        assertThatThrownBy(() -> decode("42 0000000e 00 00 0000 0001 fffffffe"))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("invalid parameter length");
        assertThatThrownBy(() -> decode("42 0000000c 00 00 0001 0002 0000"))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("invalid format code 2");
    }

    @Test
    void describeExecuteClose_decode() throws Exception {
        assertThat(decode("44 00000008 53 733100")).isEqualTo(new FrontendMessage.Describe('S', "s1"));
        assertThat(decode("45 00000009 00 00000064")).isEqualTo(new FrontendMessage.Execute("", 100));
        assertThat(decode("43 00000006 50 00")).isEqualTo(new FrontendMessage.Close('P', ""));
        assertThatThrownBy(() -> decode("44 00000006 58 00")).isInstanceOf(PgException.class);
    }

    @Test
    void emptyMessages_decode_andRejectTrailingBytes() throws Exception {
        assertThat(decode("53 00000004")).isEqualTo(new FrontendMessage.Sync());
        assertThat(decode("48 00000004")).isEqualTo(new FrontendMessage.Flush());
        assertThat(decode("58 00000004")).isEqualTo(new FrontendMessage.Terminate());
        assertThat(decode("63 00000004")).isEqualTo(new FrontendMessage.CopyDone());
        assertThatThrownBy(() -> decode("53 00000005 00"))
                .isInstanceOf(PgException.class)
                .hasMessageContaining("Sync message has 1 unexpected trailing bytes");
    }

    @Test
    void copyDataAndCopyFail_decode() throws Exception {
        assertThat(((FrontendMessage.CopyData) decode("64 00000007 610a62")).data())
                .containsExactly('a', '\n', 'b');
        assertThat(decode("66 00000008 6f6f7000")).isEqualTo(new FrontendMessage.CopyFail("oop"));
    }

    @Test
    void passwordMessages_decodeEachWay() throws Exception {
        FrontendMessage.Password p = (FrontendMessage.Password) decode("70 00000008 61626300");
        assertThat(p.password()).isEqualTo("abc");
        FrontendMessage.Password sasl = (FrontendMessage.Password) decode("70 0000000f 5343524100 00000002 6e2c");
        assertThat(sasl.saslInitialResponse().mechanism()).isEqualTo("SCRA");
        assertThat(sasl.saslInitialResponse().data()).containsExactly('n', ',');
        assertThat(sasl.saslResponse()).hasSize(11);
    }

    @Test
    void unknownTypeAndBadLengths_are08P01() {
        assertThatThrownBy(() -> decode("79 00000004"))
                .isInstanceOfSatisfying(
                        PgException.class, e -> assertThat(e.code().sqlState()).isEqualTo("08P01"))
                .hasMessageContaining("invalid frontend message type 'y'");
        assertThatThrownBy(() -> decode("51 00000003")).hasMessageContaining("invalid length 3");
        assertThatThrownBy(() -> decode("51 ffffffff")).hasMessageContaining("invalid length 4294967295");
        assertThatThrownBy(() -> FrontendMessage.read(new ByteArrayInputStream(hex("51 00100005 00")), 1 << 20))
                .hasMessageContaining("at most 1048576 bytes");
        assertThatThrownBy(() -> decode("51 00000008 6162")).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> decode("51 00000006 6162")).hasMessageContaining("NUL");
    }

    // ---- backend messages

    private interface Writes {
        void to(BackendWriter w) throws Exception;
    }

    private static String encode(Writes writes) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BackendWriter w = new BackendWriter(bytes);
        writes.to(w);
        w.flush();
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    @Test
    void authenticationMessages_encode() throws Exception {
        assertThat(encode(BackendWriter::authenticationOk)).isEqualTo("520000000800000000");
        assertThat(encode(w -> w.authenticationMd5Password(hex("01020304")))).isEqualTo("520000000c0000000501020304");
        assertThat(encode(w -> w.authenticationSasl(List.of("SCRAM-SHA-256"))))
                .isEqualTo("52000000170000000a" + "534352414d2d5348412d3235360000");
        assertThat(encode(w -> w.authenticationSaslContinue(hex("7273")))).isEqualTo("520000000a0000000b7273");
        assertThat(encode(w -> w.authenticationSaslFinal(hex("76")))).isEqualTo("52000000090000000c76");
    }

    @Test
    void sessionMessages_encode() throws Exception {
        assertThat(encode(w -> w.parameterStatus("a", "b"))).isEqualTo("53000000086100" + "6200");
        assertThat(encode(w -> w.backendKeyData(7, -1))).isEqualTo("4b0000000c00000007ffffffff");
        assertThat(encode(w -> w.readyForQuery('T'))).isEqualTo("5a0000000554");
        assertThat(encode(w -> w.rawByte('N'))).isEqualTo("4e");
    }

    @Test
    void emptyMessages_encode() throws Exception {
        assertThat(encode(w -> {
                    w.parseComplete();
                    w.bindComplete();
                    w.closeComplete();
                    w.noData();
                    w.portalSuspended();
                    w.emptyQueryResponse();
                    w.copyDone();
                }))
                .isEqualTo("3100000004" + "3200000004" + "3300000004" + "6e00000004" + "7300000004" + "4900000004"
                        + "6300000004");
    }

    @Test
    void descriptions_encode() throws Exception {
        assertThat(encode(w -> w.parameterDescription(List.of(SqlType.INT4, SqlType.TEXT))))
                .isEqualTo("740000000e0002" + "00000017" + "00000019");
        ResultColumn col = new ResultColumn("id", SqlType.INT8, -1, 16384, (short) 2);
        assertThat(encode(w -> w.rowDescription(List.of(col), new short[] {1})))
                .isEqualTo(
                        "540000001b0001" + "696400" + "00004000" + "0002" + "00000014" + "0008" + "ffffffff" + "0001");
    }

    @Test
    void dataRow_encodesTextBinaryAndNull() throws Exception {
        List<ResultColumn> cols = List.of(
                ResultColumn.of("a", SqlType.INT4),
                ResultColumn.of("b", SqlType.INT4),
                ResultColumn.of("c", SqlType.TEXT));
        assertThat(encode(w -> w.dataRow(new Object[] {42, 42, null}, cols, new short[] {0, 1, 0})))
                .isEqualTo("44000000180003" + "00000002" + "3432" + "00000004" + "0000002a" + "ffffffff");
    }

    @Test
    void dataRow_withAWrongValueClass_writesNothing() throws Exception {
        List<ResultColumn> cols = List.of(ResultColumn.of("a", SqlType.DATE));
        assertThat(encode(w -> {
                    assertThatThrownBy(() -> w.dataRow(new Object[] {"x"}, cols, new short[] {0}))
                            .isInstanceOfSatisfying(
                                    PgException.class,
                                    e -> assertThat(e.code().sqlState()).isEqualTo("XX000"));
                    w.commandComplete("SELECT 0");
                }))
                .isEqualTo("430000000d53454c454354203000");
    }

    @Test
    void commandErrorAndCopyMessages_encode() throws Exception {
        assertThat(encode(w -> w.commandComplete("SELECT 1"))).isEqualTo("430000000d53454c454354203100");
        assertThat(encode(w -> w.errorResponse("ERROR", "42P01", "x")))
                .isEqualTo(
                        "450000001d" + "534552524f5200" + "564552524f5200" + "433432503031" + "00" + "4d7800" + "00");
        assertThat(encode(w -> w.noticeResponse("NOTICE", "00000", "")).substring(0, 2))
                .isEqualTo("4e");
        assertThat(encode(w -> w.copyInResponse(false, 2))).isEqualTo("470000000b00000200000000");
        assertThat(encode(w -> w.copyOutResponse(true, 1))).isEqualTo("48000000090100010001");
        assertThat(encode(w -> w.copyData(hex("0a")))).isEqualTo("64000000050a");
    }

    @Test
    void resolveFormats_followsTheBindRules() {
        assertThat(BackendWriter.resolveFormats(new short[0], 2)).containsExactly(0, 0);
        assertThat(BackendWriter.resolveFormats(new short[] {1}, 3)).containsExactly(1, 1, 1);
        assertThat(BackendWriter.resolveFormats(new short[] {1, 0}, 2)).containsExactly(1, 0);
        assertThatThrownBy(() -> BackendWriter.resolveFormats(new short[] {1, 0}, 3))
                .isInstanceOfSatisfying(
                        PgException.class, e -> assertThat(e.code().sqlState()).isEqualTo("08P01"));
    }
}
