"""The import-linter contracts are live: a forbidden import makes `lint-imports` fail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("lint-imports")
    assert executable is not None
    return subprocess.run(
        [executable, "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project / "src"), "PATH": str(Path(executable).parent)},
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
        ("domain/shared/errors.py", "import application.platform.health", "Layers"),
        ("entrypoints/http/schemas.py", "import adapters.clock", "only through the bootstrap"),
        ("application/shared/ports.py", "import msgspec", "free of frameworks"),
        ("domain/identity/models.py", "import domain.knowledge.models", "Module order inside each layer"),
        ("application/knowledge/search.py", "import application.assistant.answer", "Module order inside each layer"),
        ("adapters/persistence/identity/users.py", "import adapters.persistence.knowledge.tables", "repositories"),
        (
            "entrypoints/http/controllers/summary_tasks.py",
            "import entrypoints.http.controllers.assistant",
            "controllers",
        ),
        ("entrypoints/http/controllers/summary_tasks.py", "import entrypoints.worker.tasks", "controllers"),
    ],
)
def test_a_forbidden_import_breaks_the_build(project_copy: Path, module: str, statement: str, contract: str) -> None:
    target = project_copy / "src" / module
    target.write_text(target.read_text() + f"\n{statement}  # noqa\n")
    result = _lint_imports(project_copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert contract in result.stdout
