"""What analysts do with a clustered database, on the demo crawl stored in SQLite and PostgreSQL:
list, show, search, export, chart, query the SQL views, browse — each answering the Kursk story
right: the Russian original of Вестник Сегодня leads it, the English rewrites of The Northern
Ledger, Metro Herald and Daily Pulse Wire translate it, and the other Kursk stories stay apart.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from newscrawl.cli import database_url, main
from pipelines.database import open_database
from tests.conftest import POSTGRES_ENV, service_unavailable

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL_OUTLET = "Вестник Сегодня"
REWRITE_OUTLETS = {"The Northern Ledger", "Metro Herald", "Daily Pulse Wire"}
CHROMIUM = os.environ.get("NEWSCRAWL_CHROMIUM") or "/usr/bin/chromium"


# --- the demo databases, built once per session (both crawls run at once) -----------------------


@dataclass
class DemoBuild:
    url: str
    process: subprocess.Popen
    log: Path

    def ready(self) -> str:
        try:
            code = self.process.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"newscrawl demo did not finish: {self.log.read_text()[-3000:]}")
        if code != 0:
            pytest.fail(f"newscrawl demo failed ({code}): {self.log.read_text()[-3000:]}")
        return self.url


def _start_demo(url: str, log: Path) -> DemoBuild:
    command = [sys.executable, "-m", "newscrawl.cli", "demo", "--db", url]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    return DemoBuild(url, process, log)


def _fresh_postgres_database() -> tuple[str, str] | None:
    """(server URL, URL of a new database) when the test server answers, else None."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        return None
    name = f"newscrawl_demo_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        return None
    finally:
        admin.dispose()
    return server, make_url(server).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def demo_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DemoBuild]]:
    folder = tmp_path_factory.mktemp("analyst-demo")
    builds = {"sqlite": _start_demo(database_url(str(folder / "demo.db")), folder / "sqlite.log")}
    postgres = _fresh_postgres_database()
    if postgres:
        builds["postgres"] = _start_demo(postgres[1], folder / "postgres.log")
    yield builds
    for build in builds.values():
        if build.process.poll() is None:
            build.process.kill()
            build.process.wait()
    if postgres:
        admin = create_engine(postgres[0], isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = make_url(postgres[1]).database
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def demo_db(request: pytest.FixtureRequest, demo_builds: dict[str, DemoBuild]) -> str:
    """The URL of the demo crawl's database, on SQLite and on PostgreSQL."""
    if request.param not in demo_builds:
        request.getfixturevalue("postgres_server")  # skips, or fails under CI, saying why
        pytest.fail("PostgreSQL answers but the demo database could not be created")
    return demo_builds[request.param].ready()


@pytest.fixture(scope="session")
def sqlite_demo(demo_builds: dict[str, DemoBuild]) -> str:
    return demo_builds["sqlite"].ready()


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def run_json(*args: str) -> Any:
    code, out = run(*args, "--format", "json")
    assert code == 0, out
    return json.loads(out)


def kursk_of(clusters: list[dict[str, Any]]) -> dict[str, Any]:
    """The North Korean troops in Kursk story, found by its Russian original."""
    [cluster] = [
        c
        for c in clusters
        if any(m["outlet"] == ORIGINAL_OUTLET and "КНДР" in m["title"] for m in c["members"])
    ]
    return cluster


def cluster_titled(clusters: list[dict[str, Any]], *words: str) -> dict[str, Any]:
    [cluster] = [
        c
        for c in clusters
        if any(all(w in (m["title"] or "").lower() for w in words) for m in c["members"])
    ]
    return cluster


# --- clusters ----------------------------------------------------------------------------------


def test_clusters_lists_the_kursk_story_with_its_translations(demo_db: str) -> None:
    clusters = run_json("clusters", "--db", demo_db)
    kursk = kursk_of(clusters)
    members = kursk["members"]
    representative = members[0]
    assert representative["id"] == kursk["representative_id"]
    assert representative["outlet"] == ORIGINAL_OUTLET and representative["language"] == "ru"
    assert representative["match_kind"] == "original"
    assert {m["outlet"] for m in members[1:]} == REWRITE_OUTLETS
    assert {(m["language"], m["match_kind"]) for m in members[1:]} == {("en", "translation")}
    assert kursk["size"] == 4 and kursk["languages"] == ["en", "ru"]
    assert kursk["first_seen"] == representative["published"] == "2025-04-28T05:00:00+00:00"
    assert clusters[0]["id"] == kursk["id"]  # the largest cluster comes first

    # The near-miss Kursk stories are clusters of their own.
    plant = cluster_titled(clusters, "kursk", "nuclear")
    submarine = cluster_titled(clusters, "kursk", "submarine")
    evacuation = cluster_titled(clusters, "эвакуац")
    others = {plant["id"], submarine["id"], evacuation["id"]}
    assert len(others) == 3 and kursk["id"] not in others
    kursk_urls = {m["url"] for m in members}
    for other in (plant, submarine, evacuation):
        assert not kursk_urls & {m["url"] for m in other["members"]}


def test_clusters_filters_sorts_and_formats(demo_db: str) -> None:
    def ids(*args: str) -> list[int]:
        return [c["id"] for c in run_json("clusters", "--db", demo_db, *args)]

    every = run_json("clusters", "--db", demo_db)
    kursk = kursk_of(every)["id"]
    evacuation = cluster_titled(every, "эвакуац")["id"]
    submarine = cluster_titled(every, "kursk", "submarine")["id"]
    plant = cluster_titled(every, "kursk", "nuclear")["id"]

    assert ids("--query", "Kursk") == [c["id"] for c in every]
    assert ids("--query", "Nothing") == []
    assert {kursk, evacuation} <= set(ids("--language", "ru"))
    assert plant not in ids("--language", "ru")
    assert set(ids("--outlet", "metro herald")) == {kursk, submarine}
    assert ids("--until", "2025-04-28") == [kursk]  # a day given as --until counts whole
    assert kursk not in ids("--since", "2025-04-29")
    assert ids("--since", "2025-05-03T00:00", "--until", "2025-05-04") == [plant]
    assert ids("--min-size", "3") == [kursk, plant]
    assert ids("--sort", "date")[0] == submarine  # the latest story: August's anniversary
    assert ids("--sort", "date", "--limit", "2")[1:] == ids("--sort", "date")[1:2]

    code, table = run("clusters", "--db", demo_db, "--min-size", "4")
    assert code == 0
    assert table.startswith("1 cluster ")
    assert re.search(rf"│\s+{kursk} │\s+4 │ 2025-04-28 05:00 → 14:20 │ en, ru", table)
    assert "Кореевед" in table

    code, out = run("clusters", "--db", demo_db, "--format", "csv", "--language", "ru")
    rows = list(csv.DictReader(io.StringIO(out)))
    [row] = [r for r in rows if r["id"] == str(kursk)]
    assert row["size"] == "4" and row["languages"] == "en | ru"
    assert set(row["outlets"].split(" | ")) == {ORIGINAL_OUTLET, *REWRITE_OUTLETS}

    code, _ = run("clusters", "--db", demo_db, "--since", "last tuesday")
    assert code == 1


# --- show --------------------------------------------------------------------------------------


def test_show_prints_the_text_once_then_what_each_member_changed(demo_db: str) -> None:
    kursk = kursk_of(run_json("clusters", "--db", demo_db))
    code, out = run("show", str(kursk["id"]), "--db", demo_db)
    assert code == 0
    # The representative's text, once (no member's text repeats it).
    assert out.count("Северная Корея направила своих военнослужащих") == 1
    assert "North Korea" in out  # the rewrites' titles
    assert f"Representative #{kursk['representative_id']} · {ORIGINAL_OUTLET} · ru" in out
    for outlet in REWRITE_OUTLETS:
        assert re.search(rf"#\d+ {outlet} · en · translation · \+\d+\.\d h", out), outlet
    assert "Ким Ен Ун → Kim Yen Un" in out and "Ким Ен Ун → Kim Yeon Un" in out
    assert "numbers  +2024" in out

    detail = run_json("show", str(kursk["id"]), "--db", demo_db)
    engine = open_database(demo_db)
    try:
        from pipelines.clusters import member_text

        assert detail["text"] == member_text(engine, kursk["representative_id"])
    finally:
        engine.dispose()
    by_outlet = {m["outlet"]: m for m in detail["members"]}
    assert by_outlet[ORIGINAL_OUTLET]["hours_after_representative"] == 0.0
    assert by_outlet["The Northern Ledger"]["hours_after_representative"] == 4.5
    names = {tuple(pair) for m in detail["members"] for pair in m["changes"]["names_respelled"]}
    assert ("Ким Ен Ун", "Kim Yen Un") in names

    code, out = run("show", str(kursk["id"]), "--db", demo_db, "--format", "csv", "--texts")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["outlet"] == ORIGINAL_OUTLET and len(rows) == 4
    assert all(r["text"] for r in rows) and rows[0]["is_representative"] == "True"


def test_show_and_timeline_of_a_missing_cluster_say_so(sqlite_demo: str, capsys, tmp_path) -> None:
    assert run("show", "9999", "--db", sqlite_demo)[0] == 1
    assert "no cluster 9999" in capsys.readouterr().err
    assert run("timeline", "9999", "--db", sqlite_demo, "--output", str(tmp_path / "t.png"))[0] == 1
    assert run("timeline", "1", "--db", sqlite_demo, "--output", str(tmp_path / "t.gif"))[0] == 1
    assert ".png, .svg, .html" in capsys.readouterr().err


# --- search ------------------------------------------------------------------------------------


def test_search_returns_clusters_not_duplicate_hits(demo_db: str) -> None:
    clusters = run_json("clusters", "--db", demo_db)
    kursk = kursk_of(clusters)

    results = run_json("search", "North Korean troops", "--db", demo_db)
    assert results[0]["id"] == kursk["id"]
    assert set(results[0]["matching_ids"]) <= {m["id"] for m in kursk["members"]}
    assert len(results[0]["matching_ids"]) >= 2

    # "Kursk" is in every story: each cluster comes back once, the Russian texts included
    # (Курской, transliterated, begins with kursk).
    results = run_json("search", "Kursk", "--db", demo_db)
    assert len(results) == len({r["id"] for r in results}) == len(clusters)
    [found] = [r for r in results if r["id"] == kursk["id"]]
    assert sorted(found["matching_ids"]) == sorted(m["id"] for m in kursk["members"])

    # Only Daily Pulse Wire spells the researcher "Kim Yen Un".
    [only] = run_json("search", '"Kim Yen Un"', "--db", demo_db)
    pulse = next(m for m in kursk["members"] if m["outlet"] == "Daily Pulse Wire")
    assert only["id"] == kursk["id"] and only["matching_ids"] == [pulse["id"]]
    assert "Kim Yen Un" in only["snippet"]

    # Cyrillic finds English and Russian; the evacuation story is found in Russian words.
    assert kursk["id"] in {r["id"] for r in run_json("search", "Курск", "--db", demo_db)}
    evacuation = cluster_titled(clusters, "эвакуац")
    assert [r["id"] for r in run_json("search", "эвакуация", "--db", demo_db)] == [evacuation["id"]]

    code, table = run("search", "Kim Yen Un", "--db", demo_db)
    assert code == 0 and "Daily Pulse Wire (en)" in table and "Кореевед" in table
    assert run("search", "nothing-like-this-anywhere", "--db", demo_db)[1].startswith("no cluster")


# --- export ------------------------------------------------------------------------------------


def test_export_jsonl_csv_and_parquet_for_notebooks(demo_db: str, tmp_path: Path) -> None:
    kursk = kursk_of(run_json("clusters", "--db", demo_db))
    jsonl = tmp_path / "members.jsonl"
    code, _ = run("export", "--db", demo_db, "--format", "jsonl", "--output", str(jsonl))
    assert code == 0
    rows = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    engine = open_database(demo_db)
    with engine.connect() as connection:
        stored = connection.scalar(text("SELECT count(*) FROM articles"))
    engine.dispose()
    assert len(rows) == stored
    mine = [r for r in rows if r["cluster_id"] == kursk["id"]]
    assert len(mine) == 4 and all(r["cluster_size"] == 4 for r in mine)
    [original] = [r for r in mine if r["is_representative"]]
    assert original["outlet"] == ORIGINAL_OUTLET and original["language"] == "ru"
    assert original["text"].startswith("Северная Корея направила")
    translations = [r for r in mine if not r["is_representative"]]
    assert {r["match_kind"] for r in translations} == {"translation"}
    assert all("Kursk" in r["text"] for r in translations)
    assert any("Ким Ен Ун → Kim Yen Un" in r["names_respelled"] for r in translations)

    out = tmp_path / "clusters.csv"
    code, _ = run(
        "export", "--db", demo_db, "--format", "csv", "--table", "clusters", "--output", str(out)
    )
    assert code == 0
    [row] = [
        r for r in csv.DictReader(out.open(encoding="utf-8")) if r["cluster_id"] == str(kursk["id"])
    ]
    assert row["member_count"] == "4" and row["representative_outlet"] == ORIGINAL_OUTLET
    assert row["text"].startswith("Северная Корея")

    pq = pytest.importorskip("pyarrow.parquet")
    parquet = tmp_path / "members.parquet"
    code, _ = run(
        "export", "--db", demo_db, "--format", "parquet", "--output", str(parquet),
        "--min-size", "4", "--no-text",
    )  # fmt: skip
    assert code == 0
    table = pq.read_table(parquet)
    assert table.num_rows == 4 and "text" not in table.column_names
    assert str(table.schema.field("published").type) == "timestamp[us, tz=UTC]"
    assert set(table.column("outlet").to_pylist()) == {ORIGINAL_OUTLET, *REWRITE_OUTLETS}


def test_export_to_standard_output_and_parquet_needs_a_file(sqlite_demo: str, capsys) -> None:
    code, out = run("export", "--db", sqlite_demo, "--format", "csv", "--no-text", "--limit", "1")
    assert code == 0 and out.startswith("cluster_id,cluster_title,")
    assert "row(s), one per member" in capsys.readouterr().err
    assert run("export", "--db", sqlite_demo, "--format", "parquet")[0] == 1
    assert "--output" in capsys.readouterr().err


# --- timeline ----------------------------------------------------------------------------------


def test_timeline_png_and_html_show_the_spread(sqlite_demo: str, tmp_path: Path) -> None:
    kursk = kursk_of(run_json("clusters", "--db", sqlite_demo))
    png = tmp_path / "kursk.png"
    code, out = run("timeline", str(kursk["id"]), "--db", sqlite_demo, "--output", str(png))
    assert code == 0
    assert "4 articles from 4 outlets in en, ru, 2025-04-28 05:00 → 14:20 UTC" in out
    from PIL import Image

    with Image.open(png) as image:
        assert image.format == "PNG" and image.width >= 1200 and image.height >= 600
        colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 20)}
    assert (0x1F, 0x77, 0xB4) in colours and (0xD6, 0x27, 0x28) in colours  # ru and en markers

    page = tmp_path / "kursk.html"
    code, _ = run("timeline", str(kursk["id"]), "--db", sqlite_demo, "--output", str(page))
    assert code == 0
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and not re.search(r"""(src|href)=["']https?://(?!127\.0\.0\.1)""", html)
    assert not re.search(r"<(script|link)\b", html)  # self-contained: nothing to fetch
    for outlet in (ORIGINAL_OUTLET, *REWRITE_OUTLETS):
        assert outlet in html
    assert html.count("translation") >= 3 and "+4.5 h" in html


