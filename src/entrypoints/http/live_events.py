"""Live events for WebSocket clients: one reader of the event stream per process, a bounded queue per connection.

The hub reads the stream (``LiveEventStream``) and offers each event to every connection's queue without
waiting; a connection whose queue is full is too slow and is closed with ``SLOW_CLIENT`` (it reconnects with
the last id it got and is replayed from there). Each connection filters its events by ``EventVisibility``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from application.knowledge.live_events import EventVisibility
from application.shared.events import LiveEventStream
from domain.shared.events import DomainEvent

logger = logging.getLogger("lore.events")

# close codes (4000-4999 are the application's)
BAD_REQUEST = 4400  # a malformed first message or last_event_id
UNAUTHORIZED = 4401  # no, invalid or expired credentials, the session was revoked, or the rights changed
FORBIDDEN = 4403  # the credentials lack documents:read (also when they lose it while connected)
SLOW_CLIENT = 4429  # the connection's queue overflowed: reconnect with last_event_id
TRY_AGAIN_LATER = 1013  # too many handshakes from the address, or too many open connections for the caller
SERVICE_RESTART = 1012  # the server is stopping (sent by uvicorn at shutdown)
INTERNAL_ERROR = 1011

READ_WAIT_SECONDS = 2.0  # below the Redis client's 5 s socket timeout
READ_BATCH = 200
STARTUP_WAIT_SECONDS = 10.0  # a stream that cannot be read this long after connecting: close INTERNAL_ERROR


def _order(position: str) -> tuple[int, int]:
    """Stream positions ("<ms>-<seq>") in the order Redis gives them."""
    ms, _, seq = position.partition("-")
    return int(ms), int(seq or 0)


@dataclass(eq=False)
class Subscription:
    queue: asyncio.Queue[tuple[str, DomainEvent]]
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, position: str, event: DomainEvent) -> None:
        if self.overflowed.is_set():
            return
        try:
            self.queue.put_nowait((position, event))
        except asyncio.QueueFull:
            self.overflowed.set()


class LiveHub:
    """The process's one reader of the event stream, started with the first subscriber."""

    def __init__(self, stream: LiveEventStream, queue_size: int) -> None:
        self.stream = stream
        self._queue_size = queue_size
        self._subscriptions: set[Subscription] = set()
        self._reader: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._open: dict[str, int] = {}  # caller -> open connections in this process

    async def subscribe(self) -> Subscription:
        subscription = Subscription(asyncio.Queue(self._queue_size))
        self._subscriptions.add(subscription)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_forever(), name="live-events-reader")
        try:  # from here on the subscription sees every new event
            await asyncio.wait_for(self._started.wait(), timeout=STARTUP_WAIT_SECONDS)
        except TimeoutError:
            self.unsubscribe(subscription)
            raise
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def admit(self, caller: str, limit: int) -> bool:
        """Counts one more open connection for ``caller`` unless it has ``limit`` already; ``leave`` ends it."""
        if self._open.get(caller, 0) >= limit:
            return False
        self._open[caller] = self._open.get(caller, 0) + 1
        return True

    def leave(self, caller: str) -> None:
        if (left := self._open.get(caller, 0) - 1) > 0:
            self._open[caller] = left
        else:
            self._open.pop(caller, None)

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read_forever(self) -> None:
        position: str | None = None
        failing = False
        while True:
            try:
                if position is None:
                    position = await self.stream.latest()
                    self._started.set()
                batch = await self.stream.read(position, wait_seconds=READ_WAIT_SECONDS, limit=READ_BATCH)
                if failing:
                    logger.info("reading the event stream again")
                    failing = False
            except Exception:  # Redis down: keep the position, try again; connections wait, nothing is lost
                if not failing:
                    logger.warning("cannot read the event stream; retrying", exc_info=True)
                    failing = True
                await asyncio.sleep(1.0)
                continue
            for position, event in batch:  # the position moves past an unreadable entry too
                if event is None:
                    continue
                for subscription in tuple(self._subscriptions):
                    subscription.offer(position, event)


class FrameSocket(Protocol):
    async def send_json(self, data: dict[str, object]) -> None: ...

    async def receive_text(self) -> str: ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class SessionOptions:
    heartbeat_seconds: float


class LiveSession:
    """One authenticated connection: replay after ``last_event_id``, then live events, heartbeats between.

    ``recheck`` is asked at each heartbeat (the credentials are checked again): a close code and reason when the
    connection must end (a revoked session or key, or rights that changed since it connected, since the
    visibility filter judges with the rights of the handshake), None while it may go on.
    """

    def __init__(
        self,
        hub: LiveHub,
        socket: FrameSocket,
        visibility: EventVisibility,
        options: SessionOptions,
        recheck: Callable[[], Awaitable[tuple[int, str] | None]],
    ) -> None:
        self._hub = hub
        self._socket = socket
        self._visibility = visibility
        self._options = options
        self._recheck = recheck

    async def run(self, last_event_id: UUID | None) -> None:
        subscription = await self._hub.subscribe()
        try:
            await self._socket.send_json({"type": "stream.ready"})
            replayed_to = await self._replay(last_event_id) if last_event_id else None
            tasks = {
                asyncio.create_task(self._forward(subscription, replayed_to)),
                asyncio.create_task(self._heartbeat()),
                asyncio.create_task(self._until_client_leaves()),
                asyncio.create_task(self._until_overflow(subscription)),
            }
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                if not task.cancelled() and (error := task.exception()) is not None:
                    raise error
        finally:
            self._hub.unsubscribe(subscription)

    async def _send(self, event: DomainEvent) -> None:
        if await self._visibility.allows(event):
            await self._socket.send_json(event.payload())

    async def _replay(self, last_event_id: UUID) -> str | None:
        stream = self._hub.stream
        position = await stream.position_of(last_event_id)
        if position is None:  # trimmed away or never seen: say so, the client re-reads what it needs over REST
            await self._socket.send_json({"type": "stream.gap", "last_event_id": str(last_event_id)})
            return None
        while batch := await stream.read(position, wait_seconds=0, limit=READ_BATCH):
            for position, event in batch:  # noqa: B007 - the last one is where the next read starts
                if event is not None:  # unreadable: skipped, but the next read starts after it
                    await self._send(event)
        return position

    async def _forward(self, subscription: Subscription, replayed_to: str | None) -> None:
        while True:
            position, event = await subscription.queue.get()
            if replayed_to is not None and _order(position) <= _order(replayed_to):
                continue  # the replay sent it already
            await self._send(event)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self._options.heartbeat_seconds)
            if (closing := await self._recheck()) is not None:
                await self._socket.close(*closing)
                return
            await self._socket.send_json({"type": "stream.heartbeat", "at": datetime.now(UTC).isoformat()})

    async def _until_client_leaves(self) -> None:
        try:
            while True:  # clients send nothing after the first message; whatever comes is ignored
                await self._socket.receive_text()
        except Exception:  # noqa: BLE001 - the client left (or sent what cannot be read): the session ends
            return

    async def _until_overflow(self, subscription: Subscription) -> None:
        await subscription.overflowed.wait()
        await self._socket.close(SLOW_CLIENT, "too slow: reconnect with last_event_id")
