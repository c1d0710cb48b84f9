"""The options curve: extraction measured under each configuration tried, one line each.

    .venv/bin/python -m benchmarks.options_curve [--data DIR]

Each row changes settings (``-s`` overrides of ``newscrawl/settings.py``) and runs exactly what
``benchmarks.eval_extraction`` runs. The first rows add one choice at a time, from trafilatura's
defaults to the configured pipeline; the others vary one option of the configured pipeline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.eval_extraction import DEFAULT_DATA, load_pages, run_newscrawl, score_run, warm_up

PLAIN = {
    "EXTRACT_FAVOR": "balanced",
    "EXTRACT_INCLUDE_COMMENTS": "True",
    "EXTRACT_FALLBACK_FAVOR": "",
    "EXTRACT_JSON_LD_FALLBACK": "False",
    "EXTRACT_DROP_LINK_LISTS": "False",
    "EXTRACT_JOIN_SPLIT_BODY": "False",
    "EXTRACT_CLEAN_LINES": "False",
}


def _steps() -> list[tuple[str, dict[str, str]]]:
    steps = [("trafilatura defaults (balanced, comments)", dict(PLAIN))]
    added = [
        ("+ no comments", {"EXTRACT_INCLUDE_COMMENTS": "False"}),
        ("+ favor precision", {"EXTRACT_FAVOR": "precision"}),
        (
            "+ fallback balanced/JSON-LD < 500 chars",
            {"EXTRACT_FALLBACK_FAVOR": "balanced", "EXTRACT_JSON_LD_FALLBACK": "True"},
        ),
        ("+ clean title/teaser lines", {"EXTRACT_CLEAN_LINES": "True"}),
        ("+ prune link-only lists", {"EXTRACT_DROP_LINK_LISTS": "True"}),
        ("+ join split bodies (configured)", {"EXTRACT_JOIN_SPLIT_BODY": "True"}),
    ]
    current = dict(PLAIN)
    for label, change in added:
        current = {**current, **change}
        steps.append((label, dict(current)))
    return steps


VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("configured, favor balanced", {"EXTRACT_FAVOR": "balanced"}),
    ("configured, favor recall", {"EXTRACT_FAVOR": "recall"}),
    ("configured, fast", {"EXTRACT_FAST": "True"}),
    ("configured, no tables", {"EXTRACT_INCLUDE_TABLES": "False"}),
    ("configured, comments", {"EXTRACT_INCLUDE_COMMENTS": "True"}),
    ("configured, fallback recall", {"EXTRACT_FALLBACK_FAVOR": "recall"}),
    (
        "configured, no second strategy",
        {"EXTRACT_FALLBACK_FAVOR": "", "EXTRACT_JSON_LD_FALLBACK": "False"},
    ),
    *[
        (f"configured, fallback below {n} chars", {"EXTRACT_FALLBACK_BELOW_CHARS": str(n)})
        for n in (250, 300, 1000, 2000, 1_000_000)
    ],
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    pages = load_pages(args.data)
    warm_up(pages, {}, baseline=False)
    columns = ("P", "R", "F1", "empty", "pages/s", "/CPU s")
    print(f"{'configuration':48} " + " ".join(f"{c:>{7 if '/' in c else 6}}" for c in columns))
    for label, overrides in [*_steps(), *VARIANTS]:
        result = run_newscrawl(pages, overrides)
        score = score_run(pages, result)
        print(
            f"{label:48} {score.precision:6.4f} {score.recall:6.4f} {score.f1:6.4f}"
            f" {result.empties():5d} {result.pages_per_second():7.1f}"
            f" {result.pages_per_cpu_second():7.1f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
