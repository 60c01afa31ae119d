"""A real `lore worker` whose Redis goes away: it waits without spinning, says so once, and resumes."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
import psutil
from litestar.testing import AsyncTestClient

from adapters.embedded.redis import EmbeddedRedis
from adapters.redis.client import create_redis
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.support.api import signed_in
from tests.support.processes import LoreProcess

WINDOW_SECONDS = 5.0
MAX_CORE_SHARE = 0.10  # the worker spun at ~0.9 of a core before it backed off
DOWN_LINE = "redis unavailable, backing off"
BACK_LINE = "redis available again"


def _worker_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LORE_ENV", "DATABASE_URL", "REDIS_URL")}
    return env | {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(data_dir),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "JWT_SECRET": settings.jwt_secret,
        "EMBEDDINGS_BASE_URL": settings.embeddings_base_url or "",
        "EMBEDDINGS_MODEL": settings.embeddings_model,
        "LOG_LEVEL": "INFO",
    }


async def _poll(condition_name: str, check: Callable[[], bool | Awaitable[bool]], limit_seconds: float = 60) -> None:
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        outcome = check()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {limit_seconds} s: {condition_name}")


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def test_a_worker_waits_out_a_redis_outage_without_spinning_and_resumes(
    kb_settings: Settings, tmp_path: Path
) -> None:
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    settings = msgspec.structs.replace(kb_settings, redis_url=redis.url)
    worker = LoreProcess(_worker_env(settings, tmp_path / "data"), "worker")
    try:
        client_of_redis = create_redis(redis.url)
        try:

            async def heartbeat_recorded() -> bool:
                return bool(await client_of_redis.exists("lore:worker:heartbeat"))

            await _poll("the worker records its first heartbeat", heartbeat_recorded)
        finally:
            await client_of_redis.aclose()

        redis.stop()
        await _poll("the worker notices Redis is gone", lambda: DOWN_LINE in worker.stderr)
        process = psutil.Process(worker.popen.pid)
        lines_before = len(worker.stderr.splitlines())
        cpu_before, wall_before = _cpu_seconds(process), time.monotonic()
        await asyncio.sleep(WINDOW_SECONDS)
        cpu_used, wall = _cpu_seconds(process) - cpu_before, time.monotonic() - wall_before
        assert worker.popen.poll() is None, worker.stderr
        # CPU time is what the worker itself used, so a loaded machine cannot inflate it
        assert cpu_used / wall < MAX_CORE_SHARE, f"{cpu_used:.2f} s of CPU in {wall:.1f} s"
        logged = worker.stderr.splitlines()[lines_before:]
        assert len(logged) <= 2, "\n".join(logged)  # not a line per attempt (there are dozens of attempts)
        assert worker.stderr.count(DOWN_LINE) == 1

        redis.start()
        async with AsyncTestClient(app=create_app(settings)) as client:
            editor = await signed_in(client, "ed@example.org", Role.EDITOR)
            collection = await new_collection(client, editor)
            response = await add_text(client, editor, collection, "After", "Written once Redis was back.")
            assert response.status_code == 202, response.text
            ready = await wait_for_status(client, editor, response.json()["data"]["id"], timeout=60)
            assert ready["chunk_count"] == 1
        await _poll("the worker says Redis is back", lambda: BACK_LINE in worker.stderr)
        assert worker.stderr.count(BACK_LINE) == 1
    finally:
        worker.stop(signal.SIGTERM)
        redis.stop()
