"""`lore dev` on a fresh folder: ready within 60 s, clean stop, no orphaned stores."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import processes_using

STARTUP_LIMIT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "LORE_ENV")}
    env["LORE_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_ready(process: subprocess.Popen[bytes], port: int) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"/health/ready was not 200 within {STARTUP_LIMIT_SECONDS} s")


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> int:
    process.send_signal(sig)
    try:
        return process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_dev_serves_on_embedded_stores_and_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    data_dir = tmp_path / "lore-data"
    port = _free_port()
    process = _start(data_dir, port)
    try:
        response = _wait_ready(process, port)
        assert response.json()["data"]["checks"] == {"postgres": "ok", "redis": "ok"}
        assert processes_using(data_dir), "embedded stores should be running"
    finally:
        code = _stop(process, stop_signal)
    assert code == 0  # a clean stop is a success, whichever signal asked for it
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" not in stderr, stderr
    assert processes_using(data_dir) == []

    # a second run reuses the same data folder
    port = _free_port()
    process = _start(data_dir, port)
    try:
        _wait_ready(process, port)
    finally:
        _stop(process, signal.SIGINT)
    assert processes_using(data_dir) == []


@pytest.mark.slow
def test_serve_runs_several_workers_on_configured_stores(settings: Settings, tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "LORE_ENV"}
    env |= {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "JWT_SECRET": settings.jwt_secret,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        response = _wait_ready(process, port)
        assert response.json()["data"]["status"] == "ready"
        assert httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=5).status_code == 200
    finally:
        code = _stop(process, signal.SIGTERM)
    assert code == 0
    assert processes_using(tmp_path) == []
