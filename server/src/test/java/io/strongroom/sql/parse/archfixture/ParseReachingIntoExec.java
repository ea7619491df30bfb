package io.strongroom.sql.parse.archfixture;

import io.strongroom.sql.exec.Batch;

/**
 * A deliberate violation for {@code ArchitectureTest}: the parser reads text only, it never reaches into the
 * executor.
 */
public final class ParseReachingIntoExec {
    private ParseReachingIntoExec() {}

    public static int rows(Batch batch) {
        return batch.size();
    }
}
