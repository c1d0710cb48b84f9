"""Running ``scrapy crawl topic`` in a subprocess, as the end-to-end tests do."""

from __future__ import annotations

import sys
from pathlib import Path

from newscrawl.sources import sources_toml

ROOT = Path(__file__).resolve().parent.parent

# No politeness delays or retries against the local fixture sites; no periodic stats lines.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "RETRY_TIMES": "0",
    "LOGSTATS_INTERVAL": "0",
}


def write_sources(directory: Path, sources: list[dict[str, str]]) -> Path:
    """A sources file listing ``sources``, written into ``directory``."""
    path = directory / "sources.toml"
    path.write_text(sources_toml(sources), encoding="utf-8")
    return path


def topic_crawl_command(
    db_url: str, sources_file: Path, *arguments: str, **settings: str
) -> list[str]:
    """``scrapy crawl topic -a query=Kursk`` into ``db_url``, fast unless ``settings`` say."""
    values = {"DATABASE_URL": db_url, "SOURCES_FILE": str(sources_file), **FAST, **settings}
    command = [sys.executable, "-m", "scrapy", "crawl", "topic", "-a", "query=Kursk"]
    for argument in arguments:
        command += ["-a", argument]
    for name, value in values.items():
        command += ["-s", f"{name}={value}"]
    return command
