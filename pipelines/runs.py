"""What the crawler remembers between runs: the runs themselves, listing validators for
conditional requests, which URLs are stored, and the lock that keeps one crawl per query."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pipelines.models import Article, CrawlRun, ListingState, utcnow

logger = logging.getLogger(__name__)

# crawl_runs column ← crawl stats key
RUN_FIGURES = {
    "pages_fetched": "downloader/response_count",
    "articles_new": "newscrawl/stored/new",
    "articles_unchanged": "newscrawl/stored/unchanged",
    "clusters_new": "newscrawl/clusters/new",
    "errors": "log_count/ERROR",
}


class AlreadyRunning(RuntimeError):
    """Another crawl of the same query against the same database holds the lock."""


class CrawlLedger:
    """Reads and writes the crawler's own bookkeeping tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def stored_among(self, urls: Sequence[str]) -> set[str]:
        """The URLs of ``urls`` that an article is stored under (one query)."""
        with self.engine.connect() as connection:
            return set(connection.scalars(select(Article.url).where(Article.url.in_(set(urls)))))

    def start_run(self, query: str, sources: str | None) -> int:
        with Session(self.engine) as session, session.begin():
            run = CrawlRun(query=query, sources=sources)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, status: str, stats: Mapping[str, Any]) -> None:
        figures = {column: int(stats.get(key) or 0) for column, key in RUN_FIGURES.items()}
        grown = sum(v for k, v in stats.items() if k.startswith("newscrawl/grouped/"))
        with self.engine.begin() as connection:
            connection.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id)
                .values(status=status, finished_at=utcnow(), clusters_grown=grown, **figures)
            )

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified a listing last answered with."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(ListingState.etag, ListingState.last_modified).where(ListingState.url == url)
            ).first()
        return (row.etag, row.last_modified) if row else (None, None)

    def remember_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Upsert a listing's validators."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        values = {"url": url, "etag": etag, "last_modified": last_modified, "checked_at": utcnow()}
        statement = dialect.insert(ListingState).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[ListingState.url],
            set_={k: statement.excluded[k] for k in ("etag", "last_modified", "checked_at")},
        )
        with self.engine.begin() as connection:
            connection.execute(statement)


def _lock_key(database: str, query: str) -> int:
    digest = hashlib.sha256(f"{database}\n{query.casefold()}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _unlock(connection: Connection, statement: str, key: int, query: str) -> None:
    """Release the session lock; if the server dropped the connection, the lock went with it."""
    try:
        connection.execute(text(statement), {"k": key})
        connection.commit()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        logger.warning("the crawl lock of %r was released when its connection was lost", query)


@contextmanager
def query_lock(engine: Engine, query: str, shared: bool = False) -> Iterator[None]:
    """Hold the lock for crawling ``query`` into this database, or raise ``AlreadyRunning``.

    PostgreSQL: a session advisory lock (good across machines). Otherwise a lock file in the
    temporary directory (one machine, as SQLite is). ``shared`` (PostgreSQL only): the workers
    of a distributed crawl hold the lock together; a single-process crawl of the query is
    refused while any of them holds it, and they are while it does.
    """
    key = _lock_key(engine.url.render_as_string(hide_password=True), query)
    if engine.dialect.name == "postgresql":
        suffix = "_shared" if shared else ""
        with engine.connect() as connection:
            taken = connection.scalar(text(f"select pg_try_advisory_lock{suffix}(:k)"), {"k": key})
            if not taken:
                raise AlreadyRunning(f"a crawl of {query!r} is already running on this database")
            try:
                yield
            finally:
                _unlock(connection, f"select pg_advisory_unlock{suffix}(:k)", key, query)
        return
    if shared:
        raise ValueError("a shared crawl lock needs PostgreSQL")
    directory = Path(tempfile.gettempdir()) / "newscrawl-locks"
    directory.mkdir(exist_ok=True)
    lock = FileLock(directory / f"{key & 0xFFFFFFFFFFFF:x}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise AlreadyRunning(f"a crawl of {query!r} is already running on this database") from None
    try:
        yield
    finally:
        lock.release()
