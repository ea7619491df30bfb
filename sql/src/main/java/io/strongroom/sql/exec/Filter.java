package io.strongroom.sql.exec;

import io.strongroom.sql.func.Expressions;
import java.util.Arrays;
import java.util.List;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rex.RexNode;
import org.jspecify.annotations.Nullable;

/**
 * A WHERE or HAVING condition over batches: passes on the rows for which it is true (not false, not NULL).
 *
 * <p>A condition that is a conjunction whose parts cannot fail for any row ({@link VecExprs#safe}) is evaluated part
 * by part: each part over the rows still in, and the batch narrowed ({@link Batch#gather}) as soon as at most half
 * its rows are left, so the parts after a selective one run over the few rows it kept (TPC-H Q06 keeps about one row
 * in seven after its date range, then tests discount and quantity on those only). While more than half are left,
 * the rows out are only marked, so a condition that keeps most rows costs one gather, as a whole condition does.
 * Any other condition is evaluated whole ({@link VecExprs#compile}, which keeps AND, OR and CASE lazy where an
 * operand can fail).
 *
 * <p>Invariants: a row is passed on exactly when every part is true for it; the rows keep their order; a batch with
 * no row left is not passed on; a batch whose rows all pass is passed on as it is.
 */
final class Filter {
    private Filter() {}

    static Executor.Source of(Executor.Source in, RexNode condition, Expressions.Context params) {
        List<RexNode> parts = RelOptUtil.conjunctions(condition);
        if (parts.size() < 2 || !VecExprs.safe(condition)) {
            VecExprs.VExpr whole = VecExprs.compile(condition, params);
            return () -> whole(in, whole);
        }
        VecExprs.VExpr[] conj = new VecExprs.VExpr[parts.size()];
        for (int k = 0; k < conj.length; k++) {
            conj[k] = VecExprs.compile(parts.get(k), params);
        }
        return () -> byParts(in, conj);
    }

    private static @Nullable Batch whole(Executor.Source in, VecExprs.VExpr cond) {
        while (true) {
            Batch b = in.next();
            if (b == null) {
                return null;
            }
            Vec v = cond.eval(b);
            int n = b.size();
            int[] idx = new int[n];
            int m = 0;
            for (int i = 0; i < n; i++) {
                if (v.longs[i] != 0 && !v.isNull(i)) {
                    idx[m++] = i;
                }
            }
            if (m == n) {
                return b;
            }
            if (m > 0) {
                return b.gather(idx, m);
            }
        }
    }

    private static @Nullable Batch byParts(Executor.Source in, VecExprs.VExpr[] conj) {
        while (true) {
            Batch b = in.next();
            if (b == null) {
                return null;
            }
            Batch out = narrow(b, conj);
            if (out != null) {
                return out;
            }
        }
    }

    /** The rows of {@code b} for which every part is true, or null when none is. */
    private static @Nullable Batch narrow(Batch b, VecExprs.VExpr[] conj) {
        Batch cur = b;
        boolean[] out = null; // rows of cur already known false; null when none is
        int left = cur.size();
        for (int k = 0; k < conj.length; k++) {
            Vec v = conj[k].eval(cur);
            int n = cur.size();
            int[] idx = new int[n];
            int m = 0;
            for (int i = 0; i < n; i++) {
                if ((out == null || !out[i]) && v.longs[i] != 0 && !v.isNull(i)) {
                    idx[m++] = i;
                }
            }
            if (m == 0) {
                return null;
            }
            if (m == left && (out == null || k < conj.length - 1)) {
                continue; // this part kept every row still in
            }
            if (k == conj.length - 1 || m <= n / 2) {
                cur = cur.gather(idx, m);
                out = null;
            } else {
                out = new boolean[n];
                Arrays.fill(out, true);
                for (int j = 0; j < m; j++) {
                    out[idx[j]] = false;
                }
            }
            left = m;
        }
        return cur;
    }
}
