"""The registry of work that outlives its request holds each task only while it runs (no growth per request)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from entrypoints.http.background import BackgroundTasks


async def _finish() -> str:
    await asyncio.sleep(0)
    return "done"


async def _fail() -> None:
    await asyncio.sleep(0)
    raise RuntimeError("broken")


async def test_finished_failed_and_cancelled_tasks_all_leave_the_registry(caplog: pytest.LogCaptureFixture) -> None:
    background = BackgroundTasks()
    done = [background.spawn(_finish()) for _ in range(50)]
    failed = background.spawn(_fail())
    hanging = background.spawn(asyncio.Event().wait())
    await asyncio.gather(*done, failed, return_exceptions=True)
    hanging.cancel()
    await asyncio.gather(hanging, return_exceptions=True)
    await asyncio.sleep(0)  # done callbacks run on the next loop turn
    assert background._tasks == set()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == ["background task failed"]


async def test_drain_cancels_what_outlasts_the_timeout() -> None:
    background = BackgroundTasks()
    hanging = background.spawn(asyncio.Event().wait())
    await background.drain(timeout_seconds=0.01)
    assert hanging.cancelled()
    await asyncio.sleep(0)
    assert background._tasks == set()
