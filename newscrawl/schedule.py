"""``newscrawl schedule``: run the topic crawl again and again, each run a fresh process.

Each run is ``scrapy crawl topic`` in a subprocess (Twisted's reactor cannot restart in one
process), so a crash in one run does not end the schedule. The crawl itself holds the query's
lock, so a run that overlaps a still-running one (or a cron job on the same query) stops at once.
Runs start on the interval's boundaries (``--every 1h`` → on the hour), like a timer would.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from newscrawl.arguments import parse_interval

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def next_start(now: datetime, every: timedelta) -> datetime:
    """The next boundary of ``every`` after ``now`` (counted from the Unix epoch, in UTC)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    periods = (now - epoch) // every + 1
    return epoch + periods * every


def crawl_command(args: argparse.Namespace) -> list[str]:
    """The ``scrapy crawl topic`` command line one scheduled run executes."""
    command = [sys.executable, "-m", "scrapy", "crawl", "topic", "-a", f"query={args.query}"]
    for name in ("sources", "since", "max_pages"):
        value = getattr(args, name)
        if value:
            command += ["-a", f"{name}={value}"]
    if args.db:
        from newscrawl.cli import database_url

        command += ["-s", f"DATABASE_URL={database_url(args.db)}"]
    for setting in args.set or []:
        command += ["-s", setting]
    return command


def run_schedule(args: argparse.Namespace, out: TextIO) -> int:
    """Run crawls on every boundary of ``--every`` until interrupted (or ``--runs`` are done)."""
    every = parse_interval(args.every)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runs = 0
    while not stop.is_set():
        started = datetime.now(UTC)
        out.write(f"{started:%Y-%m-%d %H:%M:%S}Z crawling {args.query!r}\n")
        out.flush()
        result = subprocess.run(crawl_command(args), cwd=PROJECT_ROOT)
        runs += 1
        out.write(f"  run {runs} ended with exit code {result.returncode}\n")
        out.flush()
        if args.runs and runs >= args.runs:
            break
        wait = (next_start(datetime.now(UTC), every) - datetime.now(UTC)).total_seconds()
        try:
            stop.wait(max(wait, 0))
        except KeyboardInterrupt:
            break
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``newscrawl schedule``."""
    schedule = commands.add_parser("schedule", help="crawl a query again on every interval")
    schedule.add_argument("--every", required=True, help="30m, 1h, 1d …")
    schedule.add_argument("--query", required=True)
    schedule.add_argument("--sources", help="source names or types, comma-separated")
    schedule.add_argument("--since", help="ISO date or age such as 7d")
    schedule.add_argument("--max-pages", dest="max_pages")
    schedule.add_argument("--db", help="SQLite path or database URL (default: DATABASE_URL)")
    schedule.add_argument("--runs", type=int, help="stop after this many runs")
    schedule.add_argument("--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
    schedule.set_defaults(run=run_schedule)
