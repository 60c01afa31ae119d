"""`lore` as a process: SIGKILL-orphaned stores are adopted, a taken port fails in one line, clean stops exit 0."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest

from tests.support.processes import (
    LoreProcess,
    embedded_env,
    error_lines,
    free_port,
    processes_using,
    run_lore,
    store_names,
    wait_until_no_process_uses,
)

STORES = {"postgres", "redis-server"}


def _crash_dev(data_dir: Path) -> None:
    """Run `lore dev` until ready, then SIGKILL it: it gets no chance to stop its stores."""
    port = free_port()
    crashed = LoreProcess(embedded_env(data_dir), "dev", "--port", str(port))
    try:
        crashed.wait_ready(port)
    finally:
        crashed.stop(signal.SIGKILL)
    assert store_names(data_dir) == STORES, "SIGKILL should have orphaned both stores"


@pytest.mark.slow
def test_stores_orphaned_by_sigkill_are_adopted_by_the_next_dev_and_stopped_with_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "lore-data"
    _crash_dev(data_dir)

    port = free_port()
    dev = LoreProcess(embedded_env(data_dir), "dev", "--port", str(port))
    try:
        dev.wait_ready(port)
        # a CLI command meanwhile shares the stores and leaves them to the live `lore dev`
        listed = run_lore(embedded_env(data_dir), "users", "list")
        assert listed.returncode == 0, listed.stderr
        assert store_names(data_dir) == STORES
        assert dev.wait_ready(port).json()["data"]["checks"] == {"postgres": "ok", "redis": "ok"}
    finally:
        code = dev.stop(signal.SIGTERM)
    assert code == 0, dev.stderr
    assert wait_until_no_process_uses(data_dir) == []


@pytest.mark.slow
def test_a_cli_command_after_a_crash_stops_the_orphaned_stores(tmp_path: Path) -> None:
    data_dir = tmp_path / "lore-data"
    _crash_dev(data_dir)

    listed = run_lore(embedded_env(data_dir), "users", "list")
    assert listed.returncode == 0, listed.stderr
    assert wait_until_no_process_uses(data_dir) == []


@pytest.mark.slow
@pytest.mark.parametrize("command", ["dev", "serve"])
def test_sigterm_stops_at_once_and_exits_0(tmp_path: Path, command: str) -> None:
    data_dir = tmp_path / "lore-data"
    port = free_port()
    # were idle worker slots (`lore dev`) given the grace period, the stop would take ten minutes, not under one
    env = embedded_env(data_dir, WORKER_SHUTDOWN_GRACE_SECONDS="600")
    process = LoreProcess(env, command, "--port", str(port))
    try:
        process.wait_ready(port)
    finally:
        code = process.stop(signal.SIGTERM, limit_seconds=60)
    assert code == 0, process.stderr
    assert error_lines(process.stderr) == []
    assert "shutdown grace period" not in process.stderr
    assert wait_until_no_process_uses(data_dir) == []


@pytest.mark.parametrize("command", ["dev", "serve"])
def test_a_port_in_use_fails_in_one_line_before_the_stores_start(tmp_path: Path, command: str) -> None:
    data_dir = tmp_path / "lore-data"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        result = run_lore(embedded_env(data_dir), command, "--port", str(port))
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        f"lore: port {port} on 127.0.0.1 is already in use; pass --port or stop the other server"
    ]
    assert "Lore is up" not in result.stderr
    assert not (data_dir / "postgres").exists()
    assert processes_using(data_dir) == []
