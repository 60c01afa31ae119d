"""The CLI imports only what the command it runs needs (heavy imports made `lore --help` take seconds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from entrypoints.bootstrap.settings import Settings

HEAVY = ("dishka", "litestar", "openai", "anthropic", "sqlalchemy", "uvicorn", "asyncpg", "redis", "saq", "kreuzberg")

PROBE = """
import json, sys
from entrypoints.cli.main import cli
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

CONTAINER_PROBE = """
import json, sys
from entrypoints.bootstrap.container import build_container
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


# what `lore users list` has no use for: the web stack, the SDKs, Redis and the queue, JWT, the OTel SDK
# (only the API is imported, for the command's root span) and advanced-alchemy (it imports Litestar)
NOT_FOR_USERS = (
    "litestar", "openai", "anthropic", "uvicorn", "redis", "saq", "kreuzberg", "advanced_alchemy", "jwt", "httpx",
    "croniter", "pgvector",
)  # fmt: skip


def _loaded_by(*args: str, env: dict[str, str] | None = None) -> tuple[object, set[str]]:
    code, modules = _modules_loaded_by(*args, env=env)
    return code, {name.split(".")[0] for name in modules}


def _modules_loaded_by(*args: str, env: dict[str, str] | None = None) -> tuple[object, set[str]]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True, timeout=120, env=env
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


def test_help_imports_none_of_the_web_stack_sdks_or_database() -> None:
    code, modules = _loaded_by("--help")

    assert code == 0
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_a_subcommands_help_imports_none_of_them_either() -> None:
    code, modules = _loaded_by("users", "list", "--help")

    assert code == 0
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_the_container_does_not_import_the_llm_sdks_or_the_web_framework() -> None:
    # the CLI's store commands build the container: the SDKs come only with a configured provider
    output = subprocess.run(
        [sys.executable, "-c", CONTAINER_PROBE], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    modules = set(json.loads(output.strip().splitlines()[-1]))

    assert modules.isdisjoint({"openai", "anthropic", "kreuzberg", "uvicorn"}), modules


def _operator_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": settings.require_database_url,
        "JWT_SECRET": settings.jwt_secret,
    }
    env.pop("REDIS_URL", None)  # and no embedded Redis is started for it
    return env


def test_users_list_imports_only_the_database_driver_and_the_identity_module(
    settings: Settings, tmp_path: Path
) -> None:
    code, modules = _modules_loaded_by("users", "list", env=_operator_env(settings, tmp_path))

    assert code == 0
    top = {name.split(".")[0] for name in modules}
    assert "asyncpg" in top  # it did reach the database, on the driver alone: SQLAlchemy was most of its start-up
    assert top.isdisjoint({*NOT_FOR_USERS, "sqlalchemy", "alembic"}), sorted(top & {*NOT_FOR_USERS, "sqlalchemy"})
    assert not {name for name in modules if name.startswith("opentelemetry.sdk")}
    assert not {name for name in modules if name.startswith(("adapters.llm", "adapters.queue", "adapters.redis"))}


def test_api_keys_list_reads_without_sqlalchemy_too(settings: Settings, tmp_path: Path) -> None:
    code, modules = _loaded_by(
        "api-keys", "list", "--email", "nobody@example.org", env=_operator_env(settings, tmp_path)
    )

    assert code == 1  # no such user: the owner was looked up in the database
    assert "asyncpg" in modules
    assert "sqlalchemy" not in modules
