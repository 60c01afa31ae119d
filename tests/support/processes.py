"""Find the OS processes of an embedded store by its data folder; run `lore` as a real subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psutil

if TYPE_CHECKING:
    from entrypoints.bootstrap.settings import Settings

# a wait, not a bound under test: a fresh process (imports, migrations, embedded stores) on a loaded machine
# has taken over a minute to answer /health/ready
STARTUP_LIMIT_SECONDS = 180


def processes_using(path: Path) -> list[psutil.Process]:
    needle = str(path)
    found = []
    for process in psutil.process_iter(["name", "cmdline", "status"]):
        try:
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(needle in part for part in process.info["cmdline"] or []):
                found.append(process)
        except psutil.Error:
            continue
    return found


def store_names(path: Path) -> set[str]:
    """The store servers (not lore itself) running on a data folder: {"postgres", "redis-server"}."""
    names = set()
    for process in processes_using(path):
        try:
            names.add(process.name())
        except psutil.Error:
            continue
    return names & {"postgres", "redis-server"}


def wait_until_no_process_uses(path: Path, limit_seconds: float = 30) -> list[psutil.Process]:
    """Poll until nothing runs on ``path``; what still runs when the limit is reached."""
    deadline = time.monotonic() + limit_seconds
    while (left := processes_using(path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `lore` on embedded stores in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "LORE_ENV")}
    return env | {"LORE_DATA_DIR": str(data_dir)} | extra


def stores_env(settings: Settings, data_dir: Path, *, drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """The environment of a `lore` on the test run's stores (``settings``), without the variables in ``drop``."""
    env = {k: v for k, v in os.environ.items() if k not in ("LORE_ENV", *drop)}
    return env | {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(data_dir),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "JWT_SECRET": settings.jwt_secret,
        **extra,
    }


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[LoreProcess, str]]:
    """A ready `lore serve` on a free port and its base URL until the block ends; it must then stop cleanly."""
    port = free_port()
    process = LoreProcess(env, "serve", "--port", str(port))
    try:
        process.wait_ready(port)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        assert process.stop(signal.SIGTERM) == 0, process.stderr


def lore(*args: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


def run_lore(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(lore(*args), env=env, capture_output=True, text=True, timeout=120, check=False)


class LoreProcess:
    """A running `lore ...`; stderr goes to a file, so a chatty run never blocks on a full pipe."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self._stderr_at_exit: str | None = None
        self.popen = subprocess.Popen(lore(*args), env=env, stdout=subprocess.DEVNULL, stderr=self._stderr)

    @property
    def stderr(self) -> str:
        if self._stderr_at_exit is not None:
            return self._stderr_at_exit
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def wait_ready(self, port: int) -> httpx.Response:
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, self.stderr
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"/health/ready was not 200 within {STARTUP_LIMIT_SECONDS} s")

    def stop(self, sig: signal.Signals, limit_seconds: float = 60) -> int:
        """Send ``sig`` and wait (at most ``limit_seconds``) for the exit code; idempotent."""
        if self._stderr_at_exit is None:
            if self.popen.poll() is None:
                self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=limit_seconds)
            finally:
                if self.popen.poll() is None:
                    self.popen.kill()
                    self.popen.wait()
                self._stderr_at_exit = self.stderr
                self._stderr.close()
        return self.popen.returncode


def error_lines(stderr: str) -> list[str]:
    """Lines of stderr that report a failure: tracebacks, ERROR/CRITICAL logs, "lore: ..." and "error: ..."."""
    return [
        line
        for line in stderr.splitlines()
        if "Traceback" in line
        or '"level":"ERROR"' in line
        or '"level":"CRITICAL"' in line
        or line.startswith(("lore:", "error"))
    ]
