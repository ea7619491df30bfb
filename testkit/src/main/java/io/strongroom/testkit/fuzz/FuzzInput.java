package io.strongroom.testkit.fuzz;

import java.util.HexFormat;

/**
 * One input a fuzz target runs on: the bytes, and where they came from (a corpus file, a mutation of one, or
 * random), so the failure {@link Fuzz#run} reports says enough to add it to the corpus as a regression. The bytes
 * are copied in and out; immutable.
 */
public final class FuzzInput {
    private static final int SHOWN_BYTES = 4096;

    private final byte[] bytes;
    private final String origin;

    public FuzzInput(byte[] bytes, String origin) {
        this.bytes = bytes.clone();
        this.origin = origin;
    }

    /** A copy of the bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    public String origin() {
        return origin;
    }

    /** The origin and the bytes in hex (the first 4096 of them), ready to paste into a corpus file. */
    @Override
    public String toString() {
        String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, SHOWN_BYTES));
        return origin + " (" + bytes.length + " bytes): " + hex + (bytes.length > SHOWN_BYTES ? "..." : "");
    }
}
