package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.storage.format.Catalog;
import io.strongroom.storage.format.FileHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Informational constraints in the store: kept across reopen (catalog format version 3, written only when a table
 * has one), a FOREIGN KEY checked against the referenced table and columns when created, and renames, dropped
 * columns and dropped tables keeping every table's constraints consistent, as PostgreSQL does.
 */
class TableConstraintsTest {
    @TempDir
    Path tmp;

    private Store store;

    private static final List<Column> PARENT =
            List.of(new Column(0, "id", ColumnType.BIGINT), new Column(1, "code", ColumnType.varchar(10)));
    private static final List<Column> CHILD = List.of(
            new Column(0, "id", ColumnType.BIGINT),
            new Column(1, "parent_id", ColumnType.BIGINT),
            new Column(2, "note", ColumnType.varchar(10)));

    @BeforeEach
    void open() {
        store = Store.create(tmp.resolve("s"), "k", new ClusterLayout(1, 2), StoreKeys.unencrypted());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static TableSpec parent() {
        return TableSpec.of("public", "parent", PARENT)
                .withConstraints(List.of(
                        TableConstraint.primaryKey("parent_pkey", List.of("id")),
                        TableConstraint.unique("parent_code_key", List.of("code"))));
    }

    private static TableSpec child(String... refColumns) {
        return TableSpec.of("public", "child", CHILD)
                .withConstraints(List.of(
                        TableConstraint.primaryKey("child_pkey", List.of("id")),
                        TableConstraint.foreignKey(
                                "child_parent_id_fkey", List.of("parent_id"), "public.parent", List.of(refColumns))));
    }

    private void commit(Consumer<Transaction> change) {
        try (Transaction tx = store.begin()) {
            change.accept(tx);
            tx.commit();
        }
    }

    private TableSpec spec(String table) {
        try (Snapshot s = store.snapshot()) {
            return s.table(table).spec();
        }
    }

    @Test
    void constraints_surviveReopen_inCatalogVersion3_andAForeignKeyWithoutColumnsTakesThePrimaryKey()
            throws IOException {
        // Whole manifests, no deltas (catalog version 4): the catalog versions below are what constraints need.
        store.maxManifestDeltas(0);
        commit(tx -> tx.createTable(TableSpec.of("public", "plain", PARENT)));
        assertThat(latestCatalogVersion()).isEqualTo(1);
        commit(tx -> {
            tx.createTable(parent());
            tx.createTable(child(""));
        });
        store.close();
        store = Store.open(tmp.resolve("s"), StoreKeys.unencrypted());
        store.maxManifestDeltas(0);
        assertThat(spec("parent").constraints()).isEqualTo(parent().constraints());
        assertThat(spec("child").constraints().get(1))
                .isEqualTo(TableConstraint.foreignKey(
                        "child_parent_id_fkey", List.of("parent_id"), "public.parent", List.of("id")));
        assertThat(latestCatalogVersion()).isEqualTo(3);
        // Dropping the last constrained table writes version 1 again: the lowest version that expresses it.
        commit(tx -> {
            tx.dropTable("child");
            tx.dropTable("parent");
        });
        assertThat(latestCatalogVersion()).isEqualTo(1);
    }

    @Test
    void catalogBody_roundTripsConstraints_atVersion3() {
        TableSpec spec = child("id");
        Catalog c = new Catalog(
                4,
                3,
                9,
                List.of(
                        new Catalog.Entry(2, spec, 3, 0, new byte[0], 0),
                        new Catalog.Entry(1, parent(), 2, 0, new byte[0], 0)));
        assertThat(c.formatVersion()).isEqualTo(3);
        Catalog back = Catalog.decodeBody(c.encodeBody(), 3, "test");
        assertThat(back.tables().get(0).spec()).isEqualTo(spec);
        assertThat(back.tables().get(1).spec()).isEqualTo(parent());
    }

    @Test
    void foreignKey_mustNameAnExistingTableAndColumns() {
        assertThatThrownBy(() -> commit(tx -> tx.createTable(child("id"))))
                .isInstanceOf(StrongroomException.class)
                .satisfies(e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.NOT_FOUND))
                .hasMessageContaining("public.parent");
        commit(tx -> tx.createTable(TableSpec.of("public", "parent", PARENT)));
        assertThatThrownBy(() -> commit(tx -> tx.createTable(child("nope"))))
                .satisfies(e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.UNDEFINED_COLUMN))
                .hasMessageContaining("\"nope\"");
        // Without referenced columns, the referenced table needs a primary key.
        assertThatThrownBy(() -> commit(tx -> tx.createTable(child(""))))
                .satisfies(e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.INVALID_FOREIGN_KEY));
        // A constraint over a column the table does not have is refused by the spec itself.
        assertThatThrownBy(() -> TableSpec.of("public", "x", PARENT)
                        .withConstraints(List.of(TableConstraint.unique("x_key", List.of("ghost")))))
                .satisfies(e -> assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.UNDEFINED_COLUMN));
    }

    @Test
    void renames_areFollowedByTheTablesOwnAndOtherTablesConstraints() {
        commit(tx -> {
            tx.createTable(parent());
            tx.createTable(child("id"));
        });
        commit(tx -> {
            tx.renameColumn("parent", "id", "pid");
            tx.renameTable("parent", "mother");
            tx.renameColumn("child", "parent_id", "mother_id");
        });
        assertThat(spec("mother").constraints().get(0).columns()).containsExactly("pid");
        assertThat(spec("child").constraints().get(1))
                .isEqualTo(TableConstraint.foreignKey(
                        "child_parent_id_fkey", List.of("mother_id"), "public.mother", List.of("pid")));
    }

    @Test
    void dropColumn_dropsTheTablesConstraintsOverIt_butIsRefusedWhileAnotherTableReferencesIt() {
        commit(tx -> {
            tx.createTable(parent());
            tx.createTable(child("id"));
        });
        assertThatThrownBy(() -> commit(tx -> tx.dropColumn("parent", "id")))
                .satisfies(e ->
                        assertThat(((StrongroomException) e).code()).isEqualTo(ErrorCode.DEPENDENT_OBJECTS_STILL_EXIST))
                .hasMessageContaining("child_parent_id_fkey");
        // The referencing column goes, and its foreign key with it; then the parent's key column can go too.
        commit(tx -> tx.dropColumn("child", "parent_id"));
        assertThat(spec("child").constraints())
                .extracting(TableConstraint::name)
                .containsExactly("child_pkey");
        commit(tx -> tx.dropColumn("parent", "id"));
        assertThat(spec("parent").constraints())
                .extracting(TableConstraint::name)
                .containsExactly("parent_code_key");
    }

    @Test
    void dropTable_referenced_isRefused_unlessCascade_whichDropsTheForeignKeysOnly() {
        commit(tx -> {
            tx.createTable(parent());
            tx.createTable(child("id"));
        });
        assertThatThrownBy(() -> commit(tx -> tx.dropTable("parent")))
                .satisfies(e -> assertThat(((StrongroomException) e).code())
                        .isEqualTo(ErrorCode.DEPENDENT_OBJECTS_STILL_EXIST));
        commit(tx -> tx.dropTable("parent", true));
        assertThat(spec("child").constraints())
                .extracting(TableConstraint::name)
                .containsExactly("child_pkey");
    }

    private int latestCatalogVersion() throws IOException {
        try (Stream<Path> s = Files.list(tmp.resolve("s").resolve("catalog"))) {
            Path last = s.sorted().reduce((a, b) -> b).orElseThrow();
            return FileHeader.version(Files.readAllBytes(last));
        }
    }
}
