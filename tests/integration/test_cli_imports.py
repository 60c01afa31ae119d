"""The CLI imports only what the command it runs needs (heavy imports made `lore --help` take seconds)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("dishka", "litestar", "openai", "anthropic", "sqlalchemy", "uvicorn", "asyncpg", "redis", "saq", "kreuzberg")

PROBE = """
import json, sys
from entrypoints.cli.main import cli
try:
    cli(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted({name.split(".")[0] for name in sys.modules})}))
"""

CONTAINER_PROBE = """
import json, sys
from entrypoints.bootstrap.container import build_container
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _loaded_by(*args: str) -> tuple[object, set[str]]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True, timeout=120
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
