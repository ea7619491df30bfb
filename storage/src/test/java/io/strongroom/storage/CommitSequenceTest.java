package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.testkit.durable.DurableWriteRecorder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins the durable write sequence of a commit, step by step, as the file system sees it (write and fsync each new
 * file: for an appending commit only the catalog, which holds the manifest delta, fsync the directories that got new names, link {@code CURRENT.tmp} to the new catalog, rename it over {@code
 * CURRENT}, fsync the root) with the store's commit steps where they fall. A reordering (the pointer switched before
 * the catalog is durable, a directory fsync dropped) fails here, not only in a crash test's sample.
 */
class CommitSequenceTest {
    @TempDir
    Path tmp;

    @Test
    void anAppendingCommit_writesTheCatalogHoldingItsDelta_thenSwitchesThePointer() throws IOException {
        DurableWriteRecorder recorder = DurableWriteRecorder.under(tmp);
        try (Store store = newStore(recorder)) {
            commitRecorded(store, recorder, tx -> tx.createTable(TableSpec.of("public", "t", CrashTest.COLS)));
            commitRecorded(store, recorder, tx -> tx.append("t", CrashTest.batch(0, 10)));
        }
        // The commit pointer is the catalog itself, not a file of its own.
        assertThat(Files.isSameFile(tmp.resolve("CURRENT"), tmp.resolve("catalog/0000000000000002.cat")))
                .isTrue();

        assertThat(recorder.points())
                .containsExactly(
                        // the delta is held in the catalog file: one file created, written and fsynced
                        "WRITE catalog/0000000000000002.cat",
                        "SYNC_FILE catalog/0000000000000002.cat",
                        "CATALOG_WRITTEN catalog/0000000000000002.cat",
                        "SYNC_DIRECTORY tables/1",
                        "SYNC_DIRECTORY catalog",
                        "DIRECTORIES_SYNCED",
                        // CURRENT.tmp is a hard link to the catalog: no file written, no fsync of its own
                        "POINTER_TMP_WRITTEN CURRENT.tmp",
                        "RENAME CURRENT",
                        "POINTER_SWITCHED CURRENT",
                        "SYNC_DIRECTORY .",
                        "COMMITTED");
    }

    @Test
    void aCommitThatWritesAWholeManifest_writesItThenTheCatalog_thenSwitchesThePointer() {
        DurableWriteRecorder recorder = DurableWriteRecorder.under(tmp);
        try (Store store = newStore(recorder)) {
            store.maxManifestDeltas(0);
            commitRecorded(store, recorder, tx -> {
                tx.createTable(TableSpec.of("public", "t", CrashTest.COLS));
                tx.append("t", CrashTest.batch(0, 10));
            });
        }

        // A new table: tables/ is fsynced too, for the table's new directory.
        assertThat(recorder.durableWrites())
                .containsExactly(
                        "WRITE tables/1/0000000000000001.man",
                        "SYNC_FILE tables/1/0000000000000001.man",
                        "WRITE catalog/0000000000000001.cat",
                        "SYNC_FILE catalog/0000000000000001.cat",
                        "SYNC_DIRECTORY tables",
                        "SYNC_DIRECTORY tables/1",
                        "SYNC_DIRECTORY catalog",
                        "RENAME CURRENT",
                        "SYNC_DIRECTORY .");
    }

    private Store newStore(DurableWriteRecorder recorder) {
        return Store.create(tmp, "seq", new ClusterLayout(1, 1), StoreKeys.of(Fixtures.dek((byte) 3)), recorder);
    }

    /** Runs {@code work} in a transaction and commits it, with the recorder holding only the commit's points. */
    private static void commitRecorded(Store store, DurableWriteRecorder recorder, Consumer<Transaction> work) {
        try (Transaction tx = store.begin()) {
            work.accept(tx);
            recorder.clear();
            tx.commit();
        }
    }
}
