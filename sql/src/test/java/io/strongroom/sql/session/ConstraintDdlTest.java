package io.strongroom.sql.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.StrongroomException;
import io.strongroom.sql.SessionInfo;
import io.strongroom.sql.SqlSession;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableConstraint;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PRIMARY KEY, UNIQUE and FOREIGN KEY in CREATE TABLE, inline and table-level, named or not: kept in the table's
 * spec under the names PostgreSQL gives them, never enforced; a FOREIGN KEY to a missing table or column is
 * refused with PostgreSQL's SQLSTATE.
 */
class ConstraintDdlTest {
    @TempDir
    Path dir;

    private Store store;
    private SqlSession session;

    @BeforeEach
    void open() {
        store = Store.create(dir, "c", new ClusterLayout(1, 2), StoreKeys.unencrypted());
        session = new StoreSqlEngine(store).open(new SessionInfo("admin", "dev", Map.of()));
    }

    @AfterEach
    void close() {
        session.close();
        store.close();
    }

    private void run(String sql) {
        session.execute(session.prepare(sql, List.of()), List.of());
    }

    private List<TableConstraint> constraints(String table) {
        try (Snapshot s = store.snapshot()) {
            return s.table(table).spec().constraints();
        }
    }

    @Test
    void createTable_keepsConstraints_namedAsPostgresNamesThem() {
        run("CREATE TABLE parent (id BIGINT PRIMARY KEY, code VARCHAR(5) UNIQUE, a INT, b INT, UNIQUE (a, b),"
                + " CONSTRAINT ab_again UNIQUE (b, a))");
        run("CREATE TABLE child (id INT, line INT, pid BIGINT REFERENCES parent, code VARCHAR(5),"
                + " CONSTRAINT child_key PRIMARY KEY (id, line),"
                + " FOREIGN KEY (code) REFERENCES public.parent (code) MATCH SIMPLE ON DELETE SET NULL ON UPDATE"
                + " NO ACTION, UNIQUE (code), UNIQUE (code)) DISTSTYLE EVEN");
        assertThat(constraints("parent"))
                .containsExactly(
                        TableConstraint.primaryKey("parent_pkey", List.of("id")),
                        TableConstraint.unique("parent_code_key", List.of("code")),
                        TableConstraint.unique("parent_a_b_key", List.of("a", "b")),
                        TableConstraint.unique("ab_again", List.of("b", "a")));
        assertThat(constraints("child"))
                .containsExactly(
                        TableConstraint.foreignKey("child_pid_fkey", List.of("pid"), "public.parent", List.of("id")),
                        TableConstraint.primaryKey("child_key", List.of("id", "line")),
                        TableConstraint.foreignKey(
                                "child_code_fkey", List.of("code"), "public.parent", List.of("code")),
                        TableConstraint.unique("child_code_key", List.of("code")),
                        TableConstraint.unique("child_code_key1", List.of("code")));
        // Informational: duplicates and dangling references are accepted, as in Redshift.
        run("INSERT INTO parent VALUES (1, 'x', 1, 1), (1, 'x', 1, 1)");
        run("INSERT INTO child VALUES (1, 1, 42, 'nope')");
    }

    @Test
    void foreignKey_toAMissingTableOrColumn_isRefused() {
        run("CREATE TABLE p (id INT)");
        assertThatThrownBy(() -> run("CREATE TABLE c (x INT REFERENCES missing (id))"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("42P01"));
        assertThatThrownBy(() -> run("CREATE TABLE c (x INT REFERENCES p (nope))"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("42703"));
        assertThatThrownBy(() -> run("CREATE TABLE c (x INT REFERENCES p)"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("42830"));
        assertThatThrownBy(() -> run("CREATE TABLE c (x INT, PRIMARY KEY (y))"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("42703"));
        assertThatThrownBy(() -> run("CREATE TABLE c (x INT PRIMARY KEY, y INT, PRIMARY KEY (y))"))
                .isInstanceOf(StrongroomException.class)
                .hasMessageContaining("multiple primary keys");
        run("DROP TABLE p"); // the refused CREATE TABLEs left nothing that references p
    }

    @Test
    void dropTable_referenced_needsCascade_andAlterTableKeepsConstraintsConsistent() {
        run("CREATE TABLE p (id INT PRIMARY KEY, v INT)");
        run("CREATE TABLE c (id INT PRIMARY KEY, pid INT REFERENCES p (id))");
        assertThatThrownBy(() -> run("DROP TABLE p"))
                .isInstanceOfSatisfying(
                        StrongroomException.class,
                        e -> assertThat(e.code().sqlState()).isEqualTo("2BP01"));
        run("ALTER TABLE p RENAME COLUMN id TO pk");
        run("ALTER TABLE p RENAME TO q");
        assertThat(constraints("c").get(1))
                .isEqualTo(TableConstraint.foreignKey("c_pid_fkey", List.of("pid"), "public.q", List.of("pk")));
        run("ALTER TABLE c DROP COLUMN id");
        assertThat(constraints("c")).extracting(TableConstraint::name).containsExactly("c_pid_fkey");
        run("DROP TABLE q CASCADE");
        assertThat(constraints("c")).isEmpty();
    }
}
