"""One table format for every benchmark that ``python -m benchmarks`` prints.

A benchmark module exposes ``table(quick: bool) -> Table``: ``quick`` is the CI smoke size
(seconds, tiny inputs); the full size is what the closing figures quote. Figures are medians of
several runs, each shown beside the reference it is measured against in the same run.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Table:
    """A titled table: a header row, rows of cells and notes printed under it."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)

    def render(self) -> str:
        """The table as GitHub-flavoured Markdown, which reads as plain text too."""
        cells = [[_cell(c) for c in row] for row in self.rows]
        widths = [
            max([len(str(name))] + [len(row[i]) for row in cells])
            for i, name in enumerate(self.columns)
        ]
        lines = [f"### {self.title}", ""]
        lines.append(
            "| "
            + " | ".join(str(c).ljust(w) for c, w in zip(self.columns, widths, strict=True))
            + " |"
        )
        lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        lines += [
            "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
            for row in cells
        ]
        lines += [""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value == 0 or abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(value: float, reference: float) -> str:
    """``value`` against ``reference`` as ``1.23×``."""
    return f"{value / reference:.2f}×" if reference else "n/a"


def median_of(runs: int, measure: Callable[[], float]) -> float:
    """The median of ``runs`` calls of ``measure`` (each returns one figure)."""
    return statistics.median(measure() for _ in range(max(runs, 1)))


def timed(action: Callable[[], object]) -> float:
    """Seconds that ``action`` took on the wall clock."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


@contextmanager
def one_core() -> Iterator[None]:
    """Run the block pinned to one CPU (where the platform allows), then unpin."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)
