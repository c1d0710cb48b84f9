"""The crawl's cap on malloc arenas (``MEMORY_MALLOC_ARENAS``)."""

from __future__ import annotations

import platform

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from newscrawl import memory
from newscrawl.config import project_settings
from newscrawl.memory import MallocArenas, limit_malloc_arenas

GLIBC = platform.libc_ver()[0] == "glibc"


def test_the_project_caps_arenas_before_its_other_extensions() -> None:
    settings = project_settings()
    assert settings.getint("MEMORY_MALLOC_ARENAS") == 2
    order = settings.getdict("EXTENSIONS")
    assert order["newscrawl.memory.MallocArenas"] < min(
        priority for name, priority in order.items() if name != "newscrawl.memory.MallocArenas"
    )


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_glibc_takes_the_cap() -> None:
    assert limit_malloc_arenas(2) is True
    assert (
        MallocArenas.from_crawler(get_crawler(settings_dict={"MEMORY_MALLOC_ARENAS": 2})).arenas
        == 2
    )


def test_zero_leaves_the_default() -> None:
    with pytest.raises(NotConfigured, match="is 0"):
        MallocArenas.from_crawler(get_crawler(settings_dict={"MEMORY_MALLOC_ARENAS": 0}))


def test_another_c_library_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.platform, "libc_ver", lambda: ("musl", "1.2"))
    monkeypatch.setattr(memory.ctypes, "CDLL", pytest.fail)  # never reached
    assert limit_malloc_arenas(2) is False
    with pytest.raises(NotConfigured, match="not glibc"):
        MallocArenas.from_crawler(get_crawler(settings_dict={"MEMORY_MALLOC_ARENAS": 2}))


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one arena"):
        limit_malloc_arenas(0)
