"""The /schema docs page, rendered by a real headless browser over real HTTP, lists the API's operations
with every asset served by the app itself (it renders offline)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import LoreProcess, free_port

OPERATION_PATHS = ".opblock-summary-path"  # Swagger UI's path of each listed operation


def test_docs_page_renders_the_operations_from_the_app_alone(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "LORE_ENV"} | {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "JWT_SECRET": settings.jwt_secret,
    }
    api = LoreProcess(env, "serve", "--port", str(port))
    try:
        api.wait_ready(port)
        rendered = subprocess.run(
            [sys.executable, "-m", "tests.support.render_page", f"http://127.0.0.1:{port}/schema", OPERATION_PATHS],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        assert api.stop(signal.SIGTERM) == 0, api.stderr
    assert rendered.returncode == 0, rendered.stderr
    page = json.loads(rendered.stdout.splitlines()[-1])
    paths = {" ".join(text.split()).replace("\u200b", "") for text in page["texts"]}
    assert {"/api/v1/ask", "/api/v1/collections", "/api/v1/documents/{document_id}"} <= paths, page
    assert len(paths) > 30  # the whole API, not a page of errors
    hosts = {urlsplit(url).netloc for url in page["requests"] if not url.startswith(("data:", "blob:"))}
    assert hosts == {f"127.0.0.1:{port}"}, hosts  # nothing from a CDN
