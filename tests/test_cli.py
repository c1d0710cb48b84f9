"""The ``newscrawl`` command: extract, group and clusters, including bad input."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl.cli import database_url, main
from pipelines.database import open_database
from pipelines.extract import ExtractedArticle
from pipelines.group import GroupingConfig, make_document
from pipelines.store import ArticleStore, NewArticle

ARTICLE = """<html><head><meta charset="utf-8"><title>Kursk plant drone strike</title>
<link rel="canonical" href="https://ledger.example/kursk-plant"></head><body>
<nav>Home | World | Sport</nav>
<article><h1>Drone strikes building at Kursk nuclear plant</h1>
<p>A drone struck an auxiliary building at the Kursk nuclear power plant overnight and set its
roof on fire, the operator said on Saturday morning in a short statement.</p>
<p>Radiation levels at the site and in the nearby town of Kurchatov remained normal, and nobody
was injured. The fire was put out within forty minutes by the plant's own crew.</p>
<p>Two power units kept working at reduced output while engineers inspected the site.</p>
</article><footer>Read also: other news</footer></body></html>"""

STORY = (
    "The city council of Millbrook approved a budget of 48 million for next year on Tuesday, "
    "with more money for bus routes, two new libraries and road repairs in the old town. "
    "Councillors argued for three hours about the cost of the new tram depot before the vote."
)
OTHER = (
    "Riverside won the cup final on penalties after a goalless draw, their first trophy in "
    "twenty years. The goalkeeper saved two kicks and the captain scored the winner in front "
    "of forty thousand fans who stayed in the stadium long after the final whistle."
)


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def test_extract_reads_html_and_gzip_and_reports_pages_without_article(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(ARTICLE.encode("utf-8")))
    (tmp_path / "c.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)
    (tmp_path / "notes.txt").write_text("not an html file", encoding="utf-8")

    code, out = run("extract", str(tmp_path))
    records = [json.loads(line) for line in out.splitlines()]

    assert code == 0
    assert [Path(r["file"]).name for r in records] == ["a.html", "b.html.gz", "c.html"]
    for record in records[:2]:
        assert record["title"] == "Drone strikes building at Kursk nuclear plant"
        assert "Kurchatov remained normal" in record["text"]
        assert "Read also" not in record["text"] and "Home | World" not in record["text"]
        assert record["language"] == "en"
        assert record["canonical_url"] == "https://ledger.example/kursk-plant"
    assert records[2]["error"] == "binary"


def test_extract_missing_path_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code, _ = run("extract", str(tmp_path / "nope"))
    assert code == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_group_puts_rewrites_together_and_skips_bad_lines(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "text": STORY},
        {"id": "b", "text": "Fresh Take: " + STORY.replace("Tuesday", "Tuesday evening")},
        {"id": "c", "text": OTHER},
        "not json",
        {"id": "d"},
        {"id": "e", "text": STORY.upper()},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    code, out = run("group", str(path))
    assigned = {r["id"]: r["cluster"] for r in map(json.loads, out.splitlines())}
    assert code == 0
    assert set(assigned) == {"a", "b", "c", "e"}
    assert assigned["a"] == assigned["b"] == assigned["e"] != assigned["c"]


def test_group_gives_the_embedding_model_the_threads_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []
    monkeypatch.setattr(
        "newscrawl.cli.load_embedder", lambda spec, threads: asked.append(threads) or None
    )
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "text": STORY}) + "\n", encoding="utf-8")
    assert run("group", str(path))[0] == 0
    assert run("group", "--embed-threads", "2", str(path))[0] == 0
    assert asked == [1, 2]  # the GROUPING_EMBED_THREADS setting, then the option


@pytest.mark.parametrize("threads", ["0", "-1", "two", ""])
def test_group_refuses_a_thread_count_below_one(threads: str, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        run("group", "--embed-threads", threads, "in.jsonl")
    assert stopped.value.code == 2
    assert "--embed-threads" in capsys.readouterr().err


def test_clusters_lists_members_as_table_and_json(tmp_path: Path) -> None:
    url = database_url(str(tmp_path / "db.sqlite"))
    engine = open_database(url)
    store = ArticleStore(engine, GroupingConfig())
    for n, (text, when) in enumerate(
        [(STORY, datetime(2025, 5, 2, tzinfo=UTC)), (STORY + " Updated.", None), (OTHER, None)]
    ):
        article = ExtractedArticle(text, f"Title {n}", None, when, "en", f"Outlet {n}", None)
        doc = make_document(text, None, "en", GroupingConfig())
        store.add(NewArticle(f"https://o{n}.example/a", article, doc, "feed", "Millbrook"))
    engine.dispose()

    code, out = run("clusters", "--db", str(tmp_path / "db.sqlite"), "--format", "json")
    clusters = json.loads(out)
    assert code == 0
    assert [len(c["members"]) for c in clusters] == [2, 1]
    first = clusters[0]["members"][0]
    assert first["url"] == "https://o0.example/a"
    assert first["published"] == "2025-05-02T00:00:00+00:00"
    assert first["match_kind"] == "original"
    assert clusters[0]["members"][1]["match_kind"] == "near_duplicate"

    code, table = run("clusters", "--db", str(tmp_path / "db.sqlite"), "--min-size", "2")
    assert code == 0
    assert table.startswith("1 cluster ")
    assert re.search(r"│\s+1 │\s+2 │ 2025-05-02 00:00\s+│ en\s+│ Outlet 0,", table)
    assert "Title 0" in table and "Title 2" not in table

    code, none = run("clusters", "--db", str(tmp_path / "db.sqlite"), "--query", "Nothing")
    assert none.strip() == "no cluster matches"


def test_unreachable_database_exits_with_a_message(capsys) -> None:
    code, _ = run("clusters", "--db", "postgresql+psycopg://me:secret@127.0.0.1:1/none")
    err = capsys.readouterr().err
    assert code == 1
    assert "cannot open database" in err and "secret" not in err


def test_extract_on_real_pages_matches_their_ground_truth(
    shared_data: Path, tmp_path: Path
) -> None:
    zyte = shared_data / "extraction" / "zyte"
    truth = json.loads((zyte / "ground-truth.json").read_text(encoding="utf-8"))
    pages = sorted((zyte / "html").glob("*.html.gz"))[:10]
    code, out = run("extract", *map(str, pages))
    assert code == 0
    scores = []
    for record in map(json.loads, out.splitlines()):
        page_id = Path(record["file"]).name.removesuffix(".html.gz")
        expected = Counter(re.findall(r"\w+", truth[page_id]["articleBody"].lower()))
        got = Counter(re.findall(r"\w+", (record.get("text") or "").lower()))
        overlap = sum((expected & got).values())
        scores.append(2 * overlap / (sum(expected.values()) + sum(got.values())))
    assert sum(scores) / len(scores) > 0.85, scores


@pytest.mark.parametrize("db", ["x.db", "/abs/x.db", "sqlite:///y.db", "postgresql://h/d"])
def test_database_url_accepts_paths_and_urls(db: str) -> None:
    url = database_url(db)
    assert url.startswith(("sqlite:///", "postgresql://"))
    assert url.endswith(db.split("/")[-1])
