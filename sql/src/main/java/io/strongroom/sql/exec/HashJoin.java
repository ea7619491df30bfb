package io.strongroom.sql.exec;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.type.RelDataType;
import org.jspecify.annotations.Nullable;

/**
 * A hash join over batches: reads the build input into column vectors with a {@link JoinTable} of its keys,
 * then streams the probe input a batch at a time, generating matching
 * row pairs in chunks, filtering them with the residual condition and assembling output batches by gathering
 * columns. Inner, left, right, full, semi, anti and left mark joins (the left row and whether it matched); the build side is the right input, or the left for an
 * inner join whose left input is smaller. NULL keys never match. Several probes (one per partition of the
 * probe input) may share one {@link Build}; each probe is for one thread.
 */
final class HashJoin implements Executor.Source {
    private static final int CHUNK = 8192;

    /**
     * The build side: its rows as column vectors and the table of their keys, made once by the first probe that
     * needs it and then only read, so probes of several partitions can share it. Thread-safe.
     *
     * <p>Its input is drained (on several threads when it has partitions) while counting the bytes held; past the
     * query's {@link QueryWork#memoryBytes} every row read so far and after goes to disk in {@link SpillPartitions}
     * by key hash instead, and each probe then joins partition by partition ({@link #spilled}). Its spill files
     * are shared by the probes and deleted when the query's view closes.
     */
    static final class Build {
        private final Supplier<List<Executor.Source>> input;
        private final List<RelDataType> types;
        private final int[] keys;
        private final KeyTable.KeyType[] keyTypes;
        private final QueryWork work;
        private final AtomicLong held = new AtomicLong();
        private @Nullable Vec @Nullable [] cols;
        private int rows;
        private @Nullable JoinTable table;
        private final AtomicReference<@Nullable SpillPartitions> spillStart = new AtomicReference<>();
        private volatile @Nullable SpillPartitions spill;
        private boolean built;
        /** The table once made and in memory, for readers that do not wait for it ({@link RuntimeFilters}). */
        private volatile @Nullable JoinTable published;

        /** {@code input} gives the build input's partitions; {@code types} are its row's field types. */
        Build(
                Supplier<List<Executor.Source>> input,
                List<RelDataType> types,
                int[] keys,
                KeyTable.KeyType[] keyTypes,
                QueryWork work) {
            this.input = input;
            this.types = types;
            this.keys = keys;
            this.keyTypes = keyTypes;
            this.work = work;
        }

        synchronized void ensure() {
            if (built) {
                return;
            }
            List<Executor.Source> parts = input.get();
            List<List<Batch>> kept;
            if (parts.size() == 1) {
                kept = List.of(drain(parts.get(0)));
            } else {
                List<Callable<List<Batch>>> tasks = new ArrayList<>();
                for (Executor.Source src : parts) {
                    tasks.add(() -> drain(src));
                }
                kept = work.runAll(tasks);
            }
            SpillPartitions sp = spill;
            if (sp != null) {
                for (List<Batch> l : kept) {
                    for (Batch b : l) {
                        spillBatch(sp, b);
                    }
                }
                sp.finish();
            } else {
                List<Batch> all = new ArrayList<>();
                kept.forEach(all::addAll);
                load(all);
                published = table;
            }
            built = true;
        }

        /** The table, when this build side is made and in memory; else null (it is not waited for). */
        @Nullable
        JoinTable published() {
            return published;
        }

        /** The batches of {@code src} kept in memory; once over the budget, the rest go to the spill. */
        private List<Batch> drain(Executor.Source src) {
            List<Batch> out = new ArrayList<>();
            for (Batch b = src.next(); b != null; b = src.next()) {
                work.checkCancelled();
                SpillPartitions sp = spill;
                if (sp != null) {
                    spillBatch(sp, b);
                    continue;
                }
                out.add(b);
                if (held.addAndGet(BatchCodec.bytes(b)) > work.memoryBytes()) {
                    startSpilling();
                }
            }
            return out;
        }

        /** Not synchronized: {@link #ensure} holds this object's lock while the draining threads call it. */
        private void startSpilling() {
            spillStart.compareAndSet(null, new SpillPartitions(types, work::newSpillFile)); // files made on first write
            spill = spillStart.get();
        }

        private void spillBatch(SpillPartitions sp, Batch b) {
            sp.addByKeys(b, keys, keyTypes);
        }

