"""The stages an article goes through after it is fetched: extract → fingerprint → group → store.

Each module holds plain, typed functions; ``newscrawl.item_pipelines`` puts Scrapy item pipelines
on top of them, and the ``newscrawl`` command calls them directly.
"""
