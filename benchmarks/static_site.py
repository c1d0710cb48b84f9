"""A folder of pages and an RSS feed listing them, served on 127.0.0.1 by a child process.

The pipeline benchmark crawls such a site in its own process; serving it from another process
keeps the server's CPU time out of the crawl's.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import escape

FEED = "feed.xml"


@dataclass(frozen=True)
class SitePage:
    """One page of the site: its file name and body."""

    name: str
    body: bytes


def write_site(root: Path, base_url: str, pages: Sequence[SitePage], title: str) -> str:
    """Write ``pages`` into ``root`` (served at ``base_url``) with an RSS feed whose entries are
    titled ``{title} {number}``, so that a topic crawl for ``title`` wants them all; returns the
    feed's URL."""
    start = datetime(2025, 6, 1, 6, tzinfo=UTC)
    items = []
    for number, page in enumerate(pages):
        (root / page.name).write_bytes(page.body)
        published = format_datetime(start + timedelta(minutes=number))
        items.append(
            f"<item><title>{escape(title)} {number}</title><link>{base_url}/{escape(page.name)}"
            f"</link><pubDate>{published}</pubDate></item>"
        )
    channel = f"<channel><title>{escape(title)}</title>{''.join(items)}</channel>"
    (root / FEED).write_text(f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>')
    return f"{base_url}/{FEED}"


class ServedFolder:
    """``python -m http.server`` on 127.0.0.1 over ``root`` (created if missing), in a child
    process; files written into ``root`` later are served too."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> ServedFolder:
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"],
            cwd=self.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 41234 (…) ..."
        port = line.split(" port ", 1)[1].split()[0]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