        private void load(List<Batch> parts) {
            Vec[] cs = Batch.concatColumns(parts, types);
            int n = 0;
            for (Batch b : parts) {
                n += b.size();
            }
            Vec[] kv = new Vec[keys.length];
            for (int k = 0; k < kv.length; k++) {
                kv[k] = Objects.requireNonNull(cs[keys[k]]);
            }
            rows = n;
            cols = cs;
            table = new JoinTable(keyTypes, kv, n);
        }

        /** Rows of the build side in memory (after {@link #ensure}, when it did not spill). */
        int rows() {
            return rows;
        }

        /** The build side's columns in memory, null for a column not read. */
        @Nullable
        Vec[] cols() {
            return Objects.requireNonNull(cols);
        }

        /** The table of the build side's keys in memory; null before {@link #ensure} or when it spilled. */
        @Nullable
        JoinTable table() {
            return table;
        }

        KeyTable.KeyType[] keyTypes() {
            return keyTypes;
        }

        /** The spilled build rows, or null when the build side is in memory; valid after {@link #ensure}. */
        @Nullable
        SpillPartitions spilled() {
            return spill;
        }

        /** Build partition {@code p} of a spilled build side, loaded (for one probe: not shared). */
        Build partition(int p) {
            SpillPartitions sp = Objects.requireNonNull(spill);
            Build one = new Build(List::of, types, keys, keyTypes, work);
            List<Batch> all = new ArrayList<>();
            Executor.Source src = sp.read(p);
            for (Batch b = src.next(); b != null; b = src.next()) {
                work.checkCancelled();
                all.add(b);
            }
            one.load(all);
            one.built = true;
            return one;
        }
    }

    private final JoinRelType type;
    private final Executor.Source probe;
    private final Build build;
    private final boolean buildLeft;
    private final int[] probeKeys;
    private final VecExprs.@Nullable VExpr residual;
    /** The joined fields the residual reads: only these are gathered to evaluate it. */
    private final int[] residualFields;

    private final List<RelDataType> leftTypes;
    private final List<RelDataType> rightTypes;
    private final QueryWork work;
    private final Runnable checkCancelled;
    private final ArrayDeque<Batch> ready = new ArrayDeque<>();

    private @Nullable Vec @Nullable [] buildCols;
    private int buildRows;
    private @Nullable JoinTable table;
    private boolean[] buildMatched = new boolean[0];
    private boolean started;
    /** Where probe rows come from now: the probe input, or the current partition of a spilled join; null at the end. */
    private Executor.@Nullable Source current;

    private @Nullable SpillPartitions probeSpill;
    private int partition = -1;

    /** The key forms for a join on {@code leftKeys = rightKeys}. */
    static KeyTable.KeyType[] keyTypes(
            int[] leftKeys, int[] rightKeys, List<RelDataType> leftTypes, List<RelDataType> rightTypes) {
        KeyTable.KeyType[] out = new KeyTable.KeyType[leftKeys.length];
        for (int k = 0; k < leftKeys.length; k++) {
            out[k] = KeyTable.KeyType.of(leftTypes.get(leftKeys[k]), rightTypes.get(rightKeys[k]));
        }
        return out;
    }

    /**
     * A join probing {@code probe} (the left input, or the right when {@code buildLeft}) against {@code build};
     * {@code residual} is over the joined row (left fields, then right) and reads {@code residualFields} of it.
     */
    HashJoin(
            JoinRelType type,
            Executor.Source probe,
            Build build,
            boolean buildLeft,
            int[] probeKeys,
            VecExprs.@Nullable VExpr residual,
            int[] residualFields,
            List<RelDataType> leftTypes,
            List<RelDataType> rightTypes,
            QueryWork work) {
        this.type = type;
        this.buildLeft = buildLeft;
        this.probe = probe;
        this.build = build;
        this.probeKeys = probeKeys;
        this.residual = residual;
        this.residualFields = residualFields.clone();
        this.leftTypes = leftTypes;
        this.rightTypes = rightTypes;
        this.work = work;
        this.checkCancelled = work::checkCancelled;
    }

    private void use(Build b) {
        buildCols = b.cols;
        buildRows = b.rows;
        table = b.table;
        buildMatched = new boolean[type == JoinRelType.RIGHT || type == JoinRelType.FULL ? buildRows : 0];
    }

