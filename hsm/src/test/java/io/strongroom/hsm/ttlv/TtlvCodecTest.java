package io.strongroom.hsm.ttlv;

import static io.strongroom.hsm.ttlv.TtlvCodec.hex;
import static io.strongroom.hsm.ttlv.TtlvCodec.unhex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class TtlvCodecTest {
    @Test
    void integer_encodesAsInSpecExample() {
        // hsm-kmip.md §2.1: the Integer 1 tagged Batch Count.
        assertThat(hex(TtlvCodec.encode(new Ttlv.Int(Tags.BATCH_COUNT, 1))))
                .isEqualTo("42000d02000000040000000100000000");
    }

    @Test
    void everyType_roundTrips_withPaddingToEightBytes() {
        Ttlv.Struct s = Ttlv.Struct.of(
                Tags.REQUEST_PAYLOAD,
                new Ttlv.Int(Tags.BATCH_COUNT, -7),
                new Ttlv.LongInt(Tags.MAXIMUM_ITEMS, Long.MIN_VALUE),
                new Ttlv.BigInt(Tags.NONCE, new BigInteger("-123456789012345678901234567890")),
                new Ttlv.BigInt(Tags.NONCE, BigInteger.valueOf(255)),
                new Ttlv.Enumeration(Tags.STATE, 0xFFFF_FFFE),
                new Ttlv.Bool(Tags.SENSITIVE, true),
                new Ttlv.Text(Tags.NAME_VALUE, "clé"),
                new Ttlv.Bytes(Tags.DATA, new byte[] {1, 2, 3}),
                new Ttlv.DateTime(Tags.TIME_STAMP, 1_700_000_000L),
                new Ttlv.Interval(Tags.INITIAL_DATE, 0xFFFF_FFFFL),
                new Ttlv.DateTimeExtended(Tags.LAST_CHANGE_DATE, 1_700_000_000_123_456L),
                Ttlv.Struct.of(Tags.ATTRIBUTES));
        byte[] wire = TtlvCodec.encode(s);
        assertThat(wire.length % 8).isZero();
        assertThat(TtlvCodec.decode(wire)).isEqualTo(s);
        assertThat(TtlvCodec.encodedSize(s)).isEqualTo(wire.length);
    }

    @Test
    void bigInteger_isSignExtendedToMultipleOfEight() {
        byte[] wire = TtlvCodec.encode(new Ttlv.BigInt(Tags.NONCE, BigInteger.valueOf(-1)));
        assertThat(hex(wire)).isEqualTo("4200c80400000008ffffffffffffffff");
    }

    @Test
    void decode_refusesNonZeroPadding() {
        byte[] wire = TtlvCodec.encode(new Ttlv.Int(Tags.BATCH_COUNT, 1));
        wire[15] = 1;
        assertThatThrownBy(() -> TtlvCodec.decode(wire))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("42000D (Batch Count)")
                .hasMessageContaining("padding");
        byte[] text = TtlvCodec.encode(new Ttlv.Text(Tags.NAME_VALUE, "abc"));
        text[12] = 'x';
        assertThatThrownBy(() -> TtlvCodec.decode(text))
                .hasMessageContaining("Name Value")
                .hasMessageContaining("padding");
    }

    @Test
    void decode_refusesBooleanOtherThanZeroOrOne() {
        byte[] wire = unhex("4201200600000008 0000000000000002");
        assertThatThrownBy(() -> TtlvCodec.decode(wire))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("420120 (Sensitive)")
                .hasMessageContaining("0 or 1");
    }

    @Test
    void decode_refusesWrongFixedLength() {
        byte[] wire = unhex("42000d0200000008 0000000100000000");
        assertThatThrownBy(() -> TtlvCodec.decode(wire))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("Batch Count")
                .hasMessageContaining("must declare length 4");
    }

    @Test
    void decode_refusesNestedLengthBeyondParent() {
        // A structure of 16 bytes whose inner Text String claims 100 bytes.
        byte[] wire = unhex("4200790100000010 4200550700000064 6162630000000000");
        assertThatThrownBy(() -> TtlvCodec.decode(wire))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("420055 (Name Value)")
                .hasMessageContaining("exceeds");
    }

    @Test
    void decode_refusesTrailingBytesTruncationUnknownTypeTagAndBadUtf8() {
        byte[] ok = TtlvCodec.encode(new Ttlv.Int(Tags.BATCH_COUNT, 1));
        assertThatThrownBy(() -> TtlvCodec.decode(Arrays.copyOf(ok, ok.length + 8)))
                .hasMessageContaining("follow the message");
        assertThatThrownBy(() -> TtlvCodec.decode(Arrays.copyOf(ok, 12))).hasMessageContaining("exceeds");
        assertThatThrownBy(() -> TtlvCodec.decode(Arrays.copyOf(ok, 5))).hasMessageContaining("truncated");
        assertThatThrownBy(() -> TtlvCodec.decode(unhex("42000d0c00000004 0000000100000000")))
                .hasMessageContaining("unknown item type 0x0C");
        assertThatThrownBy(() -> TtlvCodec.decode(unhex("43000d0200000004 0000000100000000")))
                .hasMessageContaining("not a standard");
        assertThatThrownBy(() -> TtlvCodec.decode(unhex("4200550700000002 c328000000000000")))
                .hasMessageContaining("UTF-8");
    }

    @Test
    void decode_refusesDeepNesting() {
        Ttlv t = new Ttlv.Int(Tags.BATCH_COUNT, 1);
        for (int i = 0; i < TtlvCodec.MAX_DEPTH + 1; i++) {
            t = Ttlv.Struct.of(Tags.ATTRIBUTES, t);
        }
        byte[] wire = TtlvCodec.encode(t);
        assertThatThrownBy(() -> TtlvCodec.decode(wire)).hasMessageContaining("nest deeper");
    }

    @Test
    void decode_capsTheItemCount_soOneMessageCannotBecomeManyObjects() {
        assertThat(TtlvCodec.decode(TtlvCodec.encode(emptyStructures(TtlvCodec.MAX_ITEMS - 1))))
                .isInstanceOfSatisfying(
                        Ttlv.Struct.class, s -> assertThat(s.items()).hasSize(TtlvCodec.MAX_ITEMS - 1));
        byte[] oneTooMany = TtlvCodec.encode(emptyStructures(TtlvCodec.MAX_ITEMS));
        assertThatThrownBy(() -> TtlvCodec.decode(oneTooMany))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("more than " + TtlvCodec.MAX_ITEMS + " items");
        // The worst case the review measured: 1 MiB of empty Structures, about 131,000 of them, built as raw bytes.
        byte[] worst = new byte[TtlvCodec.MAX_MESSAGE_BYTES];
        for (int at = 0; at < worst.length; at += 8) {
            worst[at] = 0x42;
            worst[at + 1] = 0x01;
            worst[at + 2] = 0x25;
            worst[at + 3] = 0x01;
        }
        int content = worst.length - 8;
        worst[4] = (byte) (content >>> 24);
        worst[5] = (byte) (content >>> 16);
        worst[6] = (byte) (content >>> 8);
        worst[7] = (byte) content;
        assertThatThrownBy(() -> TtlvCodec.decode(worst))
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("more than " + TtlvCodec.MAX_ITEMS + " items");
    }

    /** One Structure holding {@code n} empty Structures: {@code n + 1} items. */
    private static Ttlv.Struct emptyStructures(int n) {
        List<Ttlv> empties = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            empties.add(Ttlv.Struct.of(Tags.ATTRIBUTES));
        }
        return new Ttlv.Struct(Tags.REQUEST_MESSAGE, empties);
    }

    @Test
    void reader_framesMessages_andRefusesOversizeBeforeReading() throws Exception {
        byte[] a = TtlvCodec.encode(Ttlv.Struct.of(Tags.REQUEST_MESSAGE, new Ttlv.Int(Tags.BATCH_COUNT, 1)));
        byte[] two = new byte[a.length * 2];
        System.arraycopy(a, 0, two, 0, a.length);
        System.arraycopy(a, 0, two, a.length, a.length);
        TtlvReader r = new TtlvReader(new ByteArrayInputStream(two), TtlvCodec.MAX_MESSAGE_BYTES);
        assertThat(r.next()).isEqualTo(a);
        assertThat(r.next()).isEqualTo(a);
        assertThat(r.next()).isNull();

        byte[] huge = unhex("4200780100100000"); // declares 1 MiB of content: 8 bytes over the cap
        assertThatThrownBy(() -> new TtlvReader(new ByteArrayInputStream(huge), TtlvCodec.MAX_MESSAGE_BYTES).next())
                .isInstanceOf(TtlvException.class)
                .hasMessageContaining("above the limit");
        assertThatThrownBy(() -> new TtlvReader(new ByteArrayInputStream(Arrays.copyOf(a, a.length - 1)), 4096).next())
                .isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> new TtlvReader(new ByteArrayInputStream(unhex("42000d0200000004")), 4096).next())
                .hasMessageContaining("must be a Structure");
    }

    @Test
    void redactedDump_withholdsDataAndPassword_evenWhenMalformed() {
        byte[] secret = "hunter2-secret".getBytes(StandardCharsets.UTF_8);
        Ttlv.Struct s = Ttlv.Struct.of(
                Tags.REQUEST_MESSAGE,
                new Ttlv.Text(Tags.PASSWORD, "hunter2-secret"),
                new Ttlv.Bytes(Tags.DATA, secret),
                new Ttlv.Text(Tags.USERNAME, "partition-a"));
        byte[] wire = TtlvCodec.encode(s);
        String dump = TtlvDump.redacted(wire);
        assertThat(dump).contains("Username").contains(hex("partition-a".getBytes(StandardCharsets.UTF_8)));
        assertThat(dump).doesNotContain(hex(secret)).contains("withheld");
        // Break the outer length: nothing after the broken header may be shown.
        byte[] broken = wire.clone();
        broken[7] = (byte) 0xF0;
        assertThat(TtlvDump.redacted(broken)).doesNotContain(hex(secret)).contains("withheld");
    }

    @Test
    void bytes_toStringShowsLengthOnly() {
        assertThat(new Ttlv.Bytes(Tags.DATA, new byte[] {0x41, 0x42}).toString())
                .isEqualTo("Bytes[4200C2 (Data), 2 bytes]");
    }
}
