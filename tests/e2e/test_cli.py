"""The `lore` command: help everywhere, config errors in one line, migrate on configured stores."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner

from entrypoints.cli.main import cli
from tests.support.stores import Stores

COMMANDS = ["dev", "serve", "worker", "migrate", "openapi"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: lore" in result.output


def test_serve_help_lists_its_options() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    for option in ("--host", "--port", "--workers"):
        assert option in result.output


def test_production_without_settings_fails_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["migrate"], env={"LORE_ENV": "production", "LORE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("lore:")]
    assert lines == ["lore: configuration error: DATABASE_URL is required in production"]


def test_migrate_up_and_down_against_configured_stores(stores: Stores, tmp_path: Path) -> None:
    asyncio.run(stores.postgres.ensure_database("lore_cli"))
    env = {
        "LORE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": stores.postgres.url("lore_cli"),
        "REDIS_URL": stores.redis.url,
        "LORE_ENV": "test",
    }

    async def has_vector() -> bool:
        conn = await asyncpg.connect(stores.postgres.url("lore_cli"))
        try:
            return bool(await conn.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'vector'"))
        finally:
            await conn.close()

    result = CliRunner().invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert asyncio.run(has_vector())
    result = CliRunner().invoke(cli, ["migrate", "--down", "base"], env=env)
    assert result.exit_code == 0, result.output
    assert not asyncio.run(has_vector())


@pytest.mark.parametrize(
    ("command", "store"),
    [
        (["status"], "The cache and rate-limit store is unavailable"),
        (["audit", "verify"], "The database is unavailable"),
        (["users", "list"], "The database is unavailable"),
    ],
)
def test_a_store_that_is_down_fails_in_one_line(command: list[str], store: str, tmp_path: Path) -> None:
    nowhere = tmp_path / "nowhere"  # no server listens on a socket in a folder that does not exist
    env = {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"postgresql://postgres@/lore?host={nowhere}",
        "REDIS_URL": f"unix://{nowhere}/redis.sock",
        "JWT_SECRET": "x" * 48,
    }
    result = CliRunner().invoke(cli, command, env=env)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"Error: SERVICE_UNAVAILABLE: {store}; try again shortly."]
