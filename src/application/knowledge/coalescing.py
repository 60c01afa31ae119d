"""Concurrent callers' items sent as one batch: the worker's jobs share round trips to the database.

Items submitted within a short window (or until a batch is full) go to ``send`` as one call. If that call
fails, each item of the batch is sent again alone, so one bad item fails only its own caller — or, with
``retry_alone=False`` (a remote service that failed, where a retry per item would only multiply the load),
every caller in the batch gets the failure. A caller that stops waiting (cancelled) does not stop the batch:
its item is still sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger(__name__)

LINGER_SECONDS = 0.005  # how long an item waits for company: small beside one round trip at load


class Coalescer(Generic[T, R]):
    def __init__(
        self,
        send: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        max_size: int,
        linger_seconds: float = LINGER_SECONDS,
        size: Callable[[T], int] = lambda _: 1,
        retry_alone: bool = True,
    ) -> None:
        self._send = send
        self._retry_alone = retry_alone
        self._max_size = max_size
        self._linger_seconds = linger_seconds
        self._size_of = size
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        size = self._size_of(item)
        if size >= self._max_size:
            (result,) = await self._send([item])  # a full batch on its own
            return result
        if self._size + size > self._max_size:
            self._flush()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        self._size += size
        if self._size >= self._max_size:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._linger_seconds, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending, self._size = self._pending, [], 0
        if batch:
            task = asyncio.get_running_loop().create_task(self._sent(batch))
            self._sending.add(task)  # a reference, so the task is not collected while it runs
            task.add_done_callback(self._sending.discard)

    async def _sent(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            if len(batch) > 1 and await self._together(batch):
                return
            if len(batch) > 1 and not self._retry_alone:
                return
            for item, future in batch:  # nothing was done: each item is sent again alone, failing only itself
                await self._alone(item, future)
        finally:  # this task cancelled (the loop closing): no caller waits for ever
            for _, future in batch:
                if not future.done():
                    future.cancel()

    async def _together(self, batch: list[tuple[T, asyncio.Future[R]]]) -> bool:
        try:
            results = await self._send([item for item, _ in batch])
        except Exception as exc:
            if not self._retry_alone:
                _fail_all(batch, exc)
            else:  # once per batch: the per-item retries may all succeed and hide why the batch failed
                logger.warning("a batch of %d items failed; sending each alone", len(batch), exc_info=exc)
            return False
        if len(results) != len(batch):  # a bug in ``send``: no caller can be told which result is theirs
            _fail_all(batch, RuntimeError(f"a batch of {len(batch)} items gave {len(results)} results"))
            return True
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
        return True

    async def _alone(self, item: T, future: asyncio.Future[R]) -> None:
        try:
            (result,) = await self._send([item])
        except Exception as exc:  # noqa: BLE001 - handed to the waiting caller, which raises it
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)


def _fail_all(batch: Sequence[tuple[object, asyncio.Future[R]]], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
