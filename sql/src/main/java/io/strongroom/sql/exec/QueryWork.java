package io.strongroom.sql.exec;

import io.strongroom.storage.SpillFile;
import java.util.List;
import java.util.concurrent.Callable;

/** What an operator may ask of the query that runs it: threads, its memory budget, spill files, cancellation. */
interface QueryWork {
    /**
     * Runs the tasks, all but the first on new threads, and returns their results in order; the first failure stops
     * the others and is thrown once all have ended.
     */
    <T> List<T> runAll(List<Callable<T>> tasks);

    /** Throws if the query was cancelled or another of its threads failed. */
    void checkCancelled();

    /**
     * Bytes one operator may hold in hash tables and build sides before it spills to disk (the session's {@code
     * work_mem}); threads of one operator share it.
     */
    long memoryBytes();

    /** A new spill file in the store's temporary directory. */
    SpillFile newSpillFile();
}
