package io.strongroom.sql.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * Hash aggregation over batches, within a memory budget. Each input (one per thread, or one) is aggregated into its
 * own {@link KeyTable} of groups with one {@link AggStates.State} per call; the partial results are then merged.
 *
 * <p>When an input's groups outgrow its share of the budget ({@link QueryWork#memoryBytes} over the inputs), its
 * table stops growing: rows of groups it holds are still aggregated in memory, rows of new groups go to disk
 * ({@link SpillPartitions}, by key hash). At the end the in-memory partials are merged into one table M, then each
 * spilled partition is aggregated alone into a table T; groups of T that M also holds (another thread had them
 * in memory) are merged into M, the others are output with T. M is output last.
 *
 * <p>Invariants: every group is output exactly once: a thread spills only rows of groups its table does not
 * hold and never will (it no longer adds), all spilled rows of a group land in one partition, and a group in both
 * T and M is merged into M and not output with T. An aggregate without GROUP BY has one group and never spills.
 * Calls whose partial states cannot merge (DISTINCT, row-wise ones) run on one input, where no merge is needed.
 * One instance is one source, used by one thread (its inputs run on the threads of {@link QueryWork#runAll}).
 *
 * <p>Alternatives rejected: spilling partial states rather than input rows (every state kind would need an encoding,
 * and the states of a row-wise aggregate are Java objects); repartitioning a partition still too large for memory
 * (see {@link SpillPartitions}).
 */
final class HashAggregate implements Executor.Source {
    /** Bytes a group's states take per aggregate call, about (longs and flags; more for row-wise states). */
    private static final long STATE_BYTES = 24;

    private final List<Executor.Source> inputs;
    private final KeyTable.KeyType[] keyTypes;
    private final int[] groups;
    private final List<AggregateCall> calls;
    private final RelDataType inputRow;
    private final List<RelDataType> inTypes;
    private final List<RelDataType> outTypes;
    private final QueryWork work;

    private @Nullable Partial merged;
    private final List<SpillPartitions> spills = new ArrayList<>();
    private int nextPartition = -1;
    private boolean done;

    /** The groups and aggregate states of (part of) the input, and what of it went to disk. */
    private record Partial(
            KeyTable table,
            AggStates.State[] states,
            @Nullable SpillPartitions spill) {}

    HashAggregate(
            List<Executor.Source> inputs,
            KeyTable.KeyType[] keyTypes,
            int[] groups,
            List<AggregateCall> calls,
            RelDataType inputRow,
            List<RelDataType> inTypes,
            List<RelDataType> outTypes,
            QueryWork work) {
        this.inputs = inputs;
        this.keyTypes = keyTypes;
        this.groups = groups;
        this.calls = calls;
        this.inputRow = inputRow;
        this.inTypes = inTypes;
        this.outTypes = outTypes;
        this.work = work;
    }

    @Override
    public @Nullable Batch next() {
        if (done) {
            return null;
        }
        if (merged == null) {
            aggregateInputs();
        }
        Partial m = merged;
        if (m == null) {
            throw new IllegalStateException("aggregation without a result");
        }
        try {
            while (!spills.isEmpty() && ++nextPartition < SpillPartitions.PARTS) {
                Batch b = partition(m, nextPartition);
                if (b.size() > 0) {
                    return b;
                }
            }
            done = true;
            return output(m);
        } finally {
            if (done) {
                spills.forEach(SpillPartitions::close);
            }
        }
    }

    private void aggregateInputs() {
        long share = Math.max(1, work.memoryBytes() / inputs.size());
        List<Partial> partials;
        if (inputs.size() == 1) {
            partials = List.of(accumulate(inputs.get(0), share));
        } else {
            List<Callable<Partial>> tasks = new ArrayList<>();
            for (Executor.Source src : inputs) {
                tasks.add(() -> accumulate(src, share));
            }
            partials = work.runAll(tasks);
        }
        for (Partial p : partials) {
            SpillPartitions s = p.spill();
            if (s != null) {
                s.finish();
                spills.add(s);
            }
        }
        Partial result = partials.get(0);
        for (Partial p : partials.subList(1, partials.size())) {
            merge(result, p.table(), p.states(), null);
        }
        if (result.table().size() == 0 && groups.length == 0) {
            // An aggregate without GROUP BY has one row even over no rows.
            result.table().findOrAdd(result.table().probe(new Vec[0], 1), 0);
        }
        merged = result;
    }

    private AggStates.State[] newStates() {
        AggStates.State[] states = new AggStates.State[calls.size()];
        for (int i = 0; i < states.length; i++) {
            states[i] = AggStates.of(calls.get(i), inputRow);
        }
        return states;
    }

    private long bytes(KeyTable table) {
        return table.retainedBytes() + table.size() * STATE_BYTES * Math.max(1, calls.size());
    }

    private Partial accumulate(Executor.Source in, long budget) {
        KeyTable table = new KeyTable(keyTypes);
        AggStates.State[] states = newStates();
        SpillPartitions spill = null;
        for (Batch batch = in.next(); batch != null; batch = in.next()) {
            work.checkCancelled();
            int n = batch.size();
            Vec[] keys = batch.cols(groups);
            int[] gid = new int[n];
            if (keys.length == 0) {
                if (table.size() == 0) {
                    table.findOrAdd(table.probe(keys, 1), 0);
                }
            } else if (spill == null) {
                table.findOrAddAll(table.probe(keys, n), n, gid);
                if (bytes(table) > budget) {
                    spill = new SpillPartitions(inTypes, work::newSpillFile);
                }
            } else {
                KeyTable.Probe probe = table.probe(keys, n);
                table.findAll(probe, n, gid);
                int[] held = new int[n];
                int[] fresh = new int[n];
                int h = 0;
                int f = 0;
                for (int i = 0; i < n; i++) {
                    if (gid[i] >= 0) {
                        gid[h] = gid[i];
                        held[h++] = i;
                    } else {
                        fresh[f++] = i;
                    }
                }
                if (f > 0) {
                    int[] hashes = new int[f];
                    for (int j = 0; j < f; j++) {
                        hashes[j] = probe.hashes[fresh[j]];
                    }
                    spill.add(batch.gather(fresh, f), hashes, f);
                }
                if (h == 0) {
                    continue;
                }
                if (h < n) {
                    batch = batch.gather(held, h);
                    n = h;
                }
            }
            for (AggStates.State st : states) {
                st.add(batch, gid, n, table.size());
            }
        }
        return new Partial(table, states, spill);
    }

    /**
     * Adds groups of {@code fromTable} into {@code into}: all of them when {@code found} is null, else only those
     * with {@code found[g] >= 0}, group g being {@code into}'s group {@code found[g]}.
     */
    private void merge(Partial into, KeyTable fromTable, AggStates.State[] fromStates, int @Nullable [] found) {
        int n = fromTable.size();
        if (n == 0) {
            return;
        }
        int[] map;
        int groupsAfter;
        if (found == null) {
            Vec[] keys = new Vec[groups.length];
            for (int k = 0; k < keys.length; k++) {
                keys[k] = fromTable.column(k, inTypes.get(groups[k]));
            }
            map = new int[n];
            into.table().findOrAddAll(into.table().probe(keys, n), n, map);
            groupsAfter = into.table().size();
        } else {
            // Groups M does not hold are merged into a scratch group past M's last, never output.
            int scratch = into.table().size();
            map = new int[n];
            for (int g = 0; g < n; g++) {
                map[g] = found[g] >= 0 ? found[g] : scratch;
            }
            groupsAfter = scratch + 1;
        }
        for (int i = 0; i < into.states().length; i++) {
            into.states()[i].merge(fromStates[i], map, n, groupsAfter);
        }
    }

    /** Spilled partition {@code p} aggregated, less the groups merged into {@code m}. */
    private Batch partition(Partial m, int p) {
        KeyTable table = new KeyTable(keyTypes);
        AggStates.State[] states = newStates();
        for (SpillPartitions s : spills) {
            Executor.Source src = s.read(p);
            for (Batch batch = src.next(); batch != null; batch = src.next()) {
                work.checkCancelled();
                int n = batch.size();
                int[] gid = new int[n];
                table.findOrAddAll(table.probe(batch.cols(groups), n), n, gid);
                for (AggStates.State st : states) {
                    st.add(batch, gid, n, table.size());
                }
            }
        }
        Partial t = new Partial(table, states, null);
        int g = table.size();
        if (g == 0 || inputs.size() == 1) {
            return output(t); // one input: its spilled groups are never in its table
        }
        Vec[] tk = new Vec[groups.length];
        for (int k = 0; k < tk.length; k++) {
            tk[k] = table.column(k, inTypes.get(groups[k]));
        }
        int[] found = new int[g];
        m.table().findAll(m.table().probe(tk, g), g, found);
        merge(m, table, states, found);
        int[] rest = new int[g];
        int r = 0;
        for (int i = 0; i < g; i++) {
            if (found[i] < 0) {
                rest[r++] = i;
            }
        }
        Batch all = output(t);
        return r == g ? all : all.gather(rest, r);
    }

    /** The groups of {@code p} and their results as one batch. */
    private Batch output(Partial p) {
        KeyTable table = p.table();
        int g = table.size();
        Vec[] out = new Vec[groups.length + calls.size()];
        for (int k = 0; k < groups.length; k++) {
            out[k] = table.column(k, outTypes.get(k));
        }
        for (int i = 0; i < calls.size(); i++) {
            out[groups.length + i] = p.states()[i].result(g);
        }
        return new Batch(out, g);
    }
}
