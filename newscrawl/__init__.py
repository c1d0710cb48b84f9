"""newscrawl: crawl one event's coverage, group rewrites and translations, store each story once."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``from newscrawl import open_db`` (and ``NewsDatabase``) without importing them eagerly."""
    if name in ("open_db", "NewsDatabase"):
        from newscrawl import api

        return getattr(api, name)
    raise AttributeError(f"module 'newscrawl' has no attribute {name!r}")
