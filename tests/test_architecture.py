"""The import-linter contracts are live: a forbidden import makes `lint-imports` fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _broken_contracts(stdout: str) -> list[str]:
    """The names under "Broken contracts" (the summary above it lists every contract, kept or not)."""
    lines = stdout.partition("Broken contracts")[2].splitlines()[2:]
    return [lines[i - 1] for i, line in enumerate(lines) if i and line and set(line) == {"-"}]


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("lint-imports")
    assert executable is not None
    return subprocess.run(
        [executable, "--no-cache"],
        cwd=project,
        # wide enough that no contract name wraps in the report
        env={"PYTHONPATH": str(project / "src"), "PATH": str(Path(executable).parent), "COLUMNS": "500"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project_copy(repo_root: Path, tmp_path: Path) -> Path:
    shutil.copytree(repo_root / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(repo_root / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_contracts_hold_on_the_real_tree(project_copy: Path) -> None:
    result = _lint_imports(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("domain/shared/errors.py", "import sqlalchemy", "free of frameworks"),
        ("application/platform/health.py", "import redis", "free of frameworks"),
        ("domain/shared/errors.py", "import application.platform.health", "Layers point inward"),
        ("entrypoints/http/schemas.py", "import adapters.clock", "only through the bootstrap"),
        ("application/shared/ports.py", "import msgspec", "free of frameworks"),
        ("domain/identity/models.py", "import domain.knowledge.models", "Module order inside each layer"),
        ("application/knowledge/search.py", "import application.assistant.answer", "Module order inside each layer"),
        (
            "adapters/persistence/identity/users.py",
            "import adapters.persistence.knowledge.tables",
            "Module order among the repositories",
        ),
        (
            "entrypoints/http/controllers/summary_tasks.py",
            "import entrypoints.http.controllers.assistant",
            "do not import each other",
        ),
        (
            "entrypoints/http/controllers/summary_tasks.py",
            "import entrypoints.worker.tasks",
            "do not import each other",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_build(project_copy: Path, module: str, statement: str, contract: str) -> None:
    target = project_copy / "src" / module
    target.write_text(target.read_text() + f"\n{statement}  # noqa\n")
    result = _lint_imports(project_copy)
    assert result.returncode != 0
    broken = _broken_contracts(result.stdout)
    assert len(broken) == 1, result.stdout
    assert contract in broken[0], result.stdout
