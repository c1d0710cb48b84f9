"""Every speed and memory table in turn: ``python -m benchmarks [--quick] [--only NAME]``.

1. ``pipeline``: crawl → extract → fingerprint → group → store pages/s against bare trafilatura;
2. ``grouping``: grouping articles/s, same-language and cross-language, embedding calls;
3. ``index``: the grouping index at 10k–1M articles against datasketch's ``MinHashLSH``;
4. ``store``: articles/s stored on SQLite and PostgreSQL, batched against one commit per article.

``--quick`` runs each at smoke size (seconds; CI runs it so the benchmarks never rot). The full
size takes a while and is what the figures in the README and the notes quote.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

TABLES = {
    "pipeline": "benchmarks.bench_pipeline",
    "grouping": "benchmarks.bench_grouping",
    "index": "benchmarks.bench_index",
    "store": "benchmarks.bench_store",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="smoke size: seconds, not minutes")
    parser.add_argument("--only", choices=TABLES, action="append", help="run only these tables")
    args = parser.parse_args(argv)
    for name in args.only or TABLES:
        start = time.perf_counter()
        table = importlib.import_module(TABLES[name]).table(quick=args.quick)
        print(table.render())
        print(f"({name}: {time.perf_counter() - start:.0f} s)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
