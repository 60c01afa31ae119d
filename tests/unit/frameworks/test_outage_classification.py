"""Which failures count as a store being down: connection-level ones only, whatever wraps them."""

from __future__ import annotations

import asyncpg.exceptions
import pytest
import redis.exceptions
import sqlalchemy.exc

from adapters.outages import failed_dependency
from domain.shared.errors import DependencyUnavailableError


def _wrapped(outer: Exception, inner: BaseException, *, implicit: bool = False) -> Exception:
    if implicit:
        outer.__context__ = inner
    else:
        outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (sqlalchemy.exc.TimeoutError("QueuePool limit of size 5 overflow 5 reached"), "database"),
        (sqlalchemy.exc.DBAPIError("SELECT 1", None, Exception("closed"), connection_invalidated=True), "database"),
        (_wrapped(RuntimeError("x"), asyncpg.exceptions.CannotConnectNowError("starting up")), "database"),
        (_wrapped(KeyError("x"), asyncpg.exceptions.ConnectionDoesNotExistError("gone"), implicit=True), "database"),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), "database"),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), "database"),
        (redis.exceptions.ConnectionError("Error 2 connecting"), "redis"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "redis"),
        (_wrapped(ValueError("x"), redis.exceptions.BusyLoadingError("loading")), "redis"),
    ],
)
def test_connection_failures_name_the_store(error: Exception, dependency: str) -> None:
    assert failed_dependency(error) == dependency


@pytest.mark.parametrize(
    "error",
    [
        sqlalchemy.exc.ProgrammingError("SELECT nope", None, Exception("relation does not exist")),
        sqlalchemy.exc.IntegrityError("INSERT", None, Exception("duplicate key")),
        sqlalchemy.exc.DBAPIError("SELECT 1", None, Exception("division by zero"), connection_invalidated=False),
        asyncpg.exceptions.QueryCanceledError("canceling statement due to statement timeout"),
        redis.exceptions.ResponseError("WRONGTYPE"),
        FileNotFoundError(2, "No such file or directory"),  # ours (a missing file), not a driver's socket
        ConnectionRefusedError(111, "refused"),
        DependencyUnavailableError("already translated"),
        RuntimeError("a plain bug"),
    ],
)
def test_other_failures_are_no_outage(error: Exception) -> None:
    assert failed_dependency(error) is None


def test_a_cycle_of_causes_ends() -> None:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__context__, second.__context__ = second, first
    assert failed_dependency(first) is None
