"""Parsing and checking the topic spider's arguments, with errors that say what to type."""

from __future__ import annotations

import argparse
import re
import unicodedata
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class ArgumentError(ValueError):
    """A spider or command argument with a wrong value."""


MAX_QUERY_CHARS = 512  # the length of the ``query`` columns


def parse_query(value: str | None) -> str:
    """``query=``: the event, stripped; not empty, at most 512 characters, no control
    characters (a NUL cannot even be stored in PostgreSQL)."""
    text = (value or "").strip()
    if not text:
        raise ArgumentError("the topic spider needs a query: scrapy crawl topic -a query=Kursk")
    if len(text) > MAX_QUERY_CHARS:
        raise ArgumentError(f"query is {len(text)} characters long; at most {MAX_QUERY_CHARS}")
    bad = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cc"})
    if bad:
        raise ArgumentError(f"query {text!r} holds control characters ({', '.join(bad)})")
    return text


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """``since=``: an ISO date or time (``2025-04-01``, ``2025-04-01T08:00+03:00``) or an age
    (``90m``, ``24h``, ``7d``, ``2w``); times without a zone are UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    relative = _RELATIVE.match(text.lower())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount})
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentError(
            f"since={value!r} is neither an ISO date (2025-04-01) nor an age (24h, 7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_positive_int(name: str, value: str | int | None, default: int) -> int:
    """A whole number above zero, or ``default`` when not given."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name}={value!r} is not a whole number") from None
    if number < 1:
        raise ArgumentError(f"{name}={value!r} must be at least 1")
    return number


def positive_int(text: str) -> int:
    """``parse_positive_int`` as an ``argparse`` type: a whole number of at least 1."""
    try:
        number = parse_positive_int("N", text, 0)  # 0: nothing given
    except ArgumentError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if not number:
        raise argparse.ArgumentTypeError(f"N={text!r} is not a whole number")
    return number


def parse_names(value: str | None) -> list[str]:
    """A comma-separated list (``sources=gdelt,google-news``)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_interval(value: str) -> timedelta:
    """``--every``: an interval such as ``30m``, ``1h``, ``1d``, ``1w`` (at least a minute)."""
    relative = _RELATIVE.match(value.strip().lower())
    if not relative:
        raise ArgumentError(f"every={value!r} is not an interval such as 30m, 1h or 1d")
    interval = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    if interval < timedelta(minutes=1):
        raise ArgumentError(f"every={value!r} is shorter than a minute")
    return interval
