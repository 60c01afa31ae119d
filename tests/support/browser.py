"""Render a page in the headless browser of ``tests.support.render_page`` (its own process: Qt wants the
main thread) and read back what it showed and requested."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit


def rendered(url: str, selector: str) -> dict[str, Any]:
    """What the page at ``url`` showed once ``selector`` matched: ``texts``, ``console``, ``requests``."""
    run = subprocess.run(
        [sys.executable, "-m", "tests.support.render_page", url, selector],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    page: dict[str, Any] = json.loads(run.stdout.splitlines()[-1])
    return page


def hosts_requested(page: dict[str, Any]) -> set[str]:
    """Every host the page fetched from (inline data: and blob: URLs fetch nothing)."""
    return {urlsplit(u).netloc for u in page["requests"] if not u.startswith(("data:", "blob:"))}
