"""Which store a failure says is down: connection-level errors of Postgres, Redis and the job queue.

Only failures to reach a store count; a store that answers with an error (a bad query,
a constraint, a script error) is a bug or a conflict, and stays what it is.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Literal

import asyncpg.exceptions as pg

from domain.shared.errors import DependencyUnavailableError

Dependency = Literal["database", "redis", "queue", "storage"]

_MESSAGES: dict[Dependency, str] = {
    "database": "The database is unavailable; try again shortly.",
    "redis": "The cache and rate-limit store is unavailable; try again shortly.",
    "queue": "The job queue is unavailable; try again shortly.",
    "storage": "The file store is unavailable; try again shortly.",
}

_POSTGRES_DOWN = (
    pg.PostgresConnectionError,  # class 08, including "connection does not exist"
    pg.CannotConnectNowError,  # starting up or shutting down
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    pg.TooManyConnectionsError,
)


def unavailable(dependency: Dependency) -> DependencyUnavailableError:
    return DependencyUnavailableError(_MESSAGES[dependency], details={"dependency": dependency})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _raised_through(exc: BaseException, package: str) -> bool:
    """Whether the traceback passes through ``package``: tells a driver's socket error from any other OSError."""
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module == package or module.startswith(package + "."):
            return True
        tb = tb.tb_next
    return False


def _database_down(exc: BaseException) -> bool:
    # SQLAlchemy's errors are looked up, not imported, as redis-py's are below: the CLI's reads run on asyncpg alone
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is not None:
        if isinstance(exc, errors.DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, errors.TimeoutError):  # no pooled connection in time
            return True
    if isinstance(exc, _POSTGRES_DOWN):
        return True
    return isinstance(exc, OSError) and _raised_through(exc, "asyncpg")


def _redis_down(exc: BaseException) -> bool:
    # looked up, not imported: a command on the database alone never loads redis-py (whose import is slow),
    # and until it is loaded nothing raised can have come from it
    errors = sys.modules.get("redis.exceptions")
    if errors is None:
        return False
    if isinstance(exc, (errors.ConnectionError, errors.TimeoutError)):
        return True
    return isinstance(exc, OSError) and _raised_through(exc, "redis")


def failed_dependency(exc: BaseException) -> Dependency | None:
    """The store ``exc`` (or an error it was raised from or while handling) says cannot be reached."""
    if isinstance(exc, DependencyUnavailableError):
        return None  # already translated
    for link in _chain(exc):
        if _database_down(link):
            return "database"
        if _redis_down(link):
            return "queue" if _raised_through(exc, "saq") else "redis"
    return None


def is_database_outage(exc: BaseException) -> bool:
    return failed_dependency(exc) == "database"


@contextmanager
def redis_outage_unavailable() -> Iterator[None]:
    """Inside, Redis being unreachable raises DependencyUnavailableError (the caller fails closed)."""
    try:
        yield
    except Exception as exc:
        if failed_dependency(exc) != "redis":
            raise
        raise unavailable("redis") from exc


@contextmanager
def queue_outage_unavailable() -> Iterator[None]:
    """Inside, the job queue's Redis being unreachable raises DependencyUnavailableError naming the queue."""
    try:
        yield
    except Exception as exc:
        if failed_dependency(exc) not in ("queue", "redis"):
            raise
        raise unavailable("queue") from exc


class OutageLog:
    """One warning when a store becomes unreachable and one line when it is back, not one per request."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger = logger
        self._what = what
        self._down = False

    def failed(self, exc: BaseException) -> None:
        if not self._down:
            self._down = True
            self._logger.warning("%s unavailable: %s", self._what, type(exc).__name__)

    def succeeded(self) -> None:
        if self._down:
            self._down = False
            self._logger.info("%s available again", self._what)

    def redis_fail_open(self) -> RedisFailOpen:
        """Redis down: the block is skipped as if its answer were empty, warning once per outage; other errors raise."""
        return RedisFailOpen(self)


class RedisFailOpen:
    """``OutageLog.redis_fail_open``; a class whose ``__exit__`` says ``bool``, so type checkers know the
    block may end early and code after it can test what the block assigned."""

    def __init__(self, log: OutageLog) -> None:
        self._log = log

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool:
        if exc is None:
            self._log.succeeded()
            return False
        if not isinstance(exc, Exception) or failed_dependency(exc) != "redis":
            return False
        self._log.failed(exc)
        return True
