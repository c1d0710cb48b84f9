"""newscrawl: crawl one event's news coverage, extract it, group rewrites and store each story once."""

__version__ = "0.1.0"
