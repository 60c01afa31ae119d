"""Pacing for the worker's loops that keep calling Redis while it is down.

Unpaced, a dequeue slot whose Redis is gone fails at once (the socket refuses the
connection in microseconds) and SAQ starts the next dequeue straight away: one core
spent on reconnecting. Every loop that meets Redis down waits a jittered, growing delay
instead, and the log says when Redis went away and when it came back, not every attempt.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

logger = logging.getLogger("lore.queue")


class Backoff:
    """Exponential delays with full jitter: uniform(0, min(cap, base * 2**failures)).

    Full jitter spreads the retries of many slots and workers, so they do not all
    reconnect together the moment Redis is back.
    """

    def __init__(self, base_seconds: float = 0.1, cap_seconds: float = 5.0, rng: Callable[[], float] = random.random):
        self._base = base_seconds
        self._cap = cap_seconds
        self._rng = rng
        self._failures = 0

    def next_delay(self) -> float:
        ceiling = min(self._cap, self._base * 2.0 ** min(self._failures, 32))
        self._failures += 1
        return ceiling * self._rng()

    def reset(self) -> None:
        self._failures = 0


class RedisOutage:
    """Whether the last call to Redis worked, shared by all of one queue's loops."""

    def __init__(self, backoff: Backoff | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._down_since: float | None = None

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, error: Exception) -> float:
        """Note a failed call; the delay to wait before the next one."""
        if self._down_since is None:
            self._down_since = self._clock()
            logger.warning("redis unavailable, backing off", extra={"error": f"{type(error).__name__}: {error}"})
        return self._backoff.next_delay()

    def succeeded(self) -> None:
        self._backoff.reset()
        if self._down_since is not None:
            down_seconds = round(self._clock() - self._down_since, 1)
            self._down_since = None
            logger.info("redis available again", extra={"down_seconds": down_seconds})
