"""The topic spider's arguments: dates and ages, page limits, source lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from newscrawl.arguments import ArgumentError, parse_names, parse_positive_int, parse_since

NOW = datetime(2025, 4, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-04-01", datetime(2025, 4, 1, tzinfo=UTC)),
        ("2025-04-01T08:00", datetime(2025, 4, 1, 8, 0, tzinfo=UTC)),
        (" 2025-04-01T08:00:30 ", datetime(2025, 4, 1, 8, 0, 30, tzinfo=UTC)),
        ("2025-04-01T08:00Z", datetime(2025, 4, 1, 8, 0, tzinfo=UTC)),
    ],
)
def test_iso_dates_without_a_zone_are_utc(value: str, expected: datetime) -> None:
    parsed = parse_since(value, now=NOW)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


def test_iso_time_with_a_zone_keeps_it() -> None:
    parsed = parse_since("2025-04-01T08:00+03:00", now=NOW)
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(hours=3)
    assert parsed == datetime(2025, 4, 1, 5, 0, tzinfo=UTC)
    assert parsed.tzinfo == timezone(timedelta(hours=3))


@pytest.mark.parametrize(
    ("value", "age"),
    [
        ("90m", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("7D", timedelta(days=7)),
        (" 36 h ", timedelta(hours=36)),
        ("0d", timedelta(0)),
    ],
)
def test_ages_count_back_from_now(value: str, age: timedelta) -> None:
    assert parse_since(value, now=NOW) == NOW - age


def test_age_without_now_counts_back_from_the_current_time() -> None:
    before = datetime.now(UTC)
    parsed = parse_since("1h")
    after = datetime.now(UTC)
    assert parsed is not None and parsed.tzinfo is not None
    assert before - timedelta(hours=1) <= parsed <= after - timedelta(hours=1)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_since_means_any_time(value: str | None) -> None:
    assert parse_since(value, now=NOW) is None


@pytest.mark.parametrize("value", ["yesterday", "7 days", "-3d", "3y", "2025-13-01", "1.5h"])
def test_garbage_since_raises_with_the_value_in_the_message(value: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_since(value, now=NOW)
    assert repr(value) in str(caught.value)
    assert "24h" in str(caught.value)  # the message says what to type instead


def test_argument_error_is_a_value_error() -> None:
    assert issubclass(ArgumentError, ValueError)


@pytest.mark.parametrize("value", [None, ""])
def test_positive_int_defaults_when_not_given(value: str | None) -> None:
    assert parse_positive_int("max_pages", value, 100) == 100


@pytest.mark.parametrize(("value", "expected"), [("5", 5), (" 12 ", 12), (3, 3), ("1", 1)])
def test_positive_int_parses_numbers(value: str | int, expected: int) -> None:
    assert parse_positive_int("max_pages", value, 100) == expected


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("0", "must be at least 1"),
        (0, "must be at least 1"),
        ("-4", "must be at least 1"),
        ("x", "is not a whole number"),
        ("2.5", "is not a whole number"),
    ],
)
def test_positive_int_rejects_bad_values(value: str | int, complaint: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_positive_int("max_pages", value, 100)
    message = str(caught.value)
    assert message.startswith(f"max_pages={value!r}")
    assert complaint in message


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (None, []),
        ("", []),
        ("gdelt", ["gdelt"]),
        ("gdelt,google-news", ["gdelt", "google-news"]),
        (" gdelt , google-news ,, feed ", ["gdelt", "google-news", "feed"]),
        (",,,", []),
    ],
)
def test_parse_names(value: str | None, names: list[str]) -> None:
    assert parse_names(value) == names
