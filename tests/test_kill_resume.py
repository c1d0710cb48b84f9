"""A crawl killed outright (SIGKILL) at any moment and run again loses nothing and duplicates
nothing: the result equals an uninterrupted crawl."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from newscrawl.demo.site import DemoSite
from newscrawl.sources import sources_toml
from pipelines.database import open_database
from pipelines.models import CrawlRun
from tests.crawling import ROOT, assert_intact, partition, topic_crawl_command

KILL_AFTER_SECONDS = (3.0, 5.0, 7.0)


def crawl_command(db_url: str, sources_file: Path) -> list[str]:
    return topic_crawl_command(
        db_url,
        sources_file,
        DOWNLOAD_DELAY="0.25",  # slow enough for the kills to land mid-crawl
        CONCURRENT_REQUESTS_PER_DOMAIN="2",
        LOG_LEVEL="WARNING",
    )


def test_killed_crawls_resume_to_the_uninterrupted_result(tmp_path: Path, demo_site) -> None:
    sources_file = tmp_path / "sources.toml"
    sources_file.write_text(sources_toml(DemoSite().sources(demo_site.base_url)), "utf-8")

    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    done = subprocess.run(crawl_command(reference, sources_file), cwd=ROOT, timeout=300)
    assert done.returncode == 0
    expected = partition(reference)
    assert expected[0] >= 10

    killed = f"sqlite:///{tmp_path / 'killed.db'}"
    progress = []
    for delay in KILL_AFTER_SECONDS:
        process = subprocess.Popen(
            crawl_command(killed, sources_file),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert_intact(killed)
        progress.append(partition(killed)[0])
    assert progress[0] < expected[0], "the first kill came too late to test anything"

    done = subprocess.run(crawl_command(killed, sources_file), cwd=ROOT, timeout=300)
    assert done.returncode == 0
    assert_intact(killed)
    assert partition(killed) == expected

    engine = open_database(killed)
    with Session(engine) as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    engine.dispose()
    # A run killed before its spider opened has no row; one killed later keeps "running".
    assert 1 < len(runs) <= len(KILL_AFTER_SECONDS) + 1
    assert {run.status for run in runs[:-1]} == {"running"}
    assert runs[-1].status == "finished" and runs[-1].finished_at is not None