    /**
     * Starts the join: the build side made, and when it spilled, the whole probe input sent to disk by key hash so
     * that partition p of one side meets partition p of the other.
     */
    private void start() {
        build.ensure();
        SpillPartitions buildSpill = build.spilled();
        if (buildSpill == null) {
            use(build);
            current = probe;
            return;
        }
        SpillPartitions parts = new SpillPartitions(buildLeft ? rightTypes : leftTypes, work::newSpillFile);
        probeSpill = parts;
        for (Batch b = probe.next(); b != null; b = probe.next()) {
            checkCancelled.run();
            parts.addByKeys(b, probeKeys, build.keyTypes);
        }
        parts.finish();
        nextPartition();
    }

    /** Moves a spilled join on to its next partition; false after the last. */
    private boolean nextPartition() {
        SpillPartitions parts = probeSpill;
        if (parts == null || ++partition >= SpillPartitions.PARTS) {
            current = null;
            return false;
        }
        use(build.partition(partition));
        current = parts.read(partition);
        return true;
    }

    @Override
    public @Nullable Batch next() {
        if (!started) {
            started = true;
            start();
        }
        while (ready.isEmpty()) {
            Executor.Source src = current;
            if (src == null) {
                closeSpills();
                return null;
            }
            Batch p = src.next();
            if (p == null) {
                emitUnmatchedBuild();
                if (!nextPartition()) {
                    current = null;
                }
            } else {
                checkCancelled.run();
                probeBatch(p);
            }
        }
        return ready.poll();
    }

    private void closeSpills() {
        SpillPartitions parts = probeSpill;
        if (parts != null) {
            parts.close();
            probeSpill = null;
        }
    }

    private void probeBatch(Batch p) {
        JoinTable t = Objects.requireNonNull(table);
        int n = p.size();
        Vec[] keys = new Vec[probeKeys.length];
        for (int k = 0; k < keys.length; k++) {
            keys[k] = p.col(probeKeys[k]);
        }
        KeyTable.Probe pr = t.prepare(keys, n);
        boolean semiAnti = type == JoinRelType.SEMI || type == JoinRelType.ANTI || type == JoinRelType.LEFT_MARK;
        boolean[] matched = new boolean[n];
        int[] pi = new int[CHUNK];
        int[] bi = new int[CHUNK];
        int pairs = 0;
        int[] match = new int[n];
        int[] sel = new int[n];
        // Round by round: every probe row's first match, then every row's second, and so on.
        for (int m = t.firstMatches(pr, n, match, sel); m > 0; m = t.nextMatches(pr, match, sel, m)) {
            if (semiAnti && residual == null) {
                for (int k = 0; k < m; k++) {
                    matched[sel[k]] = true;
                }
                break;
            }
            for (int k = 0; k < m; k++) {
                int i = sel[k];
                pi[pairs] = i;
                bi[pairs] = match[i];
                if (++pairs == CHUNK) {
                    emitPairs(p, pi, bi, pairs, matched);
                    pairs = 0;
                    checkCancelled.run();
                }
            }
        }
        if (pairs > 0) {
            emitPairs(p, pi, bi, pairs, matched);
        }
        switch (type) {
            case SEMI, ANTI -> {
                boolean want = type == JoinRelType.SEMI;
                int[] idx = new int[n];
                int m = 0;
                for (int i = 0; i < n; i++) {
                    if (matched[i] == want) {
                        idx[m++] = i;
                    }
                }
                if (m == n) {
                    ready.add(p);
                } else if (m > 0) {
                    ready.add(p.gather(idx, m));
                }
            }
            case LEFT_MARK -> ready.add(p.withMarks(matched));
            case LEFT, FULL -> {
                int[] idx = new int[n];
                int m = 0;
                for (int i = 0; i < n; i++) {
                    if (!matched[i]) {
                        idx[m++] = i;
                    }
                }
                if (m > 0) {
                    int[] none = new int[m];
                    Arrays.fill(none, -1);
                    ready.add(assemble(p, idx, none, m));
                }
            }
            default -> {}
        }
    }

