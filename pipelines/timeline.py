"""How a story spread: a chart of a cluster's members over time, by outlet and language.

Above, one lane per outlet (in the order they published), a marker per article: its colour is
its language, its shape how it joined the cluster, its label the hours after the representative.
Below, the running count of articles, in all and per language. Written as PNG, SVG, or a
self-contained HTML page (the SVG inline, then a table of the members). Needs matplotlib
(``pip install newscrawl[analysts]``).
"""

from __future__ import annotations

import html
import io
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.clusters import (
    ClusterView,
    MemberView,
    format_hours,
    format_span,
    format_time,
    plural,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = (".png", ".svg", ".html")
KIND_MARKERS = {"original": "*", "exact": "s", "near_duplicate": "o", "translation": "D"}
KIND_LABELS = {
    "original": "original (representative)",
    "exact": "exact copy",
    "near_duplicate": "near duplicate (rewrite)",
    "translation": "translation",
}
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)


_DRAWING = threading.Lock()  # rc_context changes matplotlib's global settings


class TimelineUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _new_figure(**options) -> Figure:
    """A figure outside pyplot's global state (so that server threads can draw at once)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise TimelineUnavailable(
            "timelines need matplotlib: pip install 'newscrawl[analysts]'"
        ) from error
    return Figure(**options)


def _short(text: str | None, limit: int) -> str:
    text = " ".join((text or "(untitled)").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def language_colours(cluster: ClusterView) -> dict[str, str]:
    languages = [m.language or "?" for m in cluster.members]
    ordered = list(dict.fromkeys(languages))  # the representative's language first
    return {lang: PALETTE[i % len(PALETTE)] for i, lang in enumerate(ordered)}


def _dated(cluster: ClusterView) -> list[MemberView]:
    return sorted((m for m in cluster.members if m.published), key=lambda m: (m.published, m.id))


def figure(cluster: ClusterView) -> Figure:
    """The chart as a matplotlib figure."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.lines import Line2D

    dated = _dated(cluster)
    lanes = list(dict.fromkeys((m.outlet or "?") for m in dated)) or ["(no dated article)"]
    fig = _new_figure(figsize=(12, 4.8 + 0.55 * len(lanes)), layout="constrained")
    colours = language_colours(cluster)
    representative = cluster.representative
    origin = representative.published if representative else None

    top, bottom = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [max(len(lanes), 2), 2.2]}
    )
    title = _short(cluster.title, 95)
    span = format_span(cluster.first_seen, cluster.last_seen) + " UTC"
    languages = ", ".join(cluster.languages) or "?"
    fig.suptitle(
        f"Cluster {cluster.id}: {title}\n{plural(cluster.size, 'article')} · "
        f"{plural(len(cluster.outlets), 'outlet')} · {languages} · {span}",
        fontsize=12,
        x=0.01,
        horizontalalignment="left",
    )

    for member in dated:
        lane = lanes.index(member.outlet or "?")
        is_rep = member.id == cluster.representative_id
        top.scatter(
            member.published,
            lane,
            s=320 if is_rep else 130,
            marker=KIND_MARKERS.get(member.match_kind, "o"),
            color=colours[member.language or "?"],
            edgecolors="black",
            linewidths=1.4 if is_rep else 0.6,
            zorder=3,
        )
        offset = member.hours_after(origin)
        label = f"{member.language or '?'} · {'original' if is_rep else format_hours(offset)}"
        top.annotate(
            label,
            (member.published, lane),
            xytext=(10, 7),
            textcoords="offset points",
            fontsize=9,
            color="#333333",
        )
    if origin:
        top.axvline(origin, color="#888888", linestyle="--", linewidth=1, zorder=1)
    top.set_yticks(range(len(lanes)), [_short(lane, 32) for lane in lanes])
    top.set_ylim(len(lanes) - 0.4, -0.6)
    top.grid(axis="x", color="#dddddd", linewidth=0.8)
    top.set_axisbelow(True)
    top.set_title(
        "who published when (marker colour: language; shape: how it matched)", fontsize=10
    )

    times = [m.published for m in dated]
    if times:
        start, end = min(times), max(times)
        pad = max((end - start) * 0.08, timedelta(hours=1))
        top.set_xlim(start - pad, end + pad * 2.5)
        right = end + pad * 2.5
        _running_counts(bottom, dated, colours, right)
    bottom.set_ylabel("articles so far")
    bottom.grid(color="#dddddd", linewidth=0.8)
    bottom.set_axisbelow(True)
    locator = AutoDateLocator()
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    bottom.set_xlabel("publication time (UTC)")

    kinds = list(dict.fromkeys(m.match_kind for m in cluster.members))
    handles = [
        Line2D([], [], linestyle="", marker="o", markersize=9, color=colour, label=lang)
        for lang, colour in colours.items()
    ] + [
        Line2D(
            [],
            [],
            linestyle="",
            marker=KIND_MARKERS.get(kind, "o"),
            markersize=9,
            color="white",
            markeredgecolor="black",
            label=KIND_LABELS.get(kind, kind),
        )
        for kind in kinds
    ]
    top.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    undated = cluster.size - len(dated)
    if undated:
        fig.text(0.01, 0.005, f"{undated} article(s) without a publication date are not shown.")
    return fig


