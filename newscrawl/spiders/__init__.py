"""newscrawl's spiders."""
