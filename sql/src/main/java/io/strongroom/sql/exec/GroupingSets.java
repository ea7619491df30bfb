package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.util.ImmutableBitSet;
import org.jspecify.annotations.Nullable;

/**
 * Runs an aggregate with several grouping sets ({@code GROUPING SETS}, {@code ROLLUP}, {@code CUBE}) over rows,
 * and any aggregate that asks for {@code GROUPING()}/{@code GROUPING_ID()}/{@code GROUP_ID()}.
 *
 * <p>How this works. The input is read once into memory; then each grouping set aggregates it on its own (a hash
 * table of {@link Accumulator}s per group, so results agree with a plain GROUP BY), and the sets' rows follow each
 * other. A row of a set has NULL in the grouped columns the set does not group by. {@code GROUPING(a, b)} is a
 * bit per argument, the first the most significant, set when the argument is not grouped in the row's set (as
 * PostgreSQL); {@code GROUP_ID()} counts earlier occurrences of the same set. An empty set gives one row even over
 * no input, like an aggregate without GROUP BY.
 *
 * <p>Alternative rejected: expanding the sets into a UNION ALL of plain aggregates in the planner would read and
 * decrypt the input once per set. Not thread-safe; one per query.
 */
final class GroupingSets {
    private GroupingSets() {}

    /** Whether {@code a} must run here rather than in the vectorised hash aggregation. */
    static boolean needed(Aggregate a) {
        return a.getGroupType() != Aggregate.Group.SIMPLE
                || a.getAggCallList().stream()
                        .anyMatch(c -> grouping(c.getAggregation().getKind()));
    }

    private static boolean grouping(SqlKind kind) {
        return kind == SqlKind.GROUPING || kind == SqlKind.GROUPING_ID || kind == SqlKind.GROUP_ID;
    }

    /** The input fields the aggregate reads. */
    static ImmutableBitSet inputFields(Aggregate a) {
        ImmutableBitSet.Builder b = ImmutableBitSet.builder();
        b.addAll(a.getGroupSet());
        for (AggregateCall c : a.getAggCallList()) {
            if (!grouping(c.getAggregation().getKind())) {
                b.addAll(c.getArgList());
                if (c.filterArg >= 0) {
                    b.set(c.filterArg);
                }
            }
        }
        return b.build();
    }

    /** The aggregate's rows over {@code input} (rows of its input). */
    static Iterator<@Nullable Object[]> run(Aggregate a, Iterator<@Nullable Object[]> input, Runnable checkCancelled) {
        List<@Nullable Object[]> rows = new ArrayList<>();
        while (input.hasNext()) {
            rows.add(input.next());
            if ((rows.size() & 0xffff) == 0) {
                checkCancelled.run();
            }
        }
        int[] groupFields = a.getGroupSet().toArray();
        List<AggregateCall> calls = a.getAggCallList();
        List<@Nullable Object[]> out = new ArrayList<>();
        Map<ImmutableBitSet, Integer> seen = new HashMap<>();
        for (ImmutableBitSet set : a.getGroupSets()) {
            checkCancelled.run();
            int groupId = seen.merge(set, 1, Integer::sum) - 1;
            int[] keys = set.toArray();
            Map<RowKey, Accumulator[]> groups = new LinkedHashMap<>();
            for (Object[] row : rows) {
                Object[] key = new Object[keys.length];
                for (int k = 0; k < keys.length; k++) {
                    key[k] = row[keys[k]];
                }
                Accumulator[] accs = groups.computeIfAbsent(new RowKey(key), k -> accumulators(calls));
                for (Accumulator acc : accs) {
                    if (acc != null) {
                        acc.add(row);
                    }
                }
            }
            if (groups.isEmpty() && keys.length == 0) {
                groups.put(new RowKey(new Object[0]), accumulators(calls));
            }
            for (Map.Entry<RowKey, Accumulator[]> g : groups.entrySet()) {
                Object[] key = g.getKey().values();
                Object[] row = new Object[groupFields.length + calls.size()];
                for (int j = 0; j < groupFields.length; j++) {
                    int k = indexOf(keys, groupFields[j]);
                    row[j] = k < 0 ? null : key[k];
                }
                for (int c = 0; c < calls.size(); c++) {
                    AggregateCall call = calls.get(c);
                    Accumulator acc = g.getValue()[c];
                    row[groupFields.length + c] = acc != null
                            ? acc.result()
                            : Expressions.cast(groupingValue(call, set, groupId), call.getType());
                }
                out.add(row);
            }
        }
        return out.iterator();
    }

    private static Accumulator[] accumulators(List<AggregateCall> calls) {
        Accumulator[] accs = new Accumulator[calls.size()];
        for (int c = 0; c < accs.length; c++) {
            AggregateCall call = calls.get(c);
            accs[c] = grouping(call.getAggregation().getKind()) ? null : new Accumulator(call);
        }
        return accs;
    }

    private static long groupingValue(AggregateCall call, ImmutableBitSet set, int groupId) {
        if (call.getAggregation().getKind() == SqlKind.GROUP_ID) {
            return groupId;
        }
        long v = 0;
        for (int arg : call.getArgList()) {
            v = (v << 1) | (set.get(arg) ? 0 : 1);
        }
        return v;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
