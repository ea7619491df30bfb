package io.strongroom.hsm.kmip;

import io.strongroom.hsm.ttlv.Tags;
import io.strongroom.hsm.ttlv.Ttlv;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One attribute of a managed object, independent of how a protocol version carries it. {@code value} is tagged
 * with the attribute's own tag ({@link AttributeKind#tag()}) when the attribute is known, else with Attribute
 * Value (42000B, from a 1.x peer) or whatever tag a 2.0 peer used. Immutable.
 */
public record Attribute(String name, Ttlv value) {
    public static Attribute enumeration(AttributeKind kind, int value) {
        return new Attribute(kind.kmipName(), new Ttlv.Enumeration(kind.tag(), value));
    }

    public static Attribute integer(AttributeKind kind, int value) {
        return new Attribute(kind.kmipName(), new Ttlv.Int(kind.tag(), value));
    }

    public static Attribute bool(AttributeKind kind, boolean value) {
        return new Attribute(kind.kmipName(), new Ttlv.Bool(kind.tag(), value));
    }

    public static Attribute text(AttributeKind kind, String value) {
        return new Attribute(kind.kmipName(), new Ttlv.Text(kind.tag(), value));
    }

    public static Attribute dateTime(AttributeKind kind, long epochSeconds) {
        return new Attribute(kind.kmipName(), new Ttlv.DateTime(kind.tag(), epochSeconds));
    }

    /** The Name attribute: {Name Value, Name Type = Uninterpreted Text String}. */
    public static Attribute name(String name) {
        return new Attribute(
                AttributeKind.NAME.kmipName(),
                Ttlv.Struct.of(
                        Tags.NAME,
                        new Ttlv.Text(Tags.NAME_VALUE, name),
                        new Ttlv.Enumeration(Tags.NAME_TYPE, KmipConstants.NAME_TYPE_TEXT)));
    }

    /** The known kind of this attribute, or null. */
    public @Nullable AttributeKind kind() {
        return AttributeKind.byName(name);
    }

    /** The Name Value of a Name attribute, or null when this is not one or has none. */
    public @Nullable String nameValue() {
        if (value instanceof Ttlv.Struct s && AttributeKind.NAME.kmipName().equals(name)) {
            for (Ttlv t : s.items()) {
                if (t.tag() == Tags.NAME_VALUE && t instanceof Ttlv.Text text) {
                    return text.value();
                }
            }
        }
        return null;
    }

    /** The value as an int, for Integer and Enumeration attributes; null otherwise. */
    public @Nullable Integer intValue() {
        return switch (value) {
            case Ttlv.Int i -> i.value();
            case Ttlv.Enumeration e -> e.value();
            default -> null;
        };
    }

    /** The first attribute named like {@code kind} in {@code attributes}, or null. */
    public static @Nullable Attribute find(List<Attribute> attributes, AttributeKind kind) {
        for (Attribute a : attributes) {
            if (a.name().equals(kind.kmipName())) {
                return a;
            }
        }
        return null;
    }

    /** {@code item} with tag {@code tag} and the same type and value. */
    static Ttlv retag(Ttlv item, int tag) {
        return switch (item) {
            case Ttlv.Struct s -> new Ttlv.Struct(tag, s.items());
            case Ttlv.Int i -> new Ttlv.Int(tag, i.value());
            case Ttlv.LongInt l -> new Ttlv.LongInt(tag, l.value());
            case Ttlv.BigInt b -> new Ttlv.BigInt(tag, b.value());
            case Ttlv.Enumeration e -> new Ttlv.Enumeration(tag, e.value());
            case Ttlv.Bool b -> new Ttlv.Bool(tag, b.value());
            case Ttlv.Text t -> new Ttlv.Text(tag, t.value());
            case Ttlv.Bytes b -> new Ttlv.Bytes(tag, b.value());
            case Ttlv.DateTime d -> new Ttlv.DateTime(tag, d.epochSeconds());
            case Ttlv.Interval i -> new Ttlv.Interval(tag, i.seconds());
            case Ttlv.DateTimeExtended d -> new Ttlv.DateTimeExtended(tag, d.epochMicros());
        };
    }
}
