package io.strongroom.sql.parse;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Statement text with its PostgreSQL {@code $n} parameters rewritten to Calcite's {@code ?}, and the $n index
 * (from 0) of each {@code ?} in order, so that one $n may appear several times or out of order.
 * {@code parameterCount} is the highest $n used.
 *
 * <p>Immutable once made ({@code order} is never changed after {@link #of}); thread-safe.
 */
public record RewrittenSql(String sql, int[] order, int parameterCount) {

    /** Rewrites the {@code $n} of {@code sql}, found with {@link Tokens} so that quoted text is left alone. */
    public static RewrittenSql of(String sql) {
        StringBuilder sb = new StringBuilder();
        List<Integer> order = new ArrayList<>();
        int from = 0;
        int max = 0;
        for (Tokens.Token t : Tokens.tokenize(sql)) {
            if (t.kind() == Tokens.Kind.PARAM) {
                sb.append(sql, from, t.start()).append('?');
                int n = Integer.parseInt(t.text());
                if (n < 1) {
                    throw new StrongroomException(ErrorCode.SYNTAX_ERROR, "there is no parameter $" + n);
                }
                order.add(n - 1);
                max = Math.max(max, n);
                from = t.end();
            }
        }
        sb.append(sql.substring(from));
        return new RewrittenSql(
                sb.toString(), order.stream().mapToInt(Integer::intValue).toArray(), max);
    }

    /** The values of the {@code ?} in order, taken from the $n values the client bound. */
    public List<@Nullable Object> bind(List<@Nullable Object> params) {
        List<@Nullable Object> out = new ArrayList<>();
        for (int n : order) {
            if (n >= params.size()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT,
                        "bind message supplies " + params.size() + " parameters, but the statement needs "
                                + parameterCount);
            }
            out.add(params.get(n));
        }
        return out;
    }
}
