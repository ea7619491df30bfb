package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.storage.SpillFile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeSystem;
import org.apache.calcite.sql.type.SqlTypeFactoryImpl;
import org.apache.calcite.sql.type.SqlTypeName;
import org.junit.jupiter.api.Test;

/**
 * A semi, anti or mark join built on its left input: the left rows some right row matches (semi), or the others, a
 * NULL key among them (anti), or all with their marks (mark), with the right input in several partitions and
 * duplicate right keys; with a residual condition, only pairs it holds for match.
 */
class MarkingSemiJoinTest {
    private static final RelDataType BIGINT =
            new SqlTypeFactoryImpl(RelDataTypeSystem.DEFAULT).createSqlType(SqlTypeName.BIGINT);

    /** Runs tasks one after the other, in memory only. */
    private static final QueryWork WORK = new QueryWork() {
        @Override
        public <T> List<T> runAll(List<Callable<T>> tasks) {
            List<T> out = new ArrayList<>();
            for (Callable<T> t : tasks) {
                try {
                    out.add(t.call());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            return out;
        }

        @Override
        public void checkCancelled() {}

        @Override
        public long memoryBytes() {
            return 1L << 30;
        }

        @Override
        public SpillFile newSpillFile() {
            throw new IllegalStateException("no spilling here");
        }
    };

    private static Executor.Source source(Batch... batches) {
        Iterator<Batch> it = Arrays.asList(batches).iterator();
        return () -> it.hasNext() ? it.next() : null;
    }

    private static Batch longs(long[] values, boolean[] nulls) {
        return new Batch(new Vec[] {Vec.ofLongs(Vec.Type.INT, 0, values, values.length, nulls)}, values.length);
    }

    private static List<Object> run(JoinRelType type) {
        Batch left = longs(new long[] {1, 2, 3, 0, 5}, new boolean[] {false, false, false, true, false});
        List<RelDataType> types = List.of(BIGINT);
        KeyTable.KeyType[] keyTypes = HashJoin.keyTypes(new int[] {0}, new int[] {0}, types, types);
        HashJoin.Build build = new HashJoin.Build(() -> List.of(source(left)), types, new int[] {0}, keyTypes, WORK);
        List<Executor.Source> right = List.of(
                source(longs(new long[] {2, 5}, null)),
                source(longs(new long[] {5, 9}, null), longs(new long[] {2}, null)));
        MarkingSemiJoin join = new MarkingSemiJoin(type, build, right, new int[] {0}, types, 1, null, new int[0], WORK);
        List<Object> out = new ArrayList<>();
        for (Batch b = join.next(); b != null; b = join.next()) {
            for (int i = 0; i < b.size(); i++) {
                out.add(b.col(0).get(i));
            }
        }
        return out;
    }

    @Test
    void semi_keepsTheMatchedLeftRowsOnce_anti_theOthersWithTheNullKey() {
        assertThat(run(JoinRelType.SEMI)).containsExactly(2L, 5L);
        assertThat(run(JoinRelType.ANTI)).containsExactly(1L, 3L, null);
    }

    /** Left (key, value) against right (key, value), matching when the keys are equal and the values differ. */
    private static List<String> runWithResidual(JoinRelType type) {
        Batch left = new Batch(
                new Vec[] {
                    Vec.ofLongs(Vec.Type.INT, 0, new long[] {1, 2, 3, 0, 5}, 5, new boolean[] {
                        false, false, false, true, false
                    }),
                    Vec.ofLongs(Vec.Type.INT, 0, new long[] {10, 20, 30, 40, 50}, 5, null)
                },
                5);
        List<RelDataType> types = List.of(BIGINT, BIGINT);
        KeyTable.KeyType[] keyTypes = HashJoin.keyTypes(new int[] {0}, new int[] {0}, types, types);
        HashJoin.Build build = new HashJoin.Build(() -> List.of(source(left)), types, new int[] {0}, keyTypes, WORK);
        List<Executor.Source> right = List.of(
                source(pairs(new long[] {2, 5}, new long[] {20, 51}), pairs(new long[] {5, 9}, new long[] {50, 0})),
                source(pairs(new long[] {2, 3}, new long[] {20, 30})));
        // Fields 0, 1 are the left's, 2, 3 the right's; the residual reads 1 and 3 only.
        VecExprs.VExpr differ = b -> {
            Vec l = b.col(1);
            Vec r = b.col(3);
            assertThat(b.cols()[0]).isNull();
            assertThat(b.cols()[2]).isNull();
            long[] out = new long[b.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = l.longs[i] != r.longs[i] ? 1 : 0;
            }
            return Vec.ofLongs(Vec.Type.BOOL, 0, out, out.length, null);
        };
        MarkingSemiJoin join =
                new MarkingSemiJoin(type, build, right, new int[] {0}, types, 2, () -> differ, new int[] {1, 3}, WORK);
        List<String> out = new ArrayList<>();
        for (Batch b = join.next(); b != null; b = join.next()) {
            for (int i = 0; i < b.size(); i++) {
                String row = b.col(0).get(i) + "/" + b.col(1).get(i);
                out.add(type == JoinRelType.LEFT_MARK ? row + "=" + b.col(2).get(i) : row);
            }
        }
        return out;
    }

    private static Batch pairs(long[] keys, long[] values) {
        return new Batch(
                new Vec[] {
                    Vec.ofLongs(Vec.Type.INT, 0, keys, keys.length, null),
                    Vec.ofLongs(Vec.Type.INT, 0, values, values.length, null)
                },
                keys.length);
    }

    @Test
    void residual_onlyPairsItHoldsForMark_theMarkJoinGivesEveryLeftRowItsMark() {
        assertThat(runWithResidual(JoinRelType.SEMI)).containsExactly("5/50");
        assertThat(runWithResidual(JoinRelType.ANTI)).containsExactly("1/10", "2/20", "3/30", "null/40");
        assertThat(runWithResidual(JoinRelType.LEFT_MARK))
                .containsExactlyInAnyOrder("1/10=false", "2/20=false", "3/30=false", "null/40=false", "5/50=true");
    }
}
