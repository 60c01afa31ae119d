"""The coalescer's failure paths: a failed batch retried item by item, and a ``send`` giving the wrong count."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Sequence
from typing import Any

import pytest

from application.knowledge.coalescing import Coalescer


async def _together(coalescer: Coalescer[int, int], *items: int) -> list[int | BaseException]:
    return await asyncio.gather(*(coalescer.submit(item) for item in items), return_exceptions=True)


async def test_a_failed_batch_is_logged_once_and_each_item_sent_alone(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[list[int]] = []

    async def send(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        if len(items) > 1 or items[0] == 2:
            raise ValueError(f"refused {list(items)}")
        return [item * 10 for item in items]

    coalescer: Coalescer[int, int] = Coalescer(send, max_size=10, linger_seconds=0.01)
    with caplog.at_level(logging.WARNING, logger="application.knowledge.coalescing"):
        results = await _together(coalescer, 1, 2, 3)

    assert (results[0], results[2]) == (10, 30)
    assert isinstance(results[1], ValueError)
    assert calls == [[1, 2, 3], [1], [2], [3]]
    [record] = caplog.records
    assert "a batch of 3 items failed" in record.getMessage()
    assert record.exc_info is not None
    assert "refused [1, 2, 3]" in str(record.exc_info[1])


@pytest.mark.parametrize("count", [2, 4])
async def test_a_send_giving_the_wrong_number_of_results_fails_every_caller(count: int) -> None:
    async def send(items: Sequence[int]) -> list[int]:
        return list(range(count)) if len(items) > 1 else [0]

    unhandled: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: unhandled.append(context))
    try:
        coalescer: Coalescer[int, int] = Coalescer(send, max_size=10, linger_seconds=0.01)
        results = await _together(coalescer, 1, 2, 3)
        for _ in range(10):  # let the batch task finish and be collected
            await asyncio.sleep(0)
        gc.collect()
    finally:
        loop.set_exception_handler(None)

    assert all(isinstance(result, RuntimeError) for result in results), results  # none resolved half-way
    assert f"a batch of 3 items gave {count} results" in str(results[0])
    assert unhandled == []
