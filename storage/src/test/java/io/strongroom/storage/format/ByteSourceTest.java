package io.strongroom.storage.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ByteSourceTest {
    /** Values at every varint length boundary, both signs, and random ones of every bit length. */
    private static List<Long> values() {
        List<Long> out = new ArrayList<>(List.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE));
        for (int bits = 1; bits < 64; bits++) {
            long edge = 1L << bits;
            out.addAll(List.of(edge - 1, edge, edge + 1, -edge, -edge + 1));
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int bits = 1; bits <= 64; bits++) {
            for (int k = 0; k < 50; k++) {
                out.add(bits == 64 ? random.nextLong() : random.nextLong() & ((1L << bits) - 1));
            }
        }
        return out;
    }

    @Test
    void varLongs_readBackExactly_onTheWordAtATimePathAndTheBytewisePath() {
        List<Long> values = values();
        ByteSink sink = new ByteSink(16);
        for (long v : values) {
            sink.varLong(v);
        }
        byte[] bytes = sink.toByteArray();
        // Read as written: all but the last few values take the fast path (ten or more bytes left).
        ByteSource in = new ByteSource(bytes, "test");
        for (long v : values) {
            assertThat(in.varLong()).isEqualTo(v);
        }
        in.expectEnd();
        // Each value alone in an exact-size buffer takes the bytewise path; padded, the fast path.
        for (long v : values) {
            byte[] one = new ByteSink(10).varLong(v).toByteArray();
            assertThat(new ByteSource(one, "test").varLong()).isEqualTo(v);
            byte[] padded = Arrays.copyOf(one, one.length + 10);
            ByteSource p = new ByteSource(padded, "test");
            assertThat(p.varLong()).isEqualTo(v);
            assertThat(p.position()).isEqualTo(one.length);
        }
    }

    @Test
    void truncatedAndOverlongVarints_areCorruption() {
        byte[] cont = new byte[12];
        Arrays.fill(cont, (byte) 0x80);
        assertThatThrownBy(() -> new ByteSource(cont, "test").varLong())
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("varint longer than 10 bytes");
        assertThatThrownBy(() -> new ByteSource(new byte[] {(byte) 0x80, (byte) 0x80}, "test").varLong())
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("truncated varint");
    }
}
