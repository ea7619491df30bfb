package io.strongroom.hsm.kmip;

import java.util.List;

/** A KMIP protocol version, for example 1.4. Ordered by major, then minor. Immutable. */
public record ProtocolVersion(int major, int minor) implements Comparable<ProtocolVersion> {
    public static final ProtocolVersion V1_0 = new ProtocolVersion(1, 0);
    public static final ProtocolVersion V1_1 = new ProtocolVersion(1, 1);
    public static final ProtocolVersion V1_2 = new ProtocolVersion(1, 2);
    public static final ProtocolVersion V1_3 = new ProtocolVersion(1, 3);
    public static final ProtocolVersion V1_4 = new ProtocolVersion(1, 4);
    public static final ProtocolVersion V2_0 = new ProtocolVersion(2, 0);

    /** The versions {@code strongroom hsm} serves, best first. */
    public static final List<ProtocolVersion> SERVED = List.of(V2_0, V1_4, V1_3, V1_2);

    public boolean atLeast(ProtocolVersion other) {
        return compareTo(other) >= 0;
    }

    /** Whether requests use the 2.0 encodings (Attributes 420125, Attribute Reference). */
    public boolean usesAttributesStructure() {
        return major >= 2;
    }

    @Override
    public int compareTo(ProtocolVersion o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
