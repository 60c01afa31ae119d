"""The live feed in Redis: one bounded stream every API process reads (XREAD BLOCK), replayable by position.

Why a stream read by each process rather than PUBLISH/SUBSCRIBE: a stream keeps the recent events, so one
structure serves both the live fan-out and the replay after a reconnect, from one ordered cursor (no gap and no
duplicate between "replayed" and "live"); and a process whose connection to Redis blips resumes from its last
position instead of losing what was published meanwhile. Each process runs a single reader whatever its
number of WebSocket clients, so Redis sees one blocking read per API process — the same load as a subscription.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from adapters.outages import unavailable
from adapters.redis.client import REDIS_DOWN
from domain.shared.events import Audience, DomainEvent, EventType

STREAM_KEY = "lore:events"
_PAGE = 500  # entries read per round trip while looking for a position
MAX_SCAN = 10_000  # entries looked at for a replay start before answering "gap"
CLOCK_SKEW_MS = 10_000  # how far an emitting host's clock may run ahead of Redis's
_REPORTED = 1_000  # unreadable positions remembered, so each is logged once
logger = logging.getLogger("lore.events")


def encode(event: DomainEvent) -> str:
    """The payload the clients get, plus the audience each API process filters on."""
    audience = event.audience
    return json.dumps(
        {
            "payload": event.payload(),
            "audience": {
                "collection_id": str(audience.collection_id) if audience.collection_id else None,
                "user_ids": sorted(str(user) for user in audience.user_ids),
            },
        },
        separators=(",", ":"),
    )


def decode(raw: str | bytes) -> DomainEvent:
    body: dict[str, Any] = json.loads(raw)
    payload, audience = body["payload"], body["audience"]
    collection = audience.get("collection_id")
    return DomainEvent(
        id=UUID(payload["id"]),
        type=EventType(payload["type"]),
        occurred_at=datetime.fromisoformat(payload["occurred_at"]),
        subject=payload["subject"],
        data=payload["data"],
        audience=Audience(UUID(collection) if collection else None, frozenset(UUID(u) for u in audience["user_ids"])),
    )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisLiveFeed:
    """The live-feed subscriber: appends handed-on events to the stream, trimmed to about ``max_length``."""

    def __init__(self, redis: Redis, max_length: int, key: str = STREAM_KEY) -> None:
        self._redis = redis
        self._max_length = max_length
        self._key = key

    async def receive(self, events: Sequence[DomainEvent]) -> None:
        try:
            await self._append(events)
        except REDIS_DOWN as error:  # the batch stays due; the relay says so in one line
            raise unavailable("redis") from error

    async def _append(self, events: Sequence[DomainEvent]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                # "~": Redis trims whole nodes, far cheaper than an exact length; the id field finds replay starts
                pipe.xadd(
                    self._key,
                    {"id": str(event.id), "event": encode(event)},
                    maxlen=self._max_length,
                    approximate=True,
                )
            await pipe.execute()


class RedisEventStream:
    """Reads the stream the live feed writes (LiveEventStream)."""

    def __init__(self, redis: Redis, key: str = STREAM_KEY, *, max_scan: int = MAX_SCAN) -> None:
        self._redis = redis
        self._key = key
        self._max_scan = max_scan
        self._reported: set[str] = set()

    async def latest(self) -> str:
        newest = await self._redis.xrevrange(self._key, count=1)
        return _text(newest[0][0]) if newest else "0-0"

    async def position_of(self, event_id: UUID) -> str | None:
        """Scans forward from the event's own time (ids are UUIDv7), never more than ``max_scan`` entries.

        Entries get Redis's time when the relay appends them, after the event was emitted, so the event sits at
        or after its id's millisecond (less ``CLOCK_SKEW_MS`` for a host whose clock runs ahead of Redis's).
        """
        if event_id.version != 7:
            return None  # not one of ours
        emitted_ms = event_id.int >> 80  # UUIDv7: the top 48 bits are the Unix time in ms
        lower = str(max(emitted_ms - CLOCK_SKEW_MS, 0))
        wanted = str(event_id)
        looked = 0
        while looked < self._max_scan:
            count = min(_PAGE, self._max_scan - looked)
            entries = await self._redis.xrange(self._key, min=lower, max="+", count=count)
            for position, fields in entries:
                if _text(fields.get(b"id", fields.get("id", b""))) == wanted:
                    return _text(position)
            if len(entries) < count:
                return None
            looked += len(entries)
            lower = "(" + _text(entries[-1][0])
        return None  # too far after its time (a long relay backlog): the client re-reads over REST

    async def read(self, after: str, *, wait_seconds: float, limit: int) -> list[tuple[str, DomainEvent | None]]:
        block = int(wait_seconds * 1000) if wait_seconds > 0 else None
        answer = await self._redis.xread({self._key: after}, count=limit, block=block)
        found: list[tuple[str, DomainEvent | None]] = []
        for _, entries in answer or []:
            for raw_position, fields in entries:
                position = _text(raw_position)
                found.append((position, self._decoded(position, fields)))
        return found

    def _decoded(self, position: str, fields: dict[Any, Any]) -> DomainEvent | None:
        """One entry on its own: an unreadable one (an event type a newer release added, say) is skipped, not fatal."""
        try:
            return decode(fields.get(b"event") or fields["event"])
        except (KeyError, TypeError, ValueError, AttributeError):  # an unknown EventType is a ValueError
            if position not in self._reported:  # the hub and every replay meet it: say so once
                if len(self._reported) >= _REPORTED:
                    self._reported.clear()
                self._reported.add(position)
                logger.warning("skipping the unreadable event stream entry %s", position, exc_info=True)
            return None
