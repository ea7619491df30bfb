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
 * A semi or anti join built on its left input: the left rows some right row matches (semi), or the others, a NULL
 * key among them (anti), with the right input in several partitions and duplicate right keys.
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
        MarkingSemiJoin join = new MarkingSemiJoin(type, build, right, new int[] {0}, types, WORK);
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
}
