package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Lookups in a join's build table: two long key columns packed into one long when every build value fits an int
 * (negative values, NULLs and probe values outside the int range among them), and the unpacked table when one does
 * not, give the same matches; a single long key addressed directly, behind a bitmap, or hashed finds exactly the
 * rows a comparison of every pair finds.
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

    /** Every (probe row, build row) pair a table finds, walking first and next matches, as "i:r". */
    private static List<String> allMatches(JoinTable t, long[] probe, boolean[] probeNulls) {
        int m = probe.length;
        KeyTable.Probe p = t.prepare(new Vec[] {Vec.ofLongs(Vec.Type.INT, 0, probe, m, probeNulls)}, m);
        int[] match = new int[m];
        int[] sel = new int[m];
        List<String> out = new ArrayList<>();
        for (int k = t.firstMatches(p, m, match, sel); k > 0; k = t.nextMatches(p, match, sel, k)) {
            for (int j = 0; j < k; j++) {
                out.add(sel[j] + ":" + match[sel[j]]);
            }
        }
        return out;
    }

    private static List<String> expected(long[] build, boolean[] buildNulls, long[] probe, boolean[] probeNulls) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < probe.length; i++) {
            for (int r = 0; r < build.length; r++) {
                if (!probeNulls[i] && !buildNulls[r] && probe[i] == build[r]) {
                    out.add(i + ":" + r);
                }
            }
        }
        return out;
    }

    @Test
    void singleLongKeys_direct_bitmap_andHashed_findEveryEqualPairOnce() {
        Random rnd = new Random(42);
        // Build keys drawn from [base, base + span): dense (direct), sparse but bounded (bitmap), and unbounded.
        long[][] shapes = {{-50, 150}, {1_000, 3_000}, {Long.MIN_VALUE / 2, Long.MAX_VALUE}};
        String[] modes = {"direct", "bitmap", "hash"};
        for (int s = 0; s < shapes.length; s++) {
            int n = 200;
            long[] build = new long[n];
            boolean[] buildNulls = new boolean[n];
            for (int r = 0; r < n; r++) {
                build[r] = s == 2 && r % 2 == 0
                        ? rnd.nextLong()
                        : shapes[s][0] + rnd.nextInt(s == 2 ? 100 : (int) shapes[s][1]);
                buildNulls[r] = r % 17 == 0;
            }
            build[5] = build[6]; // a duplicate key: two rows in one chain
            JoinTable t = new JoinTable(
                    new KeyTable.KeyType[] {LONG}, new Vec[] {Vec.ofLongs(Vec.Type.INT, 0, build, n, buildNulls)}, n);
            assertThat(t.addressing()).isEqualTo(modes[s]);
            int m = 2_000;
            long[] probe = new long[m];
            boolean[] probeNulls = new boolean[m];
            for (int i = 0; i < m; i++) {
                probe[i] = i % 3 == 0 ? build[rnd.nextInt(n)] : shapes[s][0] - 10 + rnd.nextInt(400);
                probeNulls[i] = i % 29 == 0;
            }
            probe[1] = Long.MIN_VALUE; // outside every span
            probe[2] = Long.MAX_VALUE;
            List<String> found = allMatches(t, probe, probeNulls);
            assertThat(found)
                    .as(modes[s])
                    .containsExactlyInAnyOrderElementsOf(expected(build, buildNulls, probe, probeNulls));
            assertThat(found).as(modes[s]).isNotEmpty();
        }
    }
}
