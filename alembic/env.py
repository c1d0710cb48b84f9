"""Alembic environment: migrates the database named by DATABASE_URL (or the caller's connection)."""

import os

from sqlalchemy import engine_from_config, pool

from alembic import context
from pipelines.models import Base
from pipelines.views import VIEWS_SINCE, create_views, drop_views

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    section = config.get_section(config.config_ini_section, {})
    if os.environ.get("DATABASE_URL"):
        section["sqlalchemy.url"] = os.environ["DATABASE_URL"]
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        # The analyst views are replaceable objects (pipelines/views.py): out of the way while
        # migrations change the tables they read, then created anew.
        drop_views(connection)
        context.run_migrations()
        if _at_or_past(VIEWS_SINCE):
            create_views(connection)


def _at_or_past(revision: str) -> bool:
    """True when the database's current revision is ``revision`` or descends from it."""
    heads = context.get_context().get_current_heads()
    return any(
        script.revision == revision
        for head in heads
        for script in context.script.iterate_revisions(head, "base")
    )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
