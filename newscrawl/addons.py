"""Scrapy add-ons (the ``ADDONS`` setting) of newscrawl."""

from __future__ import annotations

import importlib.util

from scrapy.settings import SETTINGS_PRIORITIES, Settings
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pipelines.database import safe_url


class DistributedSetupError(RuntimeError):
    """Distributed mode asked for, but it cannot work as configured."""


class DistributedCrawl:
    """Distributed mode, on when ``DISTRIBUTED_REDIS_URL`` is set: the workers of a run share
    one request queue and one duplicate filter in Redis (scrapy-redis, see
    :mod:`newscrawl.distributed`) and one PostgreSQL database.

    It sets ``SCHEDULER``, ``DUPEFILTER_CLASS``, ``SCHEDULER_PERSIST`` (one worker finishing
    must not wipe the queue of the others) and ``REDIS_URL``. It also turns conditional listing
    requests off (unless set on the command line): the articles of a listing may be fetched by
    another worker, and a 304 the next time would hide any that worker lost when it died.
    """

    def update_settings(self, settings: Settings) -> None:
        redis_url = (settings.get("DISTRIBUTED_REDIS_URL") or "").strip()
        if not redis_url:
            return
        if importlib.util.find_spec("scrapy_redis") is None:
            raise DistributedSetupError(
                "DISTRIBUTED_REDIS_URL is set but scrapy-redis is not installed: "
                "pip install 'newscrawl[distributed]'"
            )
        database = settings.get("DATABASE_URL") or ""
        try:
            backend = make_url(database).get_backend_name()
        except ArgumentError:
            backend = None
        if backend != "postgresql":
            raise DistributedSetupError(
                f"distributed crawls store into one PostgreSQL database; DATABASE_URL is "
                f"{safe_url(database)!r} (see docs/deploy.md)"
            )
        settings.set("SCHEDULER", "newscrawl.distributed.RunScheduler", priority="addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="addon")
        settings.set("SCHEDULER_PERSIST", True, priority="addon")
        settings.set("REDIS_URL", redis_url, priority="addon")
        name = "INCREMENTAL_CONDITIONAL_LISTINGS"
        if (settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["project"]:
            settings.set(name, False, priority="project")
