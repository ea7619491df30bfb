package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import java.math.BigDecimal;
import org.jspecify.annotations.Nullable;

/**
 * A row (or part of one) as a hash key with SQL value equality: numbers compare by value, so 5, 5.0 and 5.00
 * are one group or join key. Immutable as long as the array is not changed.
 */
record RowKey(@Nullable Object[] values) {
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RowKey k) || k.values.length != values.length) {
            return false;
        }
        for (int i = 0; i < values.length; i++) {
            Object a = values[i];
            Object b = k.values[i];
            if (a == null || b == null) {
                if (a != b) {
                    return false;
                }
            } else if (!a.equals(b)
                    && !(a instanceof Number && b instanceof Number && Expressions.compare(a, b) == 0)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (Object v : values) {
            h = 31 * h
                    + (v instanceof BigDecimal d
                            ? Double.hashCode(d.doubleValue())
                            : v instanceof Long l
                                    ? Double.hashCode(l)
                                    : v instanceof Double d ? Double.hashCode(d) : v == null ? 0 : v.hashCode());
        }
        return h;
    }
}
