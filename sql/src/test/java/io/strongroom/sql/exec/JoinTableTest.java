package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Lookups in a join's build table: two long key columns packed into one long when every build value fits an int
 * (negative values, NULLs and probe values outside the int range among them), and the unpacked table when one does
 * not, give the same matches.
 */
class JoinTableTest {
    private static final KeyTable.KeyType LONG = new KeyTable.KeyType(KeyTable.Mode.LONG, 0);

    private static int[] firstMatches(long[] buildA, long[] buildB, boolean[] buildBNulls) {
        int n = buildA.length;
        JoinTable t = new JoinTable(
                new KeyTable.KeyType[] {LONG, LONG},
                new Vec[] {
                    Vec.ofLongs(Vec.Type.INT, 0, buildA, n, null), Vec.ofLongs(Vec.Type.INT, 0, buildB, n, buildBNulls)
                },
                n);
        long[] pa = {1, -1, 5, 1, 1L << 33, 1, 9, 4_000_000_000L};
        long[] pb = {2, -2, 7, 3, 2, 2 + (1L << 32), 9, 1};
        boolean[] pbNulls = {false, false, false, false, false, false, true, false};
        int m = pa.length;
        KeyTable.Probe p = t.prepare(
                new Vec[] {Vec.ofLongs(Vec.Type.INT, 0, pa, m, null), Vec.ofLongs(Vec.Type.INT, 0, pb, m, pbNulls)}, m);
        int[] match = new int[m];
        int[] sel = new int[m];
        t.firstMatches(p, m, match, sel);
        return match;
    }

    @Test
    void packedAndUnpackedTables_findTheSameRows() {
        boolean[] nulls = {false, false, false, true, false};
        // Fits an int: packed. Row 3 has a NULL key and is never found; (1, 3) is in no row.
        int[] packed = firstMatches(new long[] {1, -1, 5, 1, 7}, new long[] {2, -2, 7, 3, 7}, nulls);
        assertThat(packed).containsExactly(0, 1, 2, -1, -1, -1, -1, -1);
        // One build value needs more than an int: the table compares the columns one by one, with the same answers.
        int[] wide = firstMatches(new long[] {1, -1, 5, 1, 4_000_000_000L}, new long[] {2, -2, 7, 3, 1}, nulls);
        assertThat(wide).containsExactly(0, 1, 2, -1, -1, -1, -1, 4);
    }
}
