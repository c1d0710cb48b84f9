"""newscrawl: crawl one event's coverage, group rewrites and translations, store each story once."""

__version__ = "0.1.0"
