"""Fewer malloc arenas for a crawl, so that its resident memory stays flat.

glibc gives each thread that allocates (the store's writer, the DNS resolver, the embedding
model's) its own arena, up to eight per core; memory freed in one arena is not reused by another,
so a long crawl's resident set grows with heap it no longer uses (on a 3,000-page crawl, 6.6–7.0
KiB per page with the default, 3.3–3.8 with one or two arenas: ``benchmarks.bench_pipeline``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas for threads that allocate from now on; false where the C
    library is not glibc (nothing changes there)."""
    if arenas < 1:
        raise ValueError(f"at least one arena: {arenas}")
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


class MallocArenas:
    """Applies ``MEMORY_MALLOC_ARENAS`` (0: the C library's default) when the crawler is made,
    before the crawl starts its threads."""

    def __init__(self, arenas: int) -> None:
        self.arenas = arenas

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MallocArenas:
        arenas = crawler.settings.getint("MEMORY_MALLOC_ARENAS")
        if arenas <= 0:
            raise NotConfigured("MEMORY_MALLOC_ARENAS is 0")
        if not limit_malloc_arenas(arenas):
            raise NotConfigured("the C library is not glibc: its malloc arenas stay as they are")
        logger.debug("malloc arenas capped at %d", arenas)
        return cls(arenas)
