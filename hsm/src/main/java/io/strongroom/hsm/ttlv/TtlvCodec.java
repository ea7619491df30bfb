package io.strongroom.hsm.ttlv;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes and reads one TTLV message.
 *
 * <p>Byte layout of every item (KMIP 1.4 §9.1; hsm-kmip.md §2.1), all numbers big-endian, every item starting on an
 * 8-byte boundary:
 *
 * <pre>
 *   tag     3 bytes   42xxxx (standard) or 54xxxx (extension)
 *   type    1 byte    {@link TtlvType#code()}
 *   length  4 bytes   value bytes without padding; a Structure counts its items with their padding
 *   value   length bytes, then zero padding up to a multiple of 8
 *             Integer, Enumeration, Interval: 4 bytes + 4 zero bytes; Long Integer, Boolean (0 or 1), Date-Time,
 *             Date-Time Extended: 8 bytes; Big Integer: a multiple of 8, two's complement, sign-extended;
 *             Text (UTF-8) and Byte String: any length, padded
 * </pre>
 *
 * <p>The decoder is strict, because a lenient one is how KMIP peers end up misreading each other: the message must
 * fill the buffer exactly; every nested length must fit its parent; padding must be zero; a Boolean must be 0 or 1;
 * fixed-size types must declare their size; text must be valid UTF-8; tags must be in the standard or extension
 * range; nesting is at most {@link #MAX_DEPTH} deep; a message holds at most {@link #MAX_ITEMS} items. The byte
 * arrays it allocates never total more than the input it was given, which the stream reader has already bounded
 * ({@link TtlvReader}); the item cap bounds the objects: without it, 1 MiB of empty Structures (8 bytes each) would
 * decode to about 131,000 objects and their lists. Every refusal is a {@link TtlvException} naming the tag.
 *
 * <p>Stateless and thread-safe.
 */
public final class TtlvCodec {
    /** The largest message Strongroom reads or writes: 1 MiB (its messages are under 1 KiB). */
    public static final int MAX_MESSAGE_BYTES = 1 << 20;

    /** Deepest nesting of structures accepted (KMIP messages nest about six deep). */
    public static final int MAX_DEPTH = 16;

    /**
     * Most items (of any type, the outermost Structure included) one decoded message may hold. Strongroom's largest
     * messages hold a few dozen; a batch of 100 Encrypt items about 1,300; a Locate answer one per identifier.
     */
    public static final int MAX_ITEMS = 4096;

    private TtlvCodec() {}

    /** The wire bytes of {@code item}. */
    public static byte[] encode(Ttlv item) {
        long size = encodedSize(item);
        if (size > MAX_MESSAGE_BYTES) {
            throw new TtlvException(item.tag(), "the message would be " + size + " bytes, above the 1 MiB limit");
        }
        ByteBuffer out = ByteBuffer.allocate((int) size);
        write(item, out);
        return out.array();
    }

    /** Bytes {@code item} takes on the wire, padding included. */
    public static long encodedSize(Ttlv item) {
        return 8 + padded(valueLength(item));
    }

    private static long valueLength(Ttlv item) {
        return switch (item) {
            case Ttlv.Struct s -> {
                long n = 0;
                for (Ttlv i : s.items()) {
                    n += encodedSize(i);
                }
                yield n;
            }
            case Ttlv.BigInt b -> padded(b.value().toByteArray().length);
            case Ttlv.Text t -> t.value().getBytes(StandardCharsets.UTF_8).length;
            case Ttlv.Bytes b -> b.value().length;
            default -> item.type().fixedLength();
        };
    }

    private static long padded(long n) {
        return (n + 7) & ~7L;
    }

    private static void write(Ttlv item, ByteBuffer out) {
        int tag = item.tag();
        if ((tag >>> 24) != 0 || ((tag >>> 16) != 0x42 && (tag >>> 16) != 0x54)) {
            throw new TtlvException(tag, "not a standard (42xxxx) or extension (54xxxx) tag");
        }
        out.put((byte) (tag >>> 16)).put((byte) (tag >>> 8)).put((byte) tag);
        out.put((byte) item.type().code());
        switch (item) {
            case Ttlv.Struct s -> {
                out.putInt((int) valueLength(s));
                for (Ttlv i : s.items()) {
                    write(i, out);
                }
            }
            case Ttlv.Int i -> out.putInt(4).putInt(i.value()).putInt(0);
            case Ttlv.LongInt l -> out.putInt(8).putLong(l.value());
            case Ttlv.BigInt b -> {
                byte[] raw = b.value().toByteArray();
                int len = (int) padded(raw.length);
                out.putInt(len);
                byte fill = b.value().signum() < 0 ? (byte) 0xFF : 0;
                for (int k = raw.length; k < len; k++) {
                    out.put(fill);
                }
                out.put(raw);
            }
            case Ttlv.Enumeration e -> out.putInt(4).putInt(e.value()).putInt(0);
            case Ttlv.Bool b -> out.putInt(8).putLong(b.value() ? 1 : 0);
            case Ttlv.Text t -> putPadded(out, t.value().getBytes(StandardCharsets.UTF_8));
            case Ttlv.Bytes b -> putPadded(out, b.value());
            case Ttlv.DateTime d -> out.putInt(8).putLong(d.epochSeconds());
            case Ttlv.Interval i -> out.putInt(4).putInt((int) i.seconds()).putInt(0);
            case Ttlv.DateTimeExtended d -> out.putInt(8).putLong(d.epochMicros());
        }
    }

    private static void putPadded(ByteBuffer out, byte[] value) {
        out.putInt(value.length).put(value);
        for (long k = value.length; k < padded(value.length); k++) {
            out.put((byte) 0);
        }
    }

    /** Reads the one item that {@code message} holds exactly; see the class comment for what is refused. */
    public static Ttlv decode(byte[] message) {
        if (message.length > MAX_MESSAGE_BYTES) {
            throw new TtlvException(-1, "message of " + message.length + " bytes is above the 1 MiB limit");
        }
        ByteBuffer in = ByteBuffer.wrap(message);
        Ttlv item = read(in, message.length, 0, new int[1]);
        if (in.position() != message.length) {
            throw new TtlvException(item.tag(), (message.length - in.position()) + " bytes follow the message");
        }
        return item;
    }

    /** Reads one item that must end by {@code limit}; {@code count[0]} counts the message's items so far. */
    private static Ttlv read(ByteBuffer in, int limit, int depth, int[] count) {
        if (limit - in.position() < 8) {
            throw new TtlvException(
                    -1, "truncated: " + (limit - in.position()) + " bytes left where an 8-byte item header starts");
        }
        int tag = ((in.get() & 0xFF) << 16) | ((in.get() & 0xFF) << 8) | (in.get() & 0xFF);
        if (++count[0] > MAX_ITEMS) {
            throw new TtlvException(tag, "the message holds more than " + MAX_ITEMS + " items");
        }
        int typeCode = in.get() & 0xFF;
        long length = Integer.toUnsignedLong(in.getInt());
        if ((tag >>> 16) != 0x42 && (tag >>> 16) != 0x54) {
            throw new TtlvException(tag, "not a standard (42xxxx) or extension (54xxxx) tag");
        }
        TtlvType type = TtlvType.ofCode(typeCode);
        if (type == null) {
            throw new TtlvException(tag, String.format(Locale.ROOT, "unknown item type 0x%02X", typeCode));
        }
        long room = (long) limit - in.position();
        if (padded(length) > room) {
            throw new TtlvException(
                    tag,
                    "declared length " + length + " (padded " + padded(length) + ") exceeds the " + room
                            + " bytes left in its parent");
        }
        if (type.fixedLength() >= 0 && length != type.fixedLength()) {
            throw new TtlvException(
                    tag, "a " + type + " must declare length " + type.fixedLength() + ", not " + length);
        }
        int len = (int) length;
        return switch (type) {
            case STRUCTURE -> {
                if (depth >= MAX_DEPTH) {
                    throw new TtlvException(tag, "structures nest deeper than " + MAX_DEPTH);
                }
                if (len % 8 != 0) {
                    throw new TtlvException(tag, "a Structure's length must be a multiple of 8, not " + len);
                }
                int end = in.position() + len;
                List<Ttlv> items = new ArrayList<>();
                while (in.position() < end) {
                    items.add(read(in, end, depth + 1, count));
                }
                yield new Ttlv.Struct(tag, items);
            }
            case INTEGER -> {
                Ttlv.Int v = new Ttlv.Int(tag, in.getInt());
                zeroPadding(in, tag, 4);
                yield v;
            }
            case LONG_INTEGER -> new Ttlv.LongInt(tag, in.getLong());
            case BIG_INTEGER -> {
                if (len == 0 || len % 8 != 0) {
                    throw new TtlvException(tag, "a Big Integer's length must be a positive multiple of 8, not " + len);
                }
                byte[] raw = new byte[len];
                in.get(raw);
                yield new Ttlv.BigInt(tag, new BigInteger(raw));
            }
            case ENUMERATION -> {
                Ttlv.Enumeration v = new Ttlv.Enumeration(tag, in.getInt());
                zeroPadding(in, tag, 4);
                yield v;
            }
            case BOOLEAN -> {
                long v = in.getLong();
                if (v != 0 && v != 1) {
                    throw new TtlvException(tag, "a Boolean must be 0 or 1");
                }
                yield new Ttlv.Bool(tag, v == 1);
            }
            case TEXT_STRING -> {
                byte[] raw = new byte[len];
                in.get(raw);
                zeroPadding(in, tag, (int) (padded(len) - len));
                yield new Ttlv.Text(tag, utf8(tag, raw));
            }
            case BYTE_STRING -> {
                byte[] raw = new byte[len];
                in.get(raw);
                zeroPadding(in, tag, (int) (padded(len) - len));
                yield new Ttlv.Bytes(tag, raw);
            }
            case DATE_TIME -> new Ttlv.DateTime(tag, in.getLong());
            case INTERVAL -> {
                Ttlv.Interval v = new Ttlv.Interval(tag, Integer.toUnsignedLong(in.getInt()));
                zeroPadding(in, tag, 4);
                yield v;
            }
            case DATE_TIME_EXTENDED -> new Ttlv.DateTimeExtended(tag, in.getLong());
        };
    }

    private static void zeroPadding(ByteBuffer in, int tag, int n) {
        for (int k = 0; k < n; k++) {
            if (in.get() != 0) {
                throw new TtlvException(tag, "non-zero padding");
            }
        }
    }

    private static String utf8(int tag, byte[] raw) {
        CharsetDecoder d = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = d.decode(ByteBuffer.wrap(raw));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new TtlvException(tag, "a Text String that is not valid UTF-8");
        }
    }

    /** Lower-case hex of {@code bytes}, for tests and redacted dumps. */
    public static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    /** The bytes of lower- or upper-case hex {@code hex}; whitespace is ignored. */
    public static byte[] unhex(String hex) {
        String h = hex.replaceAll("\\s+", "");
        if (h.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        byte[] out = new byte[h.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(h.charAt(2 * i), 16);
            int lo = Character.digit(h.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not a hex digit at " + (2 * i));
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }
}
