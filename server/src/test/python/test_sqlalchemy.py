"""SQLAlchemy 2.0 with its postgresql+psycopg dialect against a cluster: a verified TLS connection (the dialect's
own start-up queries included), create_all, has_table for a table that exists and one that does not, and
reflection of a table with a primary key.

Every statement SQLAlchemy sends is recorded, and a failed check names the SQL it sent, so what the server
answered wrongly can be read off the report."""

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from conftest import CA, MASTER_USER, PASSWORD


class Recorded:
    """The statements and parameters an engine sent, in order."""

    def __init__(self, engine):
        self.sent = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.sent.append(f"{' '.join(statement.split())}  -- {parameters!r}")

    def since(self, mark):
        return "\n".join(self.sent[mark:]) or "(nothing)"


def check(engine, what, predicate):
    """Runs `predicate`; on a false answer or an error, fails naming the SQL the dialect sent for it."""
    mark = len(engine.recorded.sent)
    try:
        ok = predicate()
    except sa.exc.DBAPIError as e:
        raise AssertionError(
            f"{what}: the server refused {e.orig!r}\nSQL sent:\n{engine.recorded.since(mark)}"
        ) from e
    assert ok, f"{what}: wrong answer\nSQL sent:\n{engine.recorded.since(mark)}"


@pytest.fixture(scope="module")
def engine(cluster):
    url = sa.URL.create(
        "postgresql+psycopg",
        username=MASTER_USER,
        password=PASSWORD,
        host=cluster.host,
        port=cluster.port,
        database="dev",
    )
    # use_native_hstore=False: the dialect would otherwise look hstore up (psycopg's TypeInfo.fetch, inside a
    # SAVEPOINT); Redshift has neither hstore nor SAVEPOINT, so a Redshift user turns it off the same way.
    eng = sa.create_engine(
        url, connect_args={"sslmode": "verify-full", "sslrootcert": CA}, use_native_hstore=False
    )
    eng.recorded = Recorded(eng)
    yield eng
    eng.dispose()


def items_table(metadata):
    return sa.Table(
        "sa_items",
        metadata,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("price", sa.Numeric(12, 2)),
    )


@pytest.fixture(scope="module")
def items(engine):
    """sa_items made by create_all (checkfirst: has_table says it is missing, then CREATE TABLE) with two rows."""
    metadata = sa.MetaData()
    table = items_table(metadata)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": 1, "name": "one", "price": 1.5}, {"id": 2, "name": "two", "price": 2}])
    return table


def test_connects_with_verification(engine):
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
        assert conn.connection.dbapi_connection.info.pgconn.ssl_in_use


def test_create_all_creates_the_table(engine, items):
    with engine.connect() as conn:
        rows = conn.execute(sa.select(items.c.id, items.c.name).order_by(items.c.id)).all()
    assert rows == [(1, "one"), (2, "two")]


def test_has_table_is_false_for_a_missing_table(engine, items):
    check(engine, "has_table('sa_no_such_table')", lambda: not sa.inspect(engine).has_table("sa_no_such_table"))


def test_has_table_is_true_for_an_existing_table(engine, items):
    check(engine, "has_table('sa_items')", lambda: sa.inspect(engine).has_table("sa_items"))


def test_create_all_again_leaves_the_existing_table(engine, items):
    def again():
        metadata = sa.MetaData()
        items_table(metadata)
        metadata.create_all(engine)
        return True

    check(engine, "create_all over an existing table", again)


def test_reflects_the_columns(engine, items):
    def columns():
        reflected = sa.Table("sa_items", sa.MetaData(), autoload_with=engine)
        got = [(c.name, type(c.type).__name__, c.nullable) for c in reflected.columns]
        return got == [("id", "BIGINT", False), ("name", "VARCHAR", False), ("price", "NUMERIC", True)]

    check(engine, "reflecting sa_items' columns", columns)


def test_reflects_the_primary_key(engine, items):
    check(
        engine,
        "get_pk_constraint('sa_items')",
        lambda: sa.inspect(engine).get_pk_constraint("sa_items")["constrained_columns"] == ["id"],
    )
