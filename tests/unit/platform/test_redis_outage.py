"""The pacing of worker loops while Redis is down: growing jittered delays, one log line per change."""

from __future__ import annotations

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.queue.redis_outage import Backoff, RedisOutage


def test_delays_double_up_to_the_cap_and_start_over_after_a_reset() -> None:
    backoff = Backoff(base_seconds=0.1, cap_seconds=5.0, rng=lambda: 1.0)
    delays = [round(backoff.next_delay(), 3) for _ in range(9)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next_delay() == pytest.approx(0.1)


def test_full_jitter_draws_anywhere_below_the_ceiling() -> None:
    draws = iter([0.0, 0.5])
    backoff = Backoff(base_seconds=1.0, cap_seconds=5.0, rng=lambda: next(draws))
    assert [backoff.next_delay(), backoff.next_delay()] == [0.0, 1.0]


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    outage = RedisOutage(Backoff(rng=lambda: 1.0), clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="lore.queue")
    outage.succeeded()
    states = [outage.down]
    delays = [outage.failed(RedisConnectionError("refused")) for _ in range(50)]
    states.append(outage.down)
    assert max(delays) == 5.0
    now[0] = 112.5
    outage.succeeded()
    outage.succeeded()
    states.append(outage.down)
    assert states == [False, True, False]
    assert [r.getMessage() for r in caplog.records] == ["redis unavailable, backing off", "redis available again"]
    assert caplog.records[0].__dict__["error"] == "ConnectionError: refused"
    assert caplog.records[1].__dict__["down_seconds"] == 12.5
    assert outage.failed(RedisConnectionError("again")) == pytest.approx(0.1)  # the backoff started over
