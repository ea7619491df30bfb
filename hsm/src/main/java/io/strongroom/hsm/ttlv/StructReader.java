package io.strongroom.hsm.ttlv;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads the items of one Structure in spec order, the way a KMIP decoder must: each call takes the next item if it
 * has the asked tag. In strict mode (servers, and every message header) an item that is not where the spec puts it,
 * or is left over at {@link #end()}, is refused with a {@link TtlvException} naming it. In lenient mode (response
 * payloads on the client) unknown items before an asked one and after the last one are skipped, so a server that
 * adds fields from a later version does not break the client.
 *
 * <p>Not thread-safe; one reader per structure read.
 */
public final class StructReader {
    private final Ttlv.Struct struct;
    private final boolean lenient;
    private int pos;

    private StructReader(Ttlv.Struct struct, boolean lenient) {
        this.struct = struct;
        this.lenient = lenient;
    }

    /** A strict reader of {@code item}, which must be a Structure tagged {@code tag}. */
    public static StructReader strict(Ttlv item, int tag) {
        return new StructReader(asStruct(item, tag), false);
    }

    /** A lenient reader of {@code item}, which must be a Structure tagged {@code tag}. */
    public static StructReader lenient(Ttlv item, int tag) {
        return new StructReader(asStruct(item, tag), true);
    }

    private static Ttlv.Struct asStruct(Ttlv item, int tag) {
        if (item.tag() != tag) {
            throw new TtlvException(item.tag(), "expected " + Tags.describe(tag) + " here");
        }
        if (!(item instanceof Ttlv.Struct s)) {
            throw new TtlvException(tag, "expected a Structure, found " + item.type());
        }
        return s;
    }

    /** The tag of the structure being read. */
    public int tag() {
        return struct.tag();
    }

    /** Whether items are left. */
    public boolean hasMore() {
        return pos < struct.items().size();
    }

    /** The tag of the next item, or -1 when none is left. */
    public int peekTag() {
        return hasMore() ? struct.items().get(pos).tag() : -1;
    }

    /** The next item if it has {@code tag} (lenient: the next item with that tag), else null. */
    public @Nullable Ttlv optional(int tag) {
        List<Ttlv> items = struct.items();
        if (pos < items.size() && items.get(pos).tag() == tag) {
            return items.get(pos++);
        }
        if (lenient) {
            for (int k = pos + 1; k < items.size(); k++) {
                if (items.get(k).tag() == tag) {
                    pos = k + 1;
                    return items.get(k);
                }
            }
        }
        return null;
    }

    /** The next item, which must have {@code tag}. */
    public Ttlv required(int tag) {
        Ttlv item = optional(tag);
        if (item == null) {
            throw new TtlvException(
                    tag,
                    "required in " + Tags.describe(struct.tag())
                            + (hasMore() ? " before " + Tags.describe(peekTag()) : " but missing"));
        }
        return item;
    }

    /** All consecutive next items with {@code tag} (possibly none). */
    public List<Ttlv> repeated(int tag) {
        List<Ttlv> out = new ArrayList<>();
        for (Ttlv item = optional(tag); item != null; item = optional(tag)) {
            out.add(item);
        }
        return out;
    }

    /** Strict mode: refuses any item left over. Lenient mode: skips them. */
    public void end() {
        if (!lenient && hasMore()) {
            throw new TtlvException(
                    peekTag(), "unexpected here in " + Tags.describe(struct.tag()) + " (unknown or out of spec order)");
        }
        pos = struct.items().size();
    }

    // Typed accessors: each checks the item's type and names the tag when it is wrong.

    public @Nullable Integer optionalInt(int tag) {
        Ttlv t = optional(tag);
        return t == null ? null : as(t, Ttlv.Int.class).value();
    }

    public int requiredInt(int tag) {
        return as(required(tag), Ttlv.Int.class).value();
    }

    public @Nullable Integer optionalEnum(int tag) {
        Ttlv t = optional(tag);
        return t == null ? null : as(t, Ttlv.Enumeration.class).value();
    }

    public int requiredEnum(int tag) {
        return as(required(tag), Ttlv.Enumeration.class).value();
    }

    public @Nullable Boolean optionalBool(int tag) {
        Ttlv t = optional(tag);
        return t == null ? null : as(t, Ttlv.Bool.class).value();
    }

    public @Nullable String optionalText(int tag) {
        Ttlv t = optional(tag);
        return t == null ? null : as(t, Ttlv.Text.class).value();
    }

    public String requiredText(int tag) {
        return as(required(tag), Ttlv.Text.class).value();
    }

    public byte @Nullable [] optionalBytes(int tag) {
        Ttlv t = optional(tag);
        return t == null ? null : as(t, Ttlv.Bytes.class).value();
    }

    public byte[] requiredBytes(int tag) {
        return as(required(tag), Ttlv.Bytes.class).value();
    }

    public @Nullable Long optionalDateTime(int tag) {
        Ttlv t = optional(tag);
        return t == null ? null : as(t, Ttlv.DateTime.class).epochSeconds();
    }

    public long requiredDateTime(int tag) {
        return as(required(tag), Ttlv.DateTime.class).epochSeconds();
    }

    /** A reader of the next item, a Structure tagged {@code tag}, in this reader's mode. */
    public StructReader requiredStruct(int tag) {
        return new StructReader(asStruct(required(tag), tag), lenient);
    }

    /** A reader of the next item if it is a Structure tagged {@code tag}, else null. */
    public @Nullable StructReader optionalStruct(int tag) {
        Ttlv t = optional(tag);
        return t == null ? null : new StructReader(asStruct(t, tag), lenient);
    }

    /** {@code item} as {@code type}, or a {@link TtlvException} naming its tag. */
    public static <T extends Ttlv> T as(Ttlv item, Class<T> type) {
        if (!type.isInstance(item)) {
            throw new TtlvException(item.tag(), "has type " + item.type() + ", which the spec does not give it");
        }
        return type.cast(item);
    }
}
