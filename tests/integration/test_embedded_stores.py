"""Embedded Postgres and Redis: start, persist across restarts, reuse, stop without orphans."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis

from adapters.embedded import redis as redis_module
from adapters.embedded.holders import locked_holders
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


def test_starting_or_stopping_redis_twice_holds_or_releases_it_once(tmp_path: Path) -> None:
    store = EmbeddedRedis(tmp_path / "r")
    store.start()
    store.start()
    store.stop()
    store.stop()
    assert processes_using(tmp_path / "r") == []


def test_redis_outlives_the_holder_that_started_it_while_another_holds_it(tmp_path: Path) -> None:
    first, second = EmbeddedRedis(tmp_path / "r"), EmbeddedRedis(tmp_path / "r")
    first.start()
    second.start()
    try:
        first.stop()
        client = redis.Redis(unix_socket_path=str(second.socket_path))
        assert client.ping()
        client.close()
    finally:
        second.stop()
    assert processes_using(tmp_path / "r") == []


def test_a_running_redis_that_does_not_answer_yet_is_waited_for_not_doubled(tmp_path: Path) -> None:
    first, second = EmbeddedRedis(tmp_path / "r"), EmbeddedRedis(tmp_path / "r")
    first.start()
    assert first.pid is not None
    try:
        os.kill(first.pid, signal.SIGSTOP)  # as busy as a server loading a large AOF
        try:
            with pytest.raises(RuntimeError, match="did not start"):
                second.start(timeout_seconds=1)
            assert len(processes_using(tmp_path / "r")) == 1  # no second server on the same files
        finally:
            os.kill(first.pid, signal.SIGCONT)
        second.start()
        assert second.pid is None
        second.stop()
    finally:
        first.stop()
    assert processes_using(tmp_path / "r") == []


def _holder_killed_after_start(kind: str, data_dir: Path) -> None:
    """A process that starts an embedded store on ``data_dir`` and is SIGKILLed: it never stops it."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from adapters.embedded.postgres import EmbeddedPostgres\n"
        "from adapters.embedded.redis import EmbeddedRedis\n"
        f"store = {kind}(Path(sys.argv[1]))\n"
        "store.start()\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script, str(data_dir)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"started\n"
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_redis_orphaned_by_a_killed_holder_is_adopted_and_stopped(tmp_path: Path) -> None:
    data = tmp_path / "r"
    _holder_killed_after_start("EmbeddedRedis", data)
    assert len(processes_using(data)) == 1, "the server should have outlived its killed holder"

    store = EmbeddedRedis(data)
    store.start()
    assert store.pid is None  # the running server was adopted, not a second one spawned
    store.stop()
    assert processes_using(data) == []


def test_postgres_orphaned_by_a_killed_holder_is_adopted_and_stopped(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    _holder_killed_after_start("EmbeddedPostgres", data)
    assert len(processes_using(data)) == 1, "the server should have outlived its killed holder"

    server = EmbeddedPostgres(data)
    server.start()
    server.stop()
    assert processes_using(data) == []


def test_postgres_is_stopped_when_its_other_holder_died_meanwhile(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    server = EmbeddedPostgres(data)
    server.start()
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        handles = data / ".handle_pids.json"
        handles.write_text(json.dumps([*json.loads(handles.read_text()), dead.pid]))
    finally:
        server.stop()
    assert processes_using(data) == []


def test_redis_that_never_answers_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.embedded.redis.find_redis_server", lambda: "/bin/true")
    with pytest.raises(RuntimeError, match="did not start"):
        EmbeddedRedis(tmp_path / "r").start(timeout_seconds=0.5)


def test_holder_list_keeps_only_live_holders(tmp_path: Path) -> None:
    path = tmp_path / "holders.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with locked_holders(path) as holders:
        assert holders.live() == []
        holders.add(os.getpid())
        holders.add(dead.pid)
        holders.add(os.getpid())
        assert holders.live() == [os.getpid(), os.getpid()]
        holders.remove(os.getpid())
        assert holders.recorded() == [os.getpid()]
    path.write_text('[1, "x"')  # torn by a crash mid-write
    with locked_holders(path) as holders:
        assert holders.live() == []


# A stand-in for redis-server with a background save running: the server exits on SIGTERM at once, as Redis
# does after signalling its save child, and the child (which writes into the data folder) lives on.
_SERVER_WITH_A_SAVE_CHILD = """
import os, signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
print(child.pid, flush=True)
time.sleep(120)
"""


def test_stopping_redis_waits_for_the_child_it_leaves_behind(tmp_path: Path) -> None:
    server = subprocess.Popen([sys.executable, "-c", _SERVER_WITH_A_SAVE_CHILD], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    child = psutil.Process(int(server.stdout.readline()))
    try:
        redis_module._terminate(server.pid, timeout_seconds=1)
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    finally:
        for pid in (child.pid, server.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.wait()


def test_redis_that_survives_sigkill_is_an_error_not_a_clean_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
         "print(flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert stubborn.stdout is not None
    stubborn.stdout.readline()  # SIGTERM is ignored from here on
    monkeypatch.setattr(psutil.Process, "kill", lambda self: None)  # as a process stuck in the kernel
    try:
        with pytest.raises(RuntimeError, match="could not be stopped"):
            redis_module._terminate(stubborn.pid, timeout_seconds=0.2)
    finally:
        stubborn.kill()
        stubborn.wait()
