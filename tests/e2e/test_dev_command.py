"""`lore dev` on a fresh folder: ready, clean stop, no orphaned stores; `lore serve` with several workers."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import LoreProcess, embedded_env, free_port, processes_using

STOP_LIMIT_SECONDS = 60


def _start(data_dir: Path, port: int) -> LoreProcess:
    # stderr to a file (LoreProcess): a pipe nobody reads fills up with log lines, and the server then blocks
    return LoreProcess(embedded_env(data_dir), "dev", "--port", str(port))


def _stop(process: LoreProcess, sig: signal.Signals) -> int:
    return process.stop(sig, STOP_LIMIT_SECONDS)


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_dev_serves_on_embedded_stores_and_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    data_dir = tmp_path / "lore-data"
    port = free_port()
    process = _start(data_dir, port)
    try:
        response = process.wait_ready(port)
        assert response.json()["data"]["checks"] == {"postgres": "ok", "redis": "ok"}
        assert processes_using(data_dir), "embedded stores should be running"
    finally:
        code = _stop(process, stop_signal)
    assert code == 0  # a clean stop is a success, whichever signal asked for it
    assert "Traceback" not in process.stderr, process.stderr
    assert processes_using(data_dir) == []

    # a second run reuses the same data folder
    port = free_port()
    process = _start(data_dir, port)
    try:
        process.wait_ready(port)
    finally:
        _stop(process, signal.SIGINT)
    assert processes_using(data_dir) == []


@pytest.mark.slow
def test_serve_runs_several_workers_on_configured_stores(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "LORE_ENV"}
    env |= {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "JWT_SECRET": settings.jwt_secret,
    }
    process = LoreProcess(env, "serve", "--port", str(port), "--workers", "2")
    try:
        response = process.wait_ready(port)
        assert response.json()["data"]["status"] == "ready"
        assert httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=60).status_code == 200
    finally:
        code = _stop(process, signal.SIGTERM)
    assert code == 0
    assert processes_using(tmp_path) == []