# --- the Python API ----------------------------------------------------------------------------


def test_python_api_returns_typed_objects(demo_db: str) -> None:
    from newscrawl import open_db
    from newscrawl.api import ClusterDetail, ClusterView, MemberView, SearchResult

    with open_db(demo_db) as db:
        clusters = db.clusters(query="Kursk", min_size=2, languages="ru")
        assert all(isinstance(c, ClusterView) for c in clusters)
        kursk = next(c for c in clusters if c.representative.outlet == ORIGINAL_OUTLET)
        assert isinstance(kursk.members[0], MemberView)
        assert kursk.outlets == sorted({ORIGINAL_OUTLET, *REWRITE_OUTLETS})
        detail = db.cluster(kursk.id)
        assert isinstance(detail, ClusterDetail) and detail.text == db.text(kursk.representative_id)
        assert db.cluster(99999) is None
        [hit, *_] = db.search("North Korean troops Kursk")
        assert isinstance(hit, SearchResult) and hit.cluster.id == kursk.id
        rows = list(db.records(min_size=4))
        assert {r["article_id"] for r in rows} == {m.id for m in kursk.members}
        assert all(r["text"] for r in rows)


# --- SQL: the views and the documented queries --------------------------------------------------


def documented_sql(dialect: str) -> list[str]:
    """The SQL blocks of docs/analysts.md for this dialect (a first line ``-- SQLite only`` or
    ``-- PostgreSQL only`` limits a block to one)."""
    doc = (ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", doc, flags=re.DOTALL)
    wanted = []
    for block in blocks:
        first = block.splitlines()[0].lower()
        if "only" in first and dialect not in first.replace("postgresql", "postgres"):
            continue
        wanted.append(block.strip().rstrip(";"))
    return wanted


def test_views_and_every_documented_query_run(demo_db: str) -> None:
    engine = open_database(demo_db)
    dialect = "postgres" if engine.dialect.name == "postgresql" else "sqlite"
    run_json("search", "Kursk", "--db", demo_db)  # the index is brought up to date
    try:
        with engine.connect() as connection:
            summary = connection.execute(
                text(
                    "SELECT cluster_id, title, member_count, outlets, languages, query,"
                    " representative_outlet FROM cluster_summary ORDER BY member_count DESC,"
                    " cluster_id LIMIT 1"
                )
            ).one()
            assert summary.member_count == 4 and summary.languages == "en, ru"
            assert summary.representative_outlet == ORIGINAL_OUTLET and summary.query == "Kursk"
            assert summary.outlets.split(", ") == sorted({ORIGINAL_OUTLET, *REWRITE_OUTLETS})
            members = connection.execute(
                text(
                    "SELECT outlet, language, match_kind, is_representative,"
                    " hours_after_representative FROM cluster_members WHERE cluster_id = :c"
                    " ORDER BY published"
                ),
                {"c": summary.cluster_id},
            ).all()
            assert [tuple(m) for m in members] == [
                (ORIGINAL_OUTLET, "ru", "original", 1, 0.0),
                ("The Northern Ledger", "en", "translation", 0, 4.5),
                ("Metro Herald", "en", "translation", 0, 6.08),
                ("Daily Pulse Wire", "en", "translation", 0, 9.33),
            ]
            queries = documented_sql(dialect)
            assert len(queries) >= 6
            for query in queries:
                rows = connection.execute(text(query)).all()
                assert rows, f"no rows from the documented query:\n{query}"
    finally:
        engine.dispose()


# --- serve: HTTP and a real browser ------------------------------------------------------------


@pytest.fixture(scope="module")
def served(sqlite_demo: str) -> Iterator[str]:
    from newscrawl.api import NewsDatabase
    from newscrawl.serve import make_server

    db = NewsDatabase(open_database(sqlite_demo))
    server = make_server(db, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        db.close()


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def test_serve_answers_pages_json_and_errors(served: str) -> None:
    status, kind, page = fetch(served + "/")
    assert status == 200 and kind.startswith("text/html") and "Кореевед" in page
    clusters = json.loads(fetch(served + "/api/clusters?query=Kursk")[2])
    kursk = kursk_of(clusters)
    status, _, page = fetch(f"{served}/clusters/{kursk['id']}")
    assert status == 200 and page.count('class="member') == 4
    assert "Северная Корея направила" in page and "Kim Yen Un" in page
    status, kind, svg = fetch(f"{served}/clusters/{kursk['id']}/timeline.svg")
    assert status == 200 and kind == "image/svg+xml" and ORIGINAL_OUTLET in svg
    detail = json.loads(fetch(f"{served}/api/clusters/{kursk['id']}")[2])
    assert detail["text"].startswith("Северная Корея")
    status, _, page = fetch(served + "/search?q=%22Kim+Yen+Un%22")
    assert status == 200 and f'data-cluster="{kursk["id"]}"' in page and "<mark>Kim</mark>" in page
    status, _, page = fetch(served + "/search?q=%3C%3E")
    assert status == 200 and "nothing to search for" in page
    assert fetch(served + "/?query=%3Cscript%3E")[2].count("<script>") == 0
    assert fetch(served + "/clusters/99999")[0] == 404
    assert fetch(served + "/articles/99999")[0] == 404
    assert fetch(served + "/nowhere")[0] == 404


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        service_unavailable(
            f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (make install does)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless=new",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        yield browser
        browser.close()


def test_a_browser_lists_the_kursk_cluster_and_opens_its_members(
    served: str, browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(served + "/")
    row = page.locator("#clusters tbody tr", has_text="Кореевед")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("en, ru")
    row.get_by_role("link").nth(1).click()

    page.wait_for_url(re.compile(r"/clusters/\d+$"))
    members = page.locator("#members tbody tr")
    expect(members).to_have_count(4)
    expect(members.first).to_contain_text(ORIGINAL_OUTLET)
    expect(members.first).to_contain_text("original")
    for outlet in REWRITE_OUTLETS:
        member = members.filter(has_text=outlet)
        expect(member).to_contain_text("translation")
    expect(page.locator("#representative-text")).to_contain_text("Северная Корея направила")
    chart = page.locator("img[alt^='timeline']")
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    page.screenshot(path=str(tmp_path / "cluster.png"), full_page=True)

    # A member opens on its own page, with its full text and what it changed.
    members.filter(has_text="Metro Herald").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/articles/\d+$"))
    expect(page.locator("h1")).to_contain_text("Pyongyang")
    expect(page.locator(".text")).to_contain_text("Kursk")
    expect(page.locator(".changes")).to_contain_text("Kim Yeon Un")

    # The search box finds the cluster from a spelling only one member uses.
    page.goto(served + "/")
    page.get_by_role("searchbox").fill('"Kim Yen Un"')
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Кореевед")
    page.close()
