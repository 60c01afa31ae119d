"""Which live processes hold a shared embedded store: a JSON list of pids, locked with flock.

A store is shared by every Lore process on the same data folder and the last
one to leave stops it. A process killed with SIGKILL never leaves, so its pid is
pruned once it is dead; a server left with no live holder is an orphan that the
next holder adopts (and so stops when it leaves).
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil


def is_alive(pid: int) -> bool:
    """A zombie is dead: it only waits for its parent to reap it."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # pragma: no cover - another user's process: it exists
        return True


def live_pids(pids: list[int]) -> list[int]:
    return [pid for pid in pids if is_alive(pid)]


class Holders:
    """The holder list of one store; use it only under a lock (:func:`locked_holders`)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def recorded(self) -> list[int]:
        return self._read()

    def live(self) -> list[int]:
        """The holders still alive; dead ones are dropped from the file."""
        pids = self._read()
        alive = live_pids(pids)
        if alive != pids:
            self._write(alive)
        return alive

    def add(self, pid: int) -> None:
        # one entry per holder, so two holders in one process count twice
        self._write([*self._read(), pid])

    def remove(self, pid: int) -> None:
        pids = self._read()
        if pid in pids:
            pids.remove(pid)
            self._write(pids)

    def _read(self) -> list[int]:
        try:
            raw = json.loads(self._path.read_text())
        except (FileNotFoundError, ValueError):
            return []  # none yet, or torn by a crash mid-write: the live server is then adopted
        return [pid for pid in raw if isinstance(pid, int)] if isinstance(raw, list) else []

    def _write(self, pids: list[int]) -> None:
        temporary = self._path.with_suffix(".tmp")
        temporary.write_text(json.dumps(pids))
        temporary.replace(self._path)


@contextmanager
def locked_holders(path: Path) -> Iterator[Holders]:
    """The holder list at ``path``, with every other process kept out until the block ends.

    flock is released by the kernel when its holder dies, so a crash never leaves it taken.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield Holders(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
