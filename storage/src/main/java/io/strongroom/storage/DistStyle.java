package io.strongroom.storage;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;

/**
 * How a table's rows are spread across slices, as Redshift's DISTSTYLE. {@link #id()} is what formats store.
 */
public enum DistStyle {
    /** Round-robin over all slices. */
    EVEN(1),
    /** By a hash of the distribution key column: equal keys land on the same slice. */
    KEY(2),
    /** A full copy on the first slice of every node. */
    ALL(3),
    /** Chosen by the store: currently resolved to EVEN at creation, reported as AUTO(EVEN). */
    AUTO(4);

    private final int id;

    DistStyle(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    public static DistStyle fromId(int id) {
        for (DistStyle d : values()) {
            if (d.id == id) {
                return d;
            }
        }
        throw new StrongroomException(ErrorCode.UNSUPPORTED_FORMAT, "unknown distribution style id " + id);
    }
}
