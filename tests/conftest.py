"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and the demo site."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from newscrawl.demo.site import DemoSite, RunningSite, serve
from pipelines.database import safe_url, temporary_database

POSTGRES_ENV = "NEWSCRAWL_TEST_POSTGRES_URL"
REDIS_ENV = "NEWSCRAWL_TEST_REDIS_URL"
REQUIRE_ENV = "NEWSCRAWL_REQUIRE_SERVICES"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def service_unavailable(reason: str) -> None:
    """Skip, or fail when the run requires its services (CI sets NEWSCRAWL_REQUIRE_SERVICES)."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so this must not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server URL from NEWSCRAWL_TEST_POSTGRES_URL, checked to answer."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        service_unavailable(f"{POSTGRES_ENV} is not set; PostgreSQL tests need a server")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except OperationalError as error:
        service_unavailable(f"PostgreSQL at {safe_url(url)} does not answer: {error.orig}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The Redis server URL from NEWSCRAWL_TEST_REDIS_URL (use a spare database number, such as
    ``redis://127.0.0.1:6379/15``), checked to answer. Tests delete the keys they make."""
    url = os.environ.get(REDIS_ENV)
    if not url:
        service_unavailable(f"{REDIS_ENV} is not set; distributed-crawl tests need Redis")
    try:
        import redis
    except ImportError:
        service_unavailable("the redis package is missing: pip install 'newscrawl[distributed]'")
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        service_unavailable(f"Redis at {url} does not answer: {error}")
    finally:
        client.close()
    return url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with temporary_database(postgres_server, "newscrawl_test") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'newscrawl.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newscrawl.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def demo_site() -> Iterator[RunningSite]:
    """The offline demo site served on 127.0.0.1 for one test."""
    with serve(DemoSite()) as running:
        yield running


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests that read it skip in a clone without it."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"evaluation data not found at {data} (it sits beside the project in CI)")
    return data
