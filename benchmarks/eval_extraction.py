"""Measure newscrawl's extraction on the Zyte article-extraction benchmark.

    .venv/bin/python -m benchmarks.eval_extraction                 # settings as configured
    .venv/bin/python -m benchmarks.eval_extraction -s EXTRACT_FAVOR=balanced --baseline

Each page goes through exactly what ``newscrawl extract`` does
(``newscrawl.cli.extract_record`` with the configured ``ExtractConfig``), given the page's URL
as a crawl would. A page refused as ``NoArticle`` counts as an empty result. Printed: precision,
recall, F1 (``benchmarks.shingle_metric``), empty results, which strategy produced each text,
and pages per second (one process, reading and decoding included, after a few warm-up pages).
``--baseline`` also times and scores bare ``trafilatura.extract(with_metadata=True)`` on the
same files. The metric itself is checked against the published outputs in
``reference-outputs/`` first.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.shingle_metric import Score, evaluate

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "extraction" / "zyte"
# Published F1 of reference systems with this metric (shared/data/README.md).
PUBLISHED_F1 = {
    "trafilatura": 0.958,
    "rs_trafilatura": 0.970,
    "newspaper": 0.949,
    "news_please": 0.948,
    "readability": 0.922,
}
METRIC_TOLERANCE = 0.003
WARM_UP_PAGES = 20
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


@dataclass(frozen=True)
class BenchmarkPage:
    id: str
    url: str
    path: Path
    truth: str


@dataclass
class RunResult:
    """Texts by page id, with the strategy of each and the time spent."""

    texts: dict[str, str] = field(default_factory=dict)
    strategies: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # this process's CPU time: steadier on a busy machine

    def empties(self) -> int:
        return sum(1 for text in self.texts.values() if not text.strip())

    def pages_per_second(self) -> float:
        return len(self.texts) / self.seconds if self.seconds else 0.0

    def pages_per_cpu_second(self) -> float:
        return len(self.texts) / self.cpu_seconds if self.cpu_seconds else 0.0


def load_pages(root: Path) -> list[BenchmarkPage]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, entry in sorted(truth.items()):
        path = root / "html" / f"{page_id}.html.gz"
        pages.append(BenchmarkPage(page_id, entry.get("url", ""), path, entry["articleBody"]))
    return pages


def reference_outputs(root: Path) -> dict[str, dict[str, str]]:
    """The published outputs by system name; ``{"version", "output"}`` wrappers unwrapped."""
    found = {}
    for path in sorted((root / "reference-outputs").glob("*.json")):
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if set(data) >= {"version", "output"} and isinstance(data["output"], dict):
            data = data["output"]
        found[path.stem] = {
            key: (value.get("articleBody") if isinstance(value, dict) else value) or ""
            for key, value in data.items()
        }
    return found


def check_metric(root: Path, pages: Sequence[BenchmarkPage]) -> tuple[bool, list[str]]:
    """Score the reference outputs; trafilatura's must match its published F1."""
    truth = {page.id: page.truth for page in pages}
    lines, ok = [], True
    for name, output in reference_outputs(root).items():
        score = evaluate(truth, output)
        published = PUBLISHED_F1.get(name)
        mark = ""
        if published is not None:
            close = abs(score.f1 - published) <= METRIC_TOLERANCE
            mark = f"published {published:.3f} {'OK' if close else 'MISMATCH'}"
            if name.startswith("trafilatura"):
                ok = ok and close
        lines.append(f"  {name:15} {_figures(score)}  {mark}")
    return ok, lines


def run_newscrawl(pages: Sequence[BenchmarkPage], settings_overrides: dict[str, str]) -> RunResult:
    """The ``newscrawl extract`` logic on every page, timed."""
    from newscrawl.cli import extract_record
    from newscrawl.config import extract_config, project_settings

    settings = project_settings()
    settings.setdict(settings_overrides, priority="cmdline")
    config = extract_config(settings)
    result = RunResult()
    for page in pages:
        started, cpu = time.perf_counter(), time.process_time()
        record = extract_record(page.path, config, page.url or None)
        result.seconds += time.perf_counter() - started
        result.cpu_seconds += time.process_time() - cpu
        result.texts[page.id] = record.get("text") or ""
        result.strategies[record.get("strategy") or f"none ({record.get('error')})"] += 1
    return result


def run_baseline(pages: Sequence[BenchmarkPage]) -> RunResult:
    """Bare ``trafilatura.extract(with_metadata=True)``; its metadata header is not scored."""
    import trafilatura

    from newscrawl.cli import read_html

    result = RunResult()
    for page in pages:
        started, cpu = time.perf_counter(), time.process_time()
        output = trafilatura.extract(read_html(page.path), url=page.url or None, with_metadata=True)
        result.seconds += time.perf_counter() - started
        result.cpu_seconds += time.process_time() - cpu
        result.texts[page.id] = _FRONT_MATTER.sub("", output or "")
        result.strategies["trafilatura.extract"] += 1
    return result


def warm_up(pages: Sequence[BenchmarkPage], overrides: dict[str, str], baseline: bool) -> None:
    """Run a few pages untimed first: lazy imports and dateparser's regex caches fill once."""
    run_newscrawl(pages[:WARM_UP_PAGES], overrides)
    if baseline:
        run_baseline(pages[:WARM_UP_PAGES])


def _figures(score: Score) -> str:
    return f"P {score.precision:.4f}  R {score.recall:.4f}  F1 {score.f1:.4f}"


def score_run(pages: Sequence[BenchmarkPage], result: RunResult) -> Score:
    return evaluate({page.id: page.truth for page in pages}, result.texts)


def report(label: str, pages: Sequence[BenchmarkPage], result: RunResult) -> list[str]:
    score = score_run(pages, result)
    strategies = ", ".join(f"{name} {count}" for name, count in result.strategies.most_common())
    return [
        f"{label}: {_figures(score)}  ({score.pages} pages)",
        f"  empty results: {result.empties()}",
        f"  strategies: {strategies}",
        f"  speed: {result.pages_per_second():.1f} pages/s ({result.seconds:.1f} s wall clock),"
        f" {result.pages_per_cpu_second():.1f} pages per CPU second",
    ]


def parse_overrides(values: Sequence[str]) -> dict[str, str]:
    overrides = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.strip():
            raise SystemExit(f"-s wants NAME=VALUE, not {value!r}")
        overrides[name.strip()] = setting
    return overrides


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the zyte folder")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--baseline", action="store_true", help="also bare trafilatura.extract")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").is_file():
        print(f"no benchmark data at {args.data}", file=sys.stderr)
        return 2
    pages = load_pages(args.data)
    ok, lines = check_metric(args.data, pages)
    print("metric check (reference outputs, all pages):")
    print("\n".join(lines))
    if not ok:
        print("metric check FAILED: trafilatura's reference output does not score as published")
        return 1
    pages = pages[: args.limit] if args.limit else pages
    overrides = parse_overrides(args.set)
    warm_up(pages, overrides, args.baseline)
    print("\n".join(report("newscrawl", pages, run_newscrawl(pages, overrides))))
    if args.baseline:
        print("\n".join(report("bare trafilatura", pages, run_baseline(pages))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
