package io.strongroom.sql.exec;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.TableSpec;
import java.util.List;
import java.util.stream.IntStream;

/**
 * What every append of rows to a stored table shares (INSERT, CREATE TABLE AS and COPY ... FROM): the batch size
 * and how a statement's column list maps to the table's columns. Stateless.
 */
public final class Appends {
    private Appends() {}

    /** Rows per batch appended to the store, by INSERT, CREATE TABLE AS and COPY ... FROM. */
    public static final int BATCH_ROWS = 64 * 1024;

    /** The column index of each target column named, or of every column when none is named. */
    public static int[] targetPositions(TableSpec spec, List<String> targetCols) {
        if (targetCols.isEmpty()) {
            return IntStream.range(0, spec.columns().size()).toArray();
        }
        int[] out = new int[targetCols.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = spec.indexOf(targetCols.get(i));
            if (out[i] < 0) {
                throw new StrongroomException(
                        ErrorCode.UNDEFINED_COLUMN,
                        "column \"" + targetCols.get(i) + "\" of relation \"" + spec.name() + "\" does not exist");
            }
        }
        return out;
    }
}