def _running_counts(axis, dated: Sequence[MemberView], colours: dict[str, str], right) -> None:
    times = [m.published for m in dated]
    counts = [*range(1, len(times) + 1), len(times)]
    axis.step([*times, right], counts, where="post", color="#999999", linewidth=4, label="all")
    for language, colour in colours.items():
        mine = [m.published for m in dated if (m.language or "?") == language]
        if mine and len(colours) > 1:
            counts = [*range(1, len(mine) + 1), len(mine)]
            axis.step([*mine, right], counts, where="post", color=colour, linewidth=1.8,
                      label=language)  # fmt: skip
    axis.set_ylim(0, len(times) + 0.8)
    axis.yaxis.get_major_locator().set_params(integer=True)
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)


def render_bytes(cluster: ClusterView, kind: str) -> bytes:
    """The chart as PNG (``kind="png"``) or SVG bytes (text kept as text)."""
    fig = figure(cluster)
    import matplotlib

    buffer = io.BytesIO()
    with _DRAWING, matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format=kind, dpi=110)
    return buffer.getvalue()


def member_rows(cluster: ClusterView) -> list[dict[str, str]]:
    """The members as table cells: outlet, when, hours after the representative, language, kind,
    similarity, title and URL."""
    origin = cluster.representative.published if cluster.representative else None
    rows = []
    for member in cluster.members:
        offset = member.hours_after(origin)
        is_rep = member.id == cluster.representative_id
        rows.append(
            {
                "outlet": member.outlet or "?",
                "published": format_time(member.published),
                "after": "—" if is_rep else format_hours(offset),
                "language": member.language or "?",
                "kind": member.match_kind,
                "similarity": f"{member.similarity:.2f}",
                "title": member.title or "",
                "url": member.url,
            }
        )
    return rows


def html_page(cluster: ClusterView, generated: datetime | None = None) -> str:
    """A self-contained HTML page: the chart (inline SVG) and the members' table."""
    svg = render_bytes(cluster, "svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]  # drop the XML prologue and doctype
    head = ("outlet", "published (UTC)", "after", "language", "kind", "similarity", "title")
    cells = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(row[key])}</td>"
            for key in ("outlet", "published", "after", "language", "kind", "similarity")
        )
        + f'<td><a href="{html.escape(row["url"])}">{html.escape(row["title"])}</a></td></tr>'
        for row in member_rows(cluster)
    )
    stamp = f"<p class=note>Made {generated:%Y-%m-%d %H:%M} UTC.</p>" if generated else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Cluster {cluster.id}: {html.escape(_short(cluster.title, 80))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left; }}
.note {{ color: #666; font-size: .9em; }}
</style></head><body>
<h1>Cluster {cluster.id}: {html.escape(cluster.title or "(untitled)")}</h1>
{svg}
<table><thead><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr></thead>
<tbody>{cells}</tbody></table>
{stamp}
</body></html>
"""


def write_timeline(cluster: ClusterView, output: Path) -> Path:
    """Write the chart to ``output``; its suffix (.png, .svg, .html) picks the format."""
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"timeline output must end in one of {', '.join(FORMATS)}: {output}")
    output.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        output.write_text(html_page(cluster), encoding="utf-8")
    else:
        output.write_bytes(render_bytes(cluster, suffix[1:]))
    return output
