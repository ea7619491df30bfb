"""psycopg 3 against a cluster: TLS verified against the installation's CA, prepared statements past psycopg's
auto-prepare threshold and then a rollback (psycopg sends DEALLOCATE ALL), PREPARE/EXECUTE/DEALLOCATE and DISCARD
ALL in SQL, and server-side cursors (psycopg's named cursors, and DECLARE/FETCH/MOVE/CLOSE in SQL)."""

import psycopg
import pytest

from conftest import OTHER_CA, PASSWORD


def test_tls_verify_full_against_the_ca_and_nothing_else(cluster):
    with cluster.connect() as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        cluster.connect(sslrootcert=OTHER_CA)
    # The default parameter group has require_ssl=true: a plain connection is refused before any password.
    with pytest.raises(psycopg.OperationalError, match="requires TLS"):
        cluster.connect(sslmode="disable")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        cluster.connect(password=PASSWORD + "x")


def test_prepared_past_the_threshold_then_rollback(cluster):
    with cluster.connect() as conn:
        conn.execute("CREATE TABLE prep (id BIGINT, name VARCHAR(20))")
        conn.commit()
        assert conn.prepare_threshold == 5
        with conn.cursor() as cur:
            for i in range(12):
                cur.execute("INSERT INTO prep VALUES (%s, %s)", (i, f"n{i}"))
            # psycopg prepared the statement server-side once it had run prepare_threshold times.
            assert conn._prepared._names, "psycopg did not prepare the INSERT"
            assert cur.execute("SELECT count(*) FROM prep").fetchone() == (12,)
        # Rolling back a transaction in which statements were prepared makes psycopg send DEALLOCATE ALL.
        conn.rollback()
        assert not conn._prepared._names
        assert conn.execute("SELECT count(*) FROM prep").fetchone() == (0,)
        # The statement is prepared again, and committed this time.
        for i in range(7):
            conn.execute("INSERT INTO prep VALUES (%s, %s)", (i, f"n{i}"))
        conn.commit()
        assert conn.execute("SELECT count(*), sum(id) FROM prep").fetchone() == (7, 21)
        conn.commit()


def test_prepare_execute_deallocate_and_discard_all_in_sql(cluster):
    with cluster.connect(autocommit=True) as conn:
        conn.execute("PREPARE plus_one (BIGINT) AS SELECT $1 + 1")
        assert conn.execute("EXECUTE plus_one (41)").fetchone() == (42,)
        conn.execute("DEALLOCATE plus_one")
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            conn.execute("EXECUTE plus_one (1)")
        conn.execute("PREPARE again AS SELECT 2")
        conn.execute("DISCARD ALL")
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            conn.execute("EXECUTE again")
        conn.execute("DEALLOCATE ALL")


@pytest.fixture(scope="module")
def big(cluster):
    """5,000 rows loaded with COPY FROM STDIN (text), for the cursors to page through."""
    with cluster.connect() as conn:
        conn.execute("CREATE TABLE big (id BIGINT, name VARCHAR(20))")
        with conn.cursor().copy("COPY big (id, name) FROM STDIN") as copy:
            for i in range(5000):
                copy.write_row((i, f"row{i}"))
        conn.commit()
    return 5000


def test_named_cursor_fetches_in_pages(cluster, big):
    with cluster.connect() as conn:
        with conn.cursor(name="pages") as cur:
            cur.itersize = 700
            cur.execute("SELECT id, name FROM big ORDER BY id")
            first = cur.fetchmany(250)
            assert [r[0] for r in first] == list(range(250))
            assert cur.fetchone() == (250, "row250")
            rest = cur.fetchall()
            assert len(rest) == big - 251
            assert rest[-1] == (big - 1, f"row{big - 1}")
        with conn.cursor(name="iterated") as cur:
            cur.itersize = 1000
            cur.execute("SELECT id FROM big WHERE id % 2 = 0")
            assert sum(1 for _ in cur) == big // 2
        # Parameters go with the DECLARE (bound in the extended protocol).
        with conn.cursor(name="bound") as cur:
            cur.execute("SELECT id, name FROM big WHERE id >= %s AND name <> %s ORDER BY id", (4990, "row4995"))
            assert [r[0] for r in cur.fetchall()] == [4990, 4991, 4992, 4993, 4994, 4996, 4997, 4998, 4999]
        conn.commit()


def test_declare_fetch_move_close_in_sql(cluster, big):
    with cluster.connect() as conn:
        conn.execute("DECLARE c CURSOR FOR SELECT id FROM big ORDER BY id")
        assert [r[0] for r in conn.execute("FETCH 3 FROM c").fetchall()] == [0, 1, 2]
        conn.execute("MOVE 10 IN c")
        assert conn.execute("FETCH NEXT FROM c").fetchone() == (13,)
        assert len(conn.execute("FETCH FORWARD 100 FROM c").fetchall()) == 100
        conn.execute("CLOSE c")
        with pytest.raises(psycopg.errors.InvalidCursorName):
            conn.execute("FETCH 1 FROM c")
        conn.rollback()
