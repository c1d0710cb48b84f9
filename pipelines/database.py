"""Opening the database: the engine, its connection settings, and the schema migrations."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from alembic import command

logger = logging.getLogger(__name__)

ALEMBIC_DIR = Path(__file__).resolve().parent.parent / "alembic"
MIGRATION_LOCK = 0x6E6577736D6967  # the advisory lock key that migrations hold on PostgreSQL
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a SQLite statement waits for another connection's lock


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message says which and why."""


def safe_url(url: str) -> str:
    """The URL with any password masked, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database is away for now rather than that the statement is
    wrong: a lost or refused connection, a server shutting down, SQLite's "database is locked"."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError)


def describe_error(error: BaseException, url: str) -> str:
    """The driver's first line about ``error``, with the URL's password masked if it shows."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    message = lines[0] if lines else type(cause).__name__
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    return message.replace(str(password), "***") if password else message


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    return config


def _tune_sqlite(busy_timeout: float, dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    cursor.close()
    dbapi_connection.isolation_level = None  # the driver starts no transactions of its own


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def create_db_engine(url: str, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout (seconds). Pooled
    connections are pinged before use, so one the server dropped is replaced."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise DatabaseError(f"not a database URL: {safe_url(url)}") from error
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", partial(_tune_sqlite, busy_timeout))
        # Transactions that cover DDL too (SQLAlchemy's recipe for pysqlite), so a migration
        # killed half-way leaves nothing behind.
        event.listen(engine, "begin", _begin_sqlite)
    return engine


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (``None`` for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def head_revision() -> str:
    """The newest schema revision this code knows (its scripts are read once per process)."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (no-op when it is there already).

    On PostgreSQL the migration holds a transaction advisory lock, so that workers starting
    together on a new (or older) database migrate it once, one after the other."""
    if current_revision(engine) == head_revision():
        return
    config = _alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("select pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
            if MigrationContext.configure(connection).get_current_revision() == head_revision():
                return  # another process migrated it while this one waited
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    logger.info("database %s migrated to %s", safe_url(str(engine.url)), head_revision())


def open_database(url: str, busy_timeout: float = SQLITE_BUSY_TIMEOUT) -> Engine:
    """Connect to ``url`` and migrate it; raise ``DatabaseError`` with a clear reason on failure."""
    engine = create_db_engine(url, busy_timeout)
    try:
        upgrade(engine)
    except OperationalError as error:
        engine.dispose()
        raise DatabaseError(
            f"cannot open database {safe_url(url)}: {error.orig or error}"
        ) from error
    return engine


def has_schema(engine: Engine) -> bool:
    """True when the tables exist."""
    return inspect(engine).has_table("articles")


@contextmanager
def temporary_database(server_url: str, prefix: str) -> Iterator[str]:
    """A fresh, empty database on the PostgreSQL server at ``server_url``, dropped afterwards
    (tests and benchmarks use one each)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
