package io.strongroom.hsm.ttlv;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One TTLV item: a tag (3 bytes, {@code 42xxxx} standard or {@code 54xxxx} vendor), a type, and a value. A {@link
 * Struct} holds other items in the order they go on the wire; encoders must build them in spec order.
 *
 * <p>Immutable and thread-safe, except that {@link Bytes} hands out its array (callers must not change it). {@code
 * toString} never prints a byte string's content (it may be key material, plaintext or a tag), only its length.
 */
public sealed interface Ttlv {
    /** The tag, in the low 24 bits. */
    int tag();

    /** The wire type of this item. */
    TtlvType type();

    /** A Structure: the items inside, in wire order. */
    record Struct(int tag, List<Ttlv> items) implements Ttlv {
        public Struct {
            items = List.copyOf(items);
        }

        public static Struct of(int tag, Ttlv... items) {
            return new Struct(tag, List.of(items));
        }

        @Override
        public TtlvType type() {
            return TtlvType.STRUCTURE;
        }
    }

    /** A signed 32-bit Integer. */
    record Int(int tag, int value) implements Ttlv {
        @Override
        public TtlvType type() {
            return TtlvType.INTEGER;
        }
    }

    /** A signed 64-bit Long Integer. */
    record LongInt(int tag, long value) implements Ttlv {
        @Override
        public TtlvType type() {
            return TtlvType.LONG_INTEGER;
        }
    }

    /** A Big Integer, two's complement on the wire. */
    record BigInt(int tag, BigInteger value) implements Ttlv {
        @Override
        public TtlvType type() {
            return TtlvType.BIG_INTEGER;
        }
    }

    /** An Enumeration: an unsigned 32-bit value, held in an int (compare with {@link Integer#toUnsignedLong}). */
    record Enumeration(int tag, int value) implements Ttlv {
        @Override
        public TtlvType type() {
            return TtlvType.ENUMERATION;
        }
    }

    /** A Boolean (0 or 1 on the wire). */
    record Bool(int tag, boolean value) implements Ttlv {
        @Override
        public TtlvType type() {
            return TtlvType.BOOLEAN;
        }
    }

    /** A UTF-8 Text String. */
    record Text(int tag, String value) implements Ttlv {
        public Text {
            Objects.requireNonNull(value);
        }

        @Override
        public TtlvType type() {
            return TtlvType.TEXT_STRING;
        }
    }

    /**
     * A Byte String. Equality compares content; {@code toString} prints the length only, since a byte string may be
     * key material, plaintext or a tag.
     */
    @SuppressWarnings("ArrayRecordComponent") // equals, hashCode and toString are defined below
    record Bytes(int tag, byte[] value) implements Ttlv {
        public Bytes {
            Objects.requireNonNull(value);
        }

        @Override
        public TtlvType type() {
            return TtlvType.BYTE_STRING;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && b.tag == tag && Arrays.equals(b.value, value);
        }

        @Override
        public int hashCode() {
            return 31 * tag + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "Bytes[" + Tags.describe(tag) + ", " + value.length + " bytes]";
        }
    }

    /** A Date-Time: POSIX seconds. */
    record DateTime(int tag, long epochSeconds) implements Ttlv {
        @Override
        public TtlvType type() {
            return TtlvType.DATE_TIME;
        }
    }

    /** An Interval: unsigned 32-bit seconds, held in a long. */
    record Interval(int tag, long seconds) implements Ttlv {
        public Interval {
            if (seconds < 0 || seconds > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("an Interval is an unsigned 32-bit number of seconds");
            }
        }

        @Override
        public TtlvType type() {
            return TtlvType.INTERVAL;
        }
    }

    /** A Date-Time Extended (KMIP 2.0): POSIX microseconds. */
    record DateTimeExtended(int tag, long epochMicros) implements Ttlv {
        @Override
        public TtlvType type() {
            return TtlvType.DATE_TIME_EXTENDED;
        }
    }
}
