package io.strongroom.control.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The snapshot copy stream on raw bytes: its layout, a round trip, and each refusal. */
class CopyStreamTest {
    private static byte[] stream(String copyId, boolean twoKeys) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CopyStream.Writer w = new CopyStream.Writer(out, copyId);
        w.keyTransfer(new byte[] {'S', 'R', 'T', 'X'});
        if (twoKeys) {
            w.keyTransfer(new byte[] {1});
        }
        w.file("catalog/1", 3, new ByteArrayInputStream(new byte[] {7, 8, 9}));
        w.block(2, 2, new ByteArrayInputStream(new byte[] {5, 6}));
        w.end();
        return out.toByteArray();
    }

    private static List<String> read(byte[] stream, String copyId) {
        List<String> parts = new ArrayList<>();
        CopyStream.read(new ByteArrayInputStream(stream), copyId, new CopyStream.Parts() {
            @Override
            public void keyTransfer(byte[] transfer) {
                parts.add("K" + HexFormat.of().formatHex(transfer));
            }

            @Override
            public void file(String path, long length, InputStream in) {
                parts.add("F" + path + ":" + HexFormat.of().formatHex(readAll(in, length)));
            }

            @Override
            public void block(int index, long length, InputStream in) {
                parts.add("B" + index + ":" + HexFormat.of().formatHex(readAll(in, length)));
            }
        });
        return parts;
    }

    private static byte[] readAll(InputStream in, long n) {
        try {
            return in.readNBytes((int) n);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ErrorCode codeOf(Throwable t) {
        return ((StrongroomException) t).code();
    }

    @Test
    void layout_andRoundTrip() throws IOException {
        byte[] s = stream("s-1", false);
        // "SRSC" | version 1 | reserved 0 | u16 3 "s-1" | 'K' u32 4 "SRTX" | 'F' u16 9 "catalog/1" u64 3 070809 | ...
        assertThat(HexFormat.of().formatHex(Arrays.copyOf(s, 27)))
                .isEqualTo("53525343" + "0001" + "0000" + "0003" + "732d31" + "4b" + "00000004" + "53525458" + "46"
                        + "0009" + "6361");
        assertThat(s[s.length - 33]).isEqualTo((byte) 'E');
        assertThat(read(s, "s-1")).containsExactly("K53525458", "Fcatalog/1:070809", "B2:0506");
    }

    @Test
    void refusals() throws IOException {
        byte[] s = stream("s-1", false);
        assertThatThrownBy(() -> read(s, "s-2"))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        byte[] flipped = s.clone();
        flipped[flipped.length - 40] ^= 1; // a byte of the block
        assertThatThrownBy(() -> read(flipped, "s-1"))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining("digest");
        byte[] cut = Arrays.copyOf(s, s.length - 40);
        assertThatThrownBy(() -> read(cut, "s-1"))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.IO_ERROR))
                .hasMessageContaining("ended early");
        assertThatThrownBy(() -> read(stream("s-1", true), "s-1"))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        byte[] version2 = s.clone();
        version2[5] = 2;
        assertThatThrownBy(() -> read(version2, "s-1"))
                .satisfies(e -> assertThat(codeOf(e)).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
    }
}
