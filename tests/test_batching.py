"""BatchWriter on a fake clock: when batches are written, and how a database that is away is
retried, waited for and given up."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy.exc import OperationalError
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from newscrawl.batching import BatchWriter, RetryPolicy, StoreUnavailable
from pipelines.database import is_unavailable

AWAY = OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))


@dataclass
class Database:
    """Doubles every item; away for the next ``away`` writes; refuses the items in ``bad``."""

    away: int = 0
    bad: set[int] = field(default_factory=set)
    writes: list[list[int]] = field(default_factory=list)

    def write(self, items: list[int]) -> list[int]:
        self.writes.append(list(items))
        if self.away:
            self.away -= 1
            raise AWAY
        if self.bad & set(items):
            raise ValueError(f"cannot store {sorted(self.bad & set(items))}")
        return [2 * item for item in items]


@dataclass
class Handler:
    events: list[tuple] = field(default_factory=list)

    def database_unavailable(self, error, retry, delay, items) -> None:
        self.events.append(("unavailable", retry, delay, items))

    def database_back(self, retries) -> None:
        self.events.append(("back", retries))

    def database_gave_up(self, error, retries, items) -> None:
        self.events.append(("gave_up", retries, items))


def writer(database: Database, handler: Handler, clock: Clock, times: int = 3) -> BatchWriter:
    return BatchWriter(
        database.write,
        size=3,
        seconds=2.0,
        retry=RetryPolicy(times=times, backoff=1.0),
        is_transient=is_unavailable,
        handler=handler,
        clock=clock,
        in_thread=False,
    )


def outcome(deferred: Deferred) -> object:
    """The value a fired Deferred holds, its exception type if it failed, or ``"pending"``."""
    results: list[object] = []

    def keep(value: object) -> object:
        if isinstance(value, Failure):
            results.append(type(value.value))
            return None  # handled
        results.append(value)
        return value

    deferred.addBoth(keep)
    return results[0] if results else "pending"


def test_a_batch_is_written_when_full_or_when_its_oldest_item_has_waited() -> None:
    database, clock = Database(), Clock()
    batches = writer(database, Handler(), clock)
    done = [batches.submit(n) for n in range(4)]
    assert database.writes == [[0, 1, 2]]
    assert [outcome(d) for d in done] == [0, 2, 4, "pending"]

    clock.advance(1.9)
    assert database.writes == [[0, 1, 2]]
    clock.advance(0.1)
    assert database.writes == [[0, 1, 2], [3]]
    assert outcome(done[3]) == 6

    batches.submit(5)
    closed = batches.close()
    assert database.writes[-1] == [5] and outcome(closed) is None
    assert batches.batches == 3


def test_the_database_away_is_retried_with_backoff_until_it_returns() -> None:
    database, handler, clock = Database(away=2), Handler(), Clock()
    batches = writer(database, handler, clock)
    done = [batches.submit(n) for n in range(3)]
    assert handler.events == [("unavailable", 1, 1.0, 3)]
    clock.advance(1.0)
    assert handler.events[-1] == ("unavailable", 2, 2.0, 3)
    later = batches.submit(7)  # queued while the batch waits: not written meanwhile
    clock.advance(1.9)
    assert len(database.writes) == 2 and outcome(later) == "pending"
    clock.advance(0.1)
    assert handler.events[-1] == ("back", 2)
    assert [outcome(d) for d in done] == [0, 2, 4]
    assert database.writes == [[0, 1, 2]] * 3 + [[7]]  # it had waited its two seconds
    assert outcome(later) == 14


def test_after_the_last_retry_the_batch_is_given_up_and_later_ones_are_tried_once() -> None:
    database, handler, clock = Database(away=100), Handler(), Clock()
    batches = writer(database, handler, clock, times=2)
    done = [batches.submit(n) for n in range(3)]
    clock.advance(1.0)
    clock.advance(2.0)
    assert handler.events == [
        ("unavailable", 1, 1.0, 3),
        ("unavailable", 2, 2.0, 3),
        ("gave_up", 2, 3),
    ]
    assert [outcome(d) for d in done] == [StoreUnavailable] * 3

    more = [batches.submit(n) for n in range(3, 6)]
    assert handler.events[-1] == ("gave_up", 0, 3)
    assert [outcome(d) for d in more] == [StoreUnavailable] * 3

    database.away = 0  # back: the next batch is written and retries are allowed again
    back = [batches.submit(n) for n in range(6, 9)]
    assert [outcome(d) for d in back] == [12, 14, 16]
    database.away = 1
    batches.submit(9)
    batches.close()
    assert handler.events[-1] == ("unavailable", 1, 1.0, 1)


def test_an_item_that_fails_for_its_own_reasons_costs_only_itself() -> None:
    database, handler, clock = Database(bad={1}), Handler(), Clock()
    batches = writer(database, handler, clock)
    done = [batches.submit(n) for n in range(3)]
    assert database.writes == [[0, 1, 2], [0], [1], [2]]
    assert [outcome(d) for d in done] == [0, ValueError, 4]
    assert handler.events == []
    assert outcome(batches.close()) is None


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (AWAY, True),
        (OperationalError("INSERT", {}, Exception("database is locked")), True),
        (ValueError("no"), False),
    ],
)
def test_which_errors_mean_the_database_is_away(error: BaseException, transient: bool) -> None:
    assert is_unavailable(error) is transient
