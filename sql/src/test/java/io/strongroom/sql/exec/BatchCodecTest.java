package io.strongroom.sql.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batches written to spill chunks come back with the same values, NULLs, types and scales. */
class BatchCodecTest {
    @Test
    void everyRepresentation_roundTrips() {
        int n = 4;
        Vec ints = Vec.ofLongs(Vec.Type.INT, 0, new long[] {1, -2, Long.MAX_VALUE, 0, 99}, n, null);
        Vec decs = Vec.ofLongs(
                Vec.Type.DEC, 2, new long[] {12345, -1, 0, 7}, n, new boolean[] {false, false, true, false});
        Vec dates = Vec.ofLongs(Vec.Type.DATE, 0, new long[] {19000, 0, -5, 20000}, n, null);
        Vec doubles = Vec.ofDoubles(
                new double[] {1.5, Double.NaN, -0.0, 1e300}, n, new boolean[] {false, true, false, false});
        Vec strs = Vec.ofStrings(new String[] {"a", null, "", "žluťoučký kůň"}, n);
        Vec objs =
                Vec.ofObjects(new Object[] {new BigDecimal("123456789012345678901234567890.12"), null, "text", 5L}, n);
        Batch b = new Batch(new Vec[] {ints, null, decs, dates, doubles, strs, objs}, n);

        Batch back = BatchCodec.decode(BatchCodec.encode(b));

        assertThat(back.size()).isEqualTo(n);
        assertThat(back.cols()[1]).isNull();
        for (int i = 0; i < n; i++) {
            assertThat(back.row(i)).as("row %d", i).containsExactly(b.row(i));
        }
        assertThat(back.col(2).scale).isEqualTo(2);
        assertThat(back.col(3).type).isEqualTo(Vec.Type.DATE);
    }

    @Test
    void aStringVectorSharingALargerBuffer_keepsOnlyItsRows() {
        Vec all = Vec.ofStrings(new String[] {"skip", "keep1", "keep2"}, 3);
        Vec tail = all.gather(new int[] {1, 2}, 2);
        Batch back = BatchCodec.decode(BatchCodec.encode(new Batch(new Vec[] {tail}, 2)));
        assertThat(List.of(back.row(0)[0], back.row(1)[0])).containsExactly("keep1", "keep2");
    }

    @Test
    void aValueThatCannotSpill_failsWithAnOutOfMemoryErrorNamingWorkMem() {
        Vec arrays = Vec.ofObjects(new Object[] {List.of(1L, 2L)}, 1);
        assertThatThrownBy(() -> BatchCodec.encode(new Batch(new Vec[] {arrays}, 1)))
                .isInstanceOfSatisfying(
                        StrongroomException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.OUT_OF_MEMORY))
                .hasMessageContaining("work_mem");
    }
}
