"""Scheduling: intervals, run boundaries, the command each run executes, and the query lock."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.arguments import ArgumentError, parse_interval
from newscrawl.cli import main
from newscrawl.demo.site import DemoSite
from newscrawl.schedule import crawl_command, next_start, run_schedule
from newscrawl.sources import sources_toml
from pipelines.clusters import list_clusters
from pipelines.database import open_database
from pipelines.runs import AlreadyRunning, query_lock


@pytest.mark.parametrize(
    ("text", "interval"),
    [("30m", timedelta(minutes=30)), ("1h", timedelta(hours=1)), ("2d", timedelta(days=2))],
)
def test_intervals(text: str, interval: timedelta) -> None:
    assert parse_interval(text) == interval


@pytest.mark.parametrize("text", ["0m", "hourly", "", "5s"])
def test_bad_intervals_say_what_is_wrong(text: str) -> None:
    with pytest.raises(ArgumentError, match="every="):
        parse_interval(text)


def test_runs_start_on_the_boundaries_of_the_interval() -> None:
    now = datetime(2025, 4, 28, 9, 17, 3, tzinfo=UTC)
    assert next_start(now, timedelta(hours=1)) == datetime(2025, 4, 28, 10, tzinfo=UTC)
    assert next_start(now, timedelta(minutes=15)) == datetime(2025, 4, 28, 9, 30, tzinfo=UTC)
    on_the_hour = datetime(2025, 4, 28, 10, tzinfo=UTC)
    assert next_start(on_the_hour, timedelta(hours=1)) == datetime(2025, 4, 28, 11, tzinfo=UTC)


def schedule_args(**values: object) -> argparse.Namespace:
    defaults = {"every": "1h", "query": "Kursk", "sources": None, "since": None}
    defaults |= {"max_pages": None, "db": None, "runs": None, "set": None}
    return argparse.Namespace(**(defaults | values))


def test_each_run_is_a_scrapy_crawl_with_the_arguments_given(tmp_path: Path) -> None:
    command = crawl_command(
        schedule_args(
            sources="gdelt", since="7d", db=str(tmp_path / "n.db"), set=["LOG_LEVEL=INFO"]
        )
    )
    assert command[1:6] == ["-m", "scrapy", "crawl", "topic", "-a"]
    assert "query=Kursk" in command and "sources=gdelt" in command and "since=7d" in command
    assert f"DATABASE_URL=sqlite:///{tmp_path / 'n.db'}" in command
    assert command[-2:] == ["-s", "LOG_LEVEL=INFO"]


def test_a_scheduled_run_crawls(tmp_path: Path, demo_site) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(sources_toml(DemoSite().sources(demo_site.base_url)), "utf-8")
    settings = [f"SOURCES_FILE={sources}", "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"]
    out = io.StringIO()
    db = tmp_path / "scheduled.db"
    assert run_schedule(schedule_args(every="1m", db=str(db), runs=1, set=settings), out) == 0
    assert "run 1 ended with exit code 0" in out.getvalue()
    engine = open_database(f"sqlite:///{db}")
    assert any(len(c.members) >= 4 for c in list_clusters(engine))
    engine.dispose()


def test_one_crawl_per_query_and_database_at_a_time(database_url: str) -> None:
    engine = open_database(database_url)
    other = open_database(database_url)
    with query_lock(engine, "Kursk"):
        with pytest.raises(AlreadyRunning, match="already running"), query_lock(other, "kursk"):
            pass
        with query_lock(other, "Belgorod"):  # another query may run meanwhile
            pass
    with query_lock(other, "Kursk"):  # free again once the first is done
        pass
    engine.dispose()
    other.dispose()


def test_the_schedule_command_refuses_a_bad_interval(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--every", "5s", "--query", "Kursk"]) == 2
    assert "every='5s' is not an interval" in capsys.readouterr().err
