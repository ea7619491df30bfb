package io.strongroom.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a ciphertext belongs to: a purpose (what kind of thing it is) and named fields (cluster, table, column,
 * block id, key version, ...). It is bound into every encryption as GCM associated data, so a ciphertext moved
 * to another place fails to decrypt.
 *
 * <p>The encoding is unambiguous: the purpose and every name and value are length-prefixed, so {@code
 * ("ab","c")} and {@code ("a","bc")} encode differently. Fields keep the order they were added in; callers add
 * them in a fixed order per purpose. An empty purpose is refused: empty associated data is a bug.
 *
 * <p>A {@link Template} makes many associated data of one kind that differ only in their last whole-number
 * fields (the block keys a key rotation rewraps: one per block) byte for byte as the {@link Builder} would, at
 * the cost of one array copy each.
 *
 * <p>Immutable and thread-safe.
 */
public final class AssociatedData {
    private static final int MAX_FIELD_BYTES = 64 * 1024;

    private final String purpose;
    private final List<String> fields; // "name=value" for toString only
    private final byte[] encoded;
    // Made by a Template: the names and values of the trailing whole-number fields, formatted only by toString.
    private final String @Nullable [] numberNames;
    private final long @Nullable [] numbers;
    private volatile byte @Nullable [] digest8;

    private AssociatedData(String purpose, List<String> fields, byte[] encoded) {
        this(purpose, fields, encoded, null, null);
    }

    private AssociatedData(
            String purpose,
            List<String> fields,
            byte[] encoded,
            String @Nullable [] numberNames,
            long @Nullable [] numbers) {
        this.purpose = purpose;
        this.fields = fields;
        this.encoded = encoded;
        this.numberNames = numberNames;
        this.numbers = numbers;
    }

    /** Starts the associated data of one kind of ciphertext, e.g. {@code "strongroom/block/v1"}. */
    public static Builder of(String purpose) {
        if (purpose.isEmpty()) {
            throw new IllegalArgumentException("associated data needs a purpose");
        }
        return new Builder(purpose);
    }

    public String purpose() {
        return purpose;
    }

    /** The canonical encoding bound into the cipher. */
    public byte[] encoded() {
        return encoded.clone();
    }

    byte[] encodedView() {
        return encoded;
    }

    /** The first 8 bytes of SHA-256 of the encoding: stored in envelopes to tell "misplaced" from "corrupt". */
    byte[] digest8() {
        byte[] d = digest8;
        if (d == null) {
            d = Arrays.copyOf(SHA256.get().digest(encoded), 8);
            digest8 = d;
        }
        return d;
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    });

    @Override
    public boolean equals(Object o) {
        return o instanceof AssociatedData other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    /** Names only identifiers, never material. */
    @Override
    public String toString() {
        String[] names = numberNames;
        long[] values = numbers;
        if (names == null || values == null) {
            return purpose + fields;
        }
        List<String> all = new ArrayList<>(fields);
        for (int i = 0; i < names.length; i++) {
            all.add(names[i] + "=" + values[i]);
        }
        return purpose + all;
    }

    /** Accumulates fields; not thread-safe. */
    public static final class Builder {
        private final String purpose;
        private final List<String> fields = new ArrayList<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

        private Builder(String purpose) {
            this.purpose = purpose;
            putBytes(purpose.getBytes(StandardCharsets.UTF_8));
        }

        public Builder with(String name, String value) {
            return field(name, value, value.getBytes(StandardCharsets.UTF_8));
        }

        public Builder with(String name, long value) {
            byte[] b = new byte[8];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (value >>> (56 - 8 * i));
            }
            return field(name, Long.toString(value), b);
        }

        /** A binary field; its value is not shown by {@code toString}. */
        public Builder withBytes(String name, byte[] value) {
            return field(name, "<" + value.length + " bytes>", value);
        }

        private Builder field(String name, String shown, byte[] value) {
            if (name.isEmpty()) {
                throw new IllegalArgumentException("associated data field needs a name");
            }
            fields.add(name + "=" + shown);
            putBytes(name.getBytes(StandardCharsets.UTF_8));
            putBytes(value);
            return this;
        }

        private void putBytes(byte[] b) {
            putBytes(out, b);
        }

        private static void putBytes(ByteArrayOutputStream out, byte[] b) {
            if (b.length > MAX_FIELD_BYTES) {
                throw new IllegalArgumentException("associated data field too long: " + b.length + " bytes");
            }
            out.write(b.length >>> 24);
            out.write(b.length >>> 16);
            out.write(b.length >>> 8);
            out.write(b.length);
            out.writeBytes(b);
        }

        public AssociatedData build() {
            return new AssociatedData(purpose, List.copyOf(fields), out.toByteArray());
        }

        /**
         * A template of the fields added so far followed by the whole-number fields {@code numberNames}, whose
         * values {@link Template#with} fills in.
         */
        public Template template(String... numberNames) {
            if (numberNames.length == 0) {
                throw new IllegalArgumentException("a template needs at least one field to fill in");
            }
            ByteArrayOutputStream t = new ByteArrayOutputStream(out.size() + numberNames.length * 32);
            t.writeBytes(out.toByteArray());
            int[] offsets = new int[numberNames.length];
            for (int i = 0; i < numberNames.length; i++) {
                if (numberNames[i].isEmpty()) {
                    throw new IllegalArgumentException("associated data field needs a name");
                }
                putBytes(t, numberNames[i].getBytes(StandardCharsets.UTF_8));
                offsets[i] = t.size() + 4; // after the value's length prefix
                putBytes(t, new byte[8]);
            }
            return new Template(purpose, List.copyOf(fields), t.toByteArray(), numberNames.clone(), offsets);
        }
    }

    /**
     * Associated data of one kind whose leading fields are fixed and whose last fields are whole numbers filled in
     * per ciphertext. {@link #with} gives exactly the encoding {@link Builder} gives for the same fields added with
     * {@link Builder#with(String, long)}, so what one makes the other opens. Immutable and thread-safe.
     */
    public static final class Template {
        private final String purpose;
        private final List<String> fields;
        private final byte[] encoded;
        private final String[] numberNames;
        private final int[] offsets;

        private Template(String purpose, List<String> fields, byte[] encoded, String[] numberNames, int[] offsets) {
            this.purpose = purpose;
            this.fields = fields;
            this.encoded = encoded;
            this.numberNames = numberNames;
            this.offsets = offsets;
        }

        /** The associated data with the template's fixed fields and {@code values} for its numbered fields. */
        public AssociatedData with(long... values) {
            if (values.length != offsets.length) {
                throw new IllegalArgumentException(
                        "template takes " + offsets.length + " values, got " + values.length);
            }
            byte[] e = encoded.clone();
            for (int i = 0; i < offsets.length; i++) {
                long v = values[i];
                int at = offsets[i];
                for (int j = 0; j < 8; j++) {
                    e[at + j] = (byte) (v >>> (56 - 8 * j));
                }
            }
            return new AssociatedData(purpose, fields, e, numberNames, values.clone());
        }

        @Override
        public String toString() {
            return purpose + fields + " + " + List.of(numberNames);
        }
    }
}
