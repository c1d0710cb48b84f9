"""The SQL views analysts query: ``cluster_summary`` and ``cluster_members`` (docs/analysts.md).

The views are replaceable objects: ``alembic/env.py`` drops them before any migration runs and
creates them again afterwards (when the database is at or past ``VIEWS_SINCE``), so a migration
may alter or rebuild ``articles`` and ``clusters`` freely — SQLite's batch mode and PostgreSQL's
dependency checks would otherwise refuse while a view reads those tables. Changing a view means
changing it here and adding a migration (possibly empty) so that existing databases get it.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

VIEWS_SINCE = "0004"  # the first revision whose schema the views are written for
VIEW_NAMES = ("cluster_summary", "cluster_members")


def _string_list(column: str, dialect: str) -> str:
    """Distinct, sorted, comma-separated values of an ``articles`` column for cluster ``c``."""
    if dialect == "postgresql":
        return (
            f"(SELECT string_agg(DISTINCT x.{column}, ', ' ORDER BY x.{column})"
            f" FROM articles x WHERE x.cluster_id = c.id)"
        )
    return (
        f"(SELECT group_concat(v, ', ') FROM (SELECT DISTINCT x.{column} AS v FROM articles x"
        f" WHERE x.cluster_id = c.id AND x.{column} IS NOT NULL ORDER BY v))"
    )


def _hours_between(later: str, earlier: str, dialect: str) -> str:
    if dialect == "postgresql":
        return (
            f"CAST(round(CAST(extract(epoch FROM ({later} - {earlier})) / 3600 AS numeric), 2)"
            f" AS double precision)"
        )
    return f"round((julianday({later}) - julianday({earlier})) * 24, 2)"


def view_definitions(dialect: str) -> dict[str, str]:
    """``CREATE VIEW`` statements for the dialect (``sqlite`` or ``postgresql``)."""
    summary = f"""
CREATE VIEW cluster_summary AS
SELECT
    c.id AS cluster_id,
    r.title AS title,
    c.representative_id AS representative_id,
    r.outlet AS representative_outlet,
    r.language AS representative_language,
    r.url AS representative_url,
    m.first_seen AS first_seen,
    m.last_seen AS last_seen,
    m.member_count AS member_count,
    m.outlet_count AS outlet_count,
    m.language_count AS language_count,
    {_string_list("outlet", dialect)} AS outlets,
    {_string_list("language", dialect)} AS languages,
    {_string_list("query", dialect)} AS query,
    c.created_at AS created_at,
    c.updated_at AS updated_at
FROM clusters c
JOIN (
    SELECT
        cluster_id,
        min(published) AS first_seen,
        max(published) AS last_seen,
        count(*) AS member_count,
        count(DISTINCT outlet) AS outlet_count,
        count(DISTINCT language) AS language_count
    FROM articles
    GROUP BY cluster_id
) m ON m.cluster_id = c.id
LEFT JOIN articles r ON r.id = c.representative_id
"""
    members = f"""
CREATE VIEW cluster_members AS
SELECT
    a.id AS article_id,
    a.cluster_id AS cluster_id,
    CASE WHEN a.id = c.representative_id THEN 1 ELSE 0 END AS is_representative,
    a.url AS url,
    a.canonical_url AS canonical_url,
    a.outlet AS outlet,
    a.title AS title,
    a.author AS author,
    a.language AS language,
    a.published AS published,
    {_hours_between("a.published", "r.published", dialect)} AS hours_after_representative,
    a.fetched_at AS fetched_at,
    a.source AS source,
    a.query AS query,
    a.match_kind AS match_kind,
    a.similarity AS similarity,
    a.matched_id AS matched_id,
    a.changes AS changes,
    a.text_bytes AS text_bytes,
    a.text_storage AS text_storage
FROM articles a
JOIN clusters c ON c.id = a.cluster_id
LEFT JOIN articles r ON r.id = c.representative_id
"""
    return {"cluster_summary": summary, "cluster_members": members}


def drop_views(connection: Connection) -> None:
    for name in VIEW_NAMES:
        connection.execute(text(f"DROP VIEW IF EXISTS {name}"))


def create_views(connection: Connection) -> None:
    drop_views(connection)
    for statement in view_definitions(connection.dialect.name).values():
        connection.execute(text(statement))
