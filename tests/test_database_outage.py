"""The database going away mid-crawl: PostgreSQL's connections cut (a TCP proxy in front of the
server, closed for a few seconds), SQLite write-locked by another connection. The crawl pauses
and retries, or gives up and closes; what was stored before stays intact, nothing is stored
twice, and a second crawl reaches the uninterrupted result."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from newscrawl.demo.site import DemoSite, RunningSite, serve
from newscrawl.sources import sources_toml
from pipelines.database import open_database
from pipelines.models import Article, ListingState
from tests.crawling import ROOT, assert_intact, partition, topic_crawl_command

OUTAGE_SECONDS = 4.0
RETRYING = {"STORE_RETRY_TIMES": "8", "STORE_RETRY_BACKOFF": "0.5", "STORE_BATCH_SECONDS": "0.5"}


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target``; ``cut`` drops every connection and refuses new
    ones until ``restore``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self._serve()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while listener.fileno() != -1:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.listener.close()
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self._serve()


@pytest.fixture(scope="module")
def site() -> Iterator[RunningSite]:
    with serve(DemoSite()) as running:
        yield running


@pytest.fixture(scope="module")
def sources_file(site: RunningSite, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outage") / "sources.toml"
    path.write_text(sources_toml(DemoSite().sources(site.base_url)), "utf-8")
    return path


@pytest.fixture(scope="module")
def reference(sources_file: Path) -> tuple[int, set[frozenset[str]]]:
    """What an uninterrupted crawl of the demo site stores."""
    url = f"sqlite:///{sources_file.parent / 'reference.db'}"
    done = subprocess.run(crawl(url, sources_file), cwd=ROOT, timeout=300, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return partition(url)


def crawl(db_url: str, sources_file: Path, **settings: str) -> list[str]:
    return topic_crawl_command(
        db_url, sources_file, DOWNLOAD_DELAY="0.25", LOG_LEVEL="INFO", **settings
    )


def stored_rows(db_url: str) -> dict[str, tuple[int, str]]:
    """Each stored URL's id and text hash."""
    engine = open_database(db_url)
    with Session(engine) as session:
        rows = session.execute(select(Article.url, Article.id, Article.text_sha256)).all()
    engine.dispose()
    return {row.url: (row.id, row.text_sha256) for row in rows}


def wait_for_articles(db_url: str, process: subprocess.Popen, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while len(stored_rows(db_url)) < at_least:
        assert process.poll() is None, "the crawl ended before the fault"
        assert time.monotonic() < deadline, "the crawl stored nothing in two minutes"
        time.sleep(0.2)


def run_with_fault(
    command: list[str], db_url: str, log: Path, fault: object
) -> tuple[dict[str, tuple[int, str]], str]:
    """Start the crawl, let it store a few articles, apply ``fault``, wait for the end; the rows
    stored before the fault and the crawl's log."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_articles(db_url, process, at_least=3)
            before = stored_rows(db_url)
            fault()  # type: ignore[operator]
            assert process.wait(timeout=300) == 0
        finally:
            if process.poll() is None:
                process.kill()
    return before, log.read_text("utf-8")


def assert_kept(before: dict[str, tuple[int, str]], db_url: str) -> None:
    """Every row stored before the fault is still there, unchanged; texts rebuild; no URL twice."""
    after = stored_rows(db_url)
    assert {url: after.get(url) for url in before} == before
    assert_intact(db_url)


def stat(log: str, name: str) -> int:
    """A counter from the crawl's closing stats dump (0 when absent)."""
    for line in log.splitlines():
        if f"'newscrawl/{name}':" in line:
            return int(line.split(":")[-1].strip(" ,}"))
    return 0


def test_postgres_connections_cut_mid_crawl_pause_the_crawl_until_they_return(
    postgres_url: str, sources_file: Path, reference, tmp_path: Path
) -> None:
    direct = make_url(postgres_url)
    proxy = TcpProxy((direct.host or "127.0.0.1", direct.port or 5432))
    proxied = direct.set(port=proxy.port, password="s3cret-word").render_as_string(
        hide_password=False
    )
    open_database(postgres_url).dispose()  # migrated before the crawl, through no proxy

    def outage() -> None:
        proxy.cut()
        time.sleep(OUTAGE_SECONDS)
        proxy.restore()

    before, log = run_with_fault(
        crawl(proxied, sources_file, **RETRYING), postgres_url, tmp_path / "crawl.log", outage
    )
    assert "is unavailable (" in log and "the crawl is paused meanwhile" in log
    assert "is back: a batch was stored after" in log
    assert f"postgres:***@127.0.0.1:{proxy.port}/" in log
    assert "s3cret-word" not in log
    assert stat(log, "store/retries") >= 1 and stat(log, "store/failed") == 0
    assert "'finish_reason': 'finished'" in log
    assert_kept(before, postgres_url)

    again = subprocess.run(crawl(proxied, sources_file), cwd=ROOT, timeout=300)
    assert again.returncode == 0
    assert_kept(before, postgres_url)
    assert partition(postgres_url) == reference
    proxy.cut()


def hold_write_lock(db_url: str, seconds: float) -> None:
    """Another connection holds SQLite's write lock for ``seconds``."""
    connection = sqlite3.connect(make_url(db_url).database, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    connection.execute("ROLLBACK")
    connection.close()


def test_sqlite_locked_longer_than_its_busy_timeout_pauses_the_crawl_until_released(
    sources_file: Path, reference, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'locked.db'}"
    command = crawl(db_url, sources_file, DATABASE_SQLITE_BUSY_TIMEOUT="0.5", **RETRYING)
    before, log = run_with_fault(
        command, db_url, tmp_path / "crawl.log", lambda: hold_write_lock(db_url, OUTAGE_SECONDS)
    )
    assert "is unavailable (database is locked)" in log
    assert "is back: a batch was stored after" in log
    assert stat(log, "store/retries") >= 1 and stat(log, "store/failed") == 0
    assert "'finish_reason': 'finished'" in log
    assert_kept(before, db_url)
    assert partition(db_url) == reference  # nothing was lost: no second crawl needed


def test_sqlite_locked_past_every_retry_closes_the_crawl_and_the_next_one_completes(
    sources_file: Path, reference, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'locked.db'}"
    command = crawl(
        db_url,
        sources_file,
        DATABASE_SQLITE_BUSY_TIMEOUT="0.5",
        STORE_RETRY_TIMES="2",
        STORE_RETRY_BACKOFF="0.5",
        STORE_BATCH_SECONDS="0.5",
    )
    before, log = run_with_fault(
        command, db_url, tmp_path / "crawl.log", lambda: hold_write_lock(db_url, 12.0)
    )
    assert "is still unavailable after 2 retries (database is locked)" in log
    assert "not stored, the next crawl fetches them again; closing the crawl" in log
    assert "'finish_reason': 'database_unavailable'" in log
    assert stat(log, "store/failed") >= 1
    assert_kept(before, db_url)
    assert len(stored_rows(db_url)) < reference[0]
    engine = open_database(db_url)
    with Session(engine) as session:
        assert session.scalars(select(ListingState)).all() == []  # listings read in full next time
    engine.dispose()

    again = subprocess.run(crawl(db_url, sources_file), cwd=ROOT, timeout=300)
    assert again.returncode == 0
    assert_kept(before, db_url)
    assert partition(db_url) == reference