    /** Joined rows for pairs (probe row, build row); -1 stands for the missing side of an outer join. */
    private Batch assemble(Batch p, int[] pi, int[] bi, int n) {
        Vec[] bc = Objects.requireNonNull(buildCols);
        List<RelDataType> bt = buildLeft ? leftTypes : rightTypes;
        Vec[] probeOut = new Vec[p.cols().length];
        // Every probe row once, in order (a key join whose rows all match once): the probe columns as they are.
        boolean asIs = n == p.size() && inOrder(pi, n);
        for (int c = 0; c < probeOut.length; c++) {
            Vec v = p.cols()[c];
            probeOut[c] =
                    v == null || asIs ? v : gatherOrNull(v, pi, n, buildLeft ? rightTypes.get(c) : leftTypes.get(c));
        }
        Vec[] buildOut = new Vec[bc.length];
        for (int c = 0; c < bc.length; c++) {
            Vec v = bc[c];
            buildOut[c] = v == null ? null : gatherOrNull(v, bi, n, bt.get(c));
        }
        Vec[] out = new Vec[probeOut.length + buildOut.length];
        if (buildLeft) {
            System.arraycopy(buildOut, 0, out, 0, buildOut.length);
            System.arraycopy(probeOut, 0, out, buildOut.length, probeOut.length);
        } else {
            System.arraycopy(probeOut, 0, out, 0, probeOut.length);
            System.arraycopy(buildOut, 0, out, probeOut.length, buildOut.length);
        }
        return new Batch(out, n);
    }

    private static Vec gatherOrNull(Vec v, int[] idx, int n, RelDataType t) {
        if (n > 0 && idx[0] < 0 && allMissing(idx, n)) {
            return Vec.allNull(n, t);
        }
        return v.gather(idx, n);
    }

    private static boolean inOrder(int[] idx, int n) {
        for (int k = 0; k < n; k++) {
            if (idx[k] != k) {
                return false;
            }
        }
        return true;
    }

    private static boolean allMissing(int[] idx, int n) {
        for (int k = 0; k < n; k++) {
            if (idx[k] >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Emits the joined rows of pairs (probe row {@code pi[k]}, build row {@code bi[k]}) the residual holds for, and
     * marks their rows matched. The residual is evaluated over just the fields it reads; only the pairs it keeps
     * (compacted in place in {@code pi} and {@code bi}) are assembled.
     */
    private void emitPairs(Batch p, int[] pi, int[] bi, int n, boolean[] matched) {
        int m = n;
        VecExprs.VExpr cond = residual;
        if (cond != null) {
            Vec ok = cond.eval(residualInput(p, pi, bi, n));
            m = 0;
            for (int k = 0; k < n; k++) {
                if (!ok.isNull(k) && ok.longs[k] != 0) {
                    pi[m] = pi[k];
                    bi[m++] = bi[k];
                }
            }
        }
        for (int k = 0; k < m; k++) {
            matched[pi[k]] = true;
            if (buildMatched.length > 0) {
                buildMatched[bi[k]] = true;
            }
        }
        if (type == JoinRelType.SEMI || type == JoinRelType.ANTI || type == JoinRelType.LEFT_MARK || m == 0) {
            return;
        }
        ready.add(assemble(p, pi, bi, m));
    }

    /** The pairs' joined rows with only the residual's fields filled. */
    private Batch residualInput(Batch p, int[] pi, int[] bi, int n) {
        Vec[] bc = Objects.requireNonNull(buildCols);
        int leftWidth = leftTypes.size();
        Vec[] cols = new Vec[leftWidth + rightTypes.size()];
        for (int f : residualFields) {
            boolean left = f < leftWidth;
            int c = left ? f : f - leftWidth;
            cols[f] = left == buildLeft
                    ? Objects.requireNonNull(bc[c]).gather(bi, n)
                    : p.col(c).gather(pi, n);
        }
        return new Batch(cols, n);
    }

    private void emitUnmatchedBuild() {
        if (buildMatched.length == 0) {
            return;
        }
        int[] idx = new int[buildRows];
        int m = 0;
        for (int i = 0; i < buildRows; i++) {
            if (!buildMatched[i]) {
                idx[m++] = i;
            }
        }
        if (m == 0) {
            return;
        }
        // The probe side (left, for RIGHT and FULL) is all NULLs.
        Vec[] probeCols = new Vec[leftTypes.size()];
        for (int c = 0; c < probeCols.length; c++) {
            probeCols[c] = Vec.allNull(m, leftTypes.get(c));
        }
        int[] none = new int[m];
        Arrays.fill(none, -1);
        Batch nullProbe = new Batch(probeCols, m);
        int[] all = new int[m];
        for (int k = 0; k < m; k++) {
            all[k] = k;
        }
        ready.add(assemble(nullProbe, all, idx, m));
    }
}
