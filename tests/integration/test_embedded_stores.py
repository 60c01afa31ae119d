"""Embedded Postgres and Redis: start, persist across restarts, reuse, stop without orphans."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
import redis

from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis, find_redis_server
from tests.support.processes import processes_using


def test_redis_persists_across_restart_and_stops_cleanly(tmp_path: Path) -> None:
    store = EmbeddedRedis(tmp_path / "redis")
    store.start()
    try:
        client = redis.Redis(unix_socket_path=str(store.socket_path))
        client.set("kept", "yes")
        client.close()
    finally:
        store.stop()
    assert processes_using(tmp_path / "redis") == []

    store.start()
    try:
        client = redis.Redis(unix_socket_path=str(store.socket_path))
        assert client.get("kept") == b"yes"
        client.close()
    finally:
        store.stop()
    assert processes_using(tmp_path / "redis") == []


def test_second_redis_on_same_folder_reuses_the_running_server(tmp_path: Path) -> None:
    first, second = EmbeddedRedis(tmp_path / "r"), EmbeddedRedis(tmp_path / "r")
    first.start()
    try:
        second.start()
        assert second.pid is None  # reused, not spawned
        second.stop()
        assert first.pid is not None
        assert len(processes_using(tmp_path / "r")) == 1
    finally:
        first.stop()


def test_redis_falls_back_to_a_temp_socket_for_long_paths(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    store = EmbeddedRedis(deep)
    assert len(str(store.socket_path)) < 108
    assert store.url.startswith("unix://")


def test_redis_server_is_found() -> None:
    assert Path(find_redis_server()).name == "redis-server"


def test_redis_start_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.embedded.redis.find_redis_server", lambda: "/bin/false")
    with pytest.raises(RuntimeError, match="did not start"):
        EmbeddedRedis(tmp_path / "r").start(timeout_seconds=2)


def test_postgres_keeps_data_across_restart(tmp_path: Path) -> None:
    async def write(url: str) -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('yes')")
        finally:
            await conn.close()

    async def read(url: str) -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(await conn.fetchval("SELECT v FROM kept"))
        finally:
            await conn.close()

    data = tmp_path / "pg"
    server = EmbeddedPostgres(data, database="kept_db")
    server.start()
    try:
        asyncio.run(server.ensure_database())
        asyncio.run(server.ensure_database())  # idempotent
        asyncio.run(write(server.url()))
        assert server.pid is not None
    finally:
        server.stop()
    assert processes_using(data) == []

    server.start()
    try:
        assert asyncio.run(read(server.url())) == "yes"
    finally:
        server.stop()
    assert processes_using(data) == []
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.socket_dir
