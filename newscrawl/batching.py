"""Batches of items written together: each item waits for its batch's commit.

A batch is written when it holds ``size`` items, when its oldest item has waited ``seconds``, or
at once when the writer closes; one batch is written at a time, off the reactor thread. A write
that fails because the database is away is tried again after a backoff (``RetryPolicy``), and an
``OutageHandler`` hears of each retry, of the recovery and of the giving up. After a give-up,
later batches are tried once, without retries. Any other error is the items' own: the batch is
written again one item at a time, so only the item that fails is lost.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

Item = TypeVar("Item")
Result = TypeVar("Result")


class StoreUnavailable(RuntimeError):
    """The database stayed away through every retry; the batch's items are not stored."""


@dataclass(frozen=True)
class RetryPolicy:
    """``times`` retries after a failed write, the first ``backoff`` seconds later, each next one
    after twice the wait before it."""

    times: int
    backoff: float

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (counted from 0)."""
        return self.backoff * 2**retry


class OutageHandler(Protocol):
    """What a ``BatchWriter`` tells while the database is away."""

    def database_unavailable(
        self, error: BaseException, retry: int, delay: float, items: int
    ) -> None: ...

    def database_back(self, retries: int) -> None: ...

    def database_gave_up(self, error: BaseException, retries: int, items: int) -> None: ...


@dataclass
class _Entry(Generic[Item, Result]):
    item: Item
    arrived: float
    done: Deferred[Result]


class BatchWriter(Generic[Item, Result]):
    """Collects items and writes them with ``write`` (a batch in, one result per item out)."""

    def __init__(
        self,
        write: Callable[[list[Item]], list[Result]],
        *,
        size: int,
        seconds: float,
        retry: RetryPolicy,
        is_transient: Callable[[BaseException], bool],
        handler: OutageHandler,
        clock: IReactorTime | None = None,
        in_thread: bool = True,
    ) -> None:
        self.write = write
        self.size = max(size, 1)
        self.seconds = seconds
        self.retry = retry
        self.is_transient = is_transient
        self.handler = handler
        if clock is None:
            from twisted.internet import reactor as clock  # the one Scrapy installed
        self.clock: IReactorTime = clock  # type: ignore[assignment]
        self._call = deferToThread if in_thread else maybeDeferred
        self._pending: deque[_Entry[Item, Result]] = deque()
        self._writing = False
        self._timer: IDelayedCall | None = None
        self._closing = False
        self._one_by_one = 0  # items to write alone after a batch failed for its own reasons
        self._gave_up = False
        self._idle: list[Deferred[None]] = []
        self.batches = 0  # writes that committed

    def submit(self, item: Item) -> Deferred[Result]:
        """Queue ``item``; the Deferred fires with its result once its batch is written."""
        entry: _Entry[Item, Result] = _Entry(item, self.clock.seconds(), Deferred())
        self._pending.append(entry)
        self._schedule()
        return entry.done

    def close(self) -> Deferred[None]:
        """Write what is queued now; fires once nothing is queued or being written."""
        self._closing = True
        done: Deferred[None] = Deferred()
        self._idle.append(done)
        self._schedule()
        self._check_idle()
        return done

    def _schedule(self) -> None:
        if self._writing or not self._pending:
            return
        wait = self._pending[0].arrived + self.seconds - self.clock.seconds()
        if self._closing or self._one_by_one or len(self._pending) >= self.size or wait <= 0:
            if self._timer is not None and self._timer.active():
                self._timer.cancel()
            self._timer = None
            self._start()
        elif self._timer is None:
            self._timer = self.clock.callLater(wait, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        self._schedule()

    def _start(self) -> None:
        take = 1 if self._one_by_one else self.size
        self._one_by_one = max(self._one_by_one - 1, 0)
        batch = [self._pending.popleft() for _ in range(min(take, len(self._pending)))]
        self._writing = True
        self._attempt(batch, 0)

    def _attempt(self, batch: list[_Entry[Item, Result]], retry: int) -> None:
        written = self._call(self.write, [entry.item for entry in batch])
        written.addCallbacks(
            self._written,
            self._failed,
            callbackArgs=(batch, retry),
            errbackArgs=(batch, retry),
        )

    def _written(
        self, results: list[Result], batch: list[_Entry[Item, Result]], retry: int
    ) -> None:
        self.batches += 1
        self._gave_up = False
        if retry:
            self.handler.database_back(retry)
        for entry, result in zip(batch, results, strict=True):
            entry.done.callback(result)
        self._finish()

    def _failed(self, failure: Failure, batch: list[_Entry[Item, Result]], retry: int) -> None:
        error = failure.value
        if not self.is_transient(error):
            if len(batch) == 1:
                batch[0].done.errback(failure)
                self._finish()
                return
            self._pending.extendleft(reversed(batch))  # again, one at a time
            self._one_by_one = len(batch)
            self._finish()
            return
        if retry >= self.retry.times or self._gave_up:
            self._gave_up = True
            self.handler.database_gave_up(error, retry, len(batch))
            reason = StoreUnavailable("not stored: the database is unavailable")
            for entry in batch:
                entry.done.errback(Failure(reason))
            self._finish()
            return
        delay = self.retry.delay(retry)
        self.handler.database_unavailable(error, retry + 1, delay, len(batch))
        self.clock.callLater(delay, self._attempt, batch, retry + 1)

    def _finish(self) -> None:
        self._writing = False
        self._schedule()
        self._check_idle()

    def _check_idle(self) -> None:
        if self._writing or self._pending:
            return
        waiting, self._idle = self._idle, []
        for done in waiting:
            done.callback(None)
