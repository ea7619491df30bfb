package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image moved between two snapshot stores that share no disk: exported, received part by part into a spool,
 * committed; the restored rows are the source's. Damaged or misplaced parts are refused, a spooled block survives a
 * second attempt, and nothing is in the target store before the commit.
 */
class SnapshotTransferTest {
    @TempDir
    Path tmp;

    private static final List<Column> COLS =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "s", ColumnType.varchar(32)));

    private static StoreKeys keys() {
        return StoreKeys.of(Fixtures.dek((byte) 9));
    }

    private SnapshotStore imageOfRows(int rows) {
        SnapshotStore ss = SnapshotStore.open(tmp.resolve("from"));
        try (Store s = Store.create(tmp.resolve("src"), "src-store", new ClusterLayout(1, 2), keys())) {
            try (Transaction tx = s.begin()) {
                tx.createTable(TableSpec.of("public", "t", COLS));
                RowBatch b = RowBatch.builder(COLS, rows);
                for (int i = 0; i < rows; i++) {
                    b.addRow((long) i, "v" + i);
                }
                tx.append("t", b);
                tx.commit();
            }
            try (Snapshot snap = s.snapshot()) {
                ss.write("i1", snap);
            }
        }
        return ss;
    }

    private static void send(SnapshotTransfer.Export e, SnapshotTransfer.Incoming in, List<Integer> blocks)
            throws Exception {
        for (Map.Entry<String, Path> f : e.imageFiles().entrySet()) {
            try (InputStream s = Files.newInputStream(f.getValue())) {
                in.acceptFile(f.getKey(), Files.size(f.getValue()), s);
            }
        }
        for (int i : blocks) {
            try (InputStream s = Files.newInputStream(e.blockFiles().get(i))) {
                in.acceptBlock(i, s);
            }
        }
    }

    @Test
    void exported_received_committed_restoresTheSameRows() throws Exception {
        SnapshotStore from = imageOfRows(50_000);
        SnapshotStore to = SnapshotStore.open(tmp.resolve("to"));
        SnapshotTransfer.Export e = SnapshotTransfer.export(from, "i1");
        assertThat(e.blockFiles()).isNotEmpty();
        SnapshotTransfer.Incoming in = SnapshotTransfer.receive(to, e.blockList(), tmp.resolve("spool"));
        assertThat(in.missing()).hasSize(e.blockFiles().size());

        // A first attempt cut after one block: that block stays spooled, the others are still missing.
        try (InputStream s = Files.newInputStream(e.blockFiles().get(0))) {
            in.acceptBlock(0, s);
        }
        SnapshotTransfer.Incoming again = SnapshotTransfer.receive(to, e.blockList(), tmp.resolve("spool"));
        assertThat(again.missing()).doesNotContain(0).hasSize(e.blockFiles().size() - 1);
        assertThat(to.imageIds()).isEmpty();
        assertThat(to.poolBlockCount()).isZero();

        send(e, again, again.missing());
        again.commit("c1");
        assertThat(to.isComplete("c1")).isTrue();
        try (Store r = to.restore("c1", tmp.resolve("restored"), keys());
                Store src = Store.open(tmp.resolve("src"), keys());
                Snapshot a = r.snapshot();
                Snapshot b = src.snapshot()) {
            assertThat(Fixtures.countAndChecksum(a.table("t"))).isEqualTo(Fixtures.countAndChecksum(b.table("t")));
        }
        // A second copy of the same image needs no block: the target's pool has them all.
        assertThat(SnapshotTransfer.receive(to, e.blockList(), tmp.resolve("spool2"))
                        .missing())
                .isEmpty();
        assertThat(to.recover(Set.of("c1"))).isEmpty();
    }

    @Test
    void damagedOrMisplacedParts_areRefused_andAMissingBlockStopsTheCommit() throws Exception {
        SnapshotStore from = imageOfRows(5_000);
        SnapshotStore to = SnapshotStore.open(tmp.resolve("to"));
        SnapshotTransfer.Export e = SnapshotTransfer.export(from, "i1");
        SnapshotTransfer.Incoming in = SnapshotTransfer.receive(to, e.blockList(), tmp.resolve("spool"));
        byte[] block = Files.readAllBytes(e.blockFiles().get(0));
        block[block.length - 1] ^= 1;
        assertThatThrownBy(() -> in.acceptBlock(0, new ByteArrayInputStream(block)))
                .isInstanceOf(StrongroomException.class)
                .satisfies(x -> assertThat(((StrongroomException) x).code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        assertThat(in.missing()).contains(0);
        assertThatThrownBy(() -> in.acceptBlock(0, new ByteArrayInputStream(new byte[3])))
                .satisfies(x -> assertThat(((StrongroomException) x).code()).isEqualTo(ErrorCode.IO_ERROR));
        for (String path : List.of("../escape", "a/../../b", "/abs", "COMPLETE", "BLOCKS", "a//b", ".")) {
            assertThatThrownBy(() -> in.acceptFile(path, 1, new ByteArrayInputStream(new byte[1])))
                    .as(path)
                    .satisfies(
                            x -> assertThat(((StrongroomException) x).code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        }
        assertThat(tmp.resolve("escape")).doesNotExist();
        byte[] list = e.blockList().clone();
        list[list.length - 1] ^= 1;
        assertThatThrownBy(() -> SnapshotTransfer.receive(to, list, tmp.resolve("spool3")))
                .isInstanceOf(StrongroomException.class);
        send(e, in, List.of());
        assertThatThrownBy(() -> in.commit("c1")).hasMessageContaining("was not received");
        assertThat(to.isComplete("c1")).isFalse();
        assertThat(to.imageIds()).doesNotContain("c1");
    }
}
