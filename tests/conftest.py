"""Only what every test can have for free: importing the app or starting stores belongs in
tests/e2e/conftest.py and tests/integration/conftest.py, so `just unit` stays fast."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
