"""`GET /api/v1/admin/status` and `lore status` against a real `lore worker`: a backlog shows with its age,
a live worker shows as alive, and a SIGKILLed one stops counting once its heartbeat expires."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.queue.saq_queue import create_queue
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from tests.support.api import Account, Client, assert_error, signed_in
from tests.support.processes import LoreProcess, run_lore

STATUS = "/api/v1/admin/status"
# a report lives 11 s (SAQ's worker_info timer + 1); the rest is margin for a loaded machine
DEADLINE_SECONDS = 90


def _env(settings: Settings, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LORE_ENV"}
    return env | {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(data_dir),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "WORKER_QUEUE": settings.worker_queue,
        "JWT_SECRET": settings.jwt_secret,
    }


async def _status(client: Client, admin: Account) -> dict[str, Any]:
    response = await client.get(STATUS, headers=admin.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def _until(
    client: Client, admin: Account, condition: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        status = await _status(client, admin)
        if condition(status):
            return status
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what} within {DEADLINE_SECONDS} s; last: {status}")


async def _enqueue_backlog(settings: Settings, count: int) -> None:
    queue = create_queue(settings.require_redis_url, settings.worker_queue, job_heartbeat_seconds=5)
    try:
        for _ in range(count):
            await queue.enqueue("heartbeat")
    finally:
        await queue.disconnect()


def _queue(status: dict[str, Any]) -> dict[str, Any]:
    (queue,) = status["queues"]
    assert isinstance(queue, dict)
    return queue


async def _lore_status(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    done = await asyncio.to_thread(run_lore, env, "status", *args)
    return done.returncode, done.stdout, done.stderr


async def test_status_shows_the_backlog_a_live_worker_and_a_dead_one(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    admin = await signed_in(client, "root@example.org", Role.ADMIN)
    env = _env(settings, tmp_path)
    await _enqueue_backlog(settings, 3)

    idle = await _status(client, admin)
    queue = _queue(idle)
    assert (queue["name"], queue["queued"], queue["alive_workers"], queue["workers"]) == (
        settings.worker_queue,
        3,
        0,
        [],
    )
    assert queue["oldest_waiting_seconds"] is not None
    assert idle["healthy"] is False
    code, out, err = await _lore_status(env)
    assert code == 1
    assert "3 queued" in out
    assert "no live worker" in err

    worker = LoreProcess(env, "worker")
    try:
        alive = await _until(
            client,
            admin,
            lambda s: _queue(s)["alive_workers"] == 1 and _queue(s)["queued"] == 0,
            "the worker did not report and drain the queue",
        )
        assert alive["healthy"] is True
        (report,) = _queue(alive)["workers"]
        assert report["alive"] is True
        assert _queue(alive)["oldest_waiting_seconds"] is None
        code, out, _ = await _lore_status(env)
        assert code == 0
        assert f"worker {report['worker_id']}: alive" in out

        worker.popen.send_signal(signal.SIGKILL)
        worker.popen.wait(timeout=30)
        dead = await _until(
            client, admin, lambda s: _queue(s)["alive_workers"] == 0, "the killed worker still counted as alive"
        )
        assert dead["healthy"] is False
        assert all(not w["alive"] for w in _queue(dead)["workers"])  # stale until its entry is pruned
        code, _, err = await _lore_status(env)
        assert code == 1
        assert "no live worker" in err
        code, out, _ = await _lore_status(env, "--json")
        assert code == 1
        as_json = json.loads(out)
        assert as_json["healthy"] is False
        assert as_json["queues"][0]["name"] == settings.worker_queue
    finally:
        worker.stop(signal.SIGKILL)


async def test_status_is_for_admins(client: Client) -> None:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    assert_error(await client.get(STATUS, headers=editor.headers), 403, "FORBIDDEN")
    assert_error(await client.get(STATUS), 401, "UNAUTHENTICATED")


async def test_readiness_does_not_depend_on_workers(client: Client) -> None:
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert set(ready.json()["data"]["checks"]) == {"postgres", "redis"}
