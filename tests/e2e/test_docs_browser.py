"""The /schema docs page, rendered by a real headless browser over real HTTP, lists the API's operations
with every asset served by the app itself (it renders offline)."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlsplit

OPERATION_PATHS = ".opblock-summary-path"  # Swagger UI's path of each listed operation


def test_docs_page_renders_the_operations_from_the_app_alone(lore_api: str) -> None:
    rendered = subprocess.run(
        [sys.executable, "-m", "tests.support.render_page", f"{lore_api}/schema", OPERATION_PATHS],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    page = json.loads(rendered.stdout.splitlines()[-1])
    paths = {" ".join(text.split()).replace("\u200b", "") for text in page["texts"]}
    assert {"/api/v1/ask", "/api/v1/collections", "/api/v1/documents/{document_id}"} <= paths, page
    assert len(paths) > 30  # the whole API, not a page of errors
    hosts = {urlsplit(url).netloc for url in page["requests"] if not url.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(lore_api).netloc}, hosts  # nothing from a CDN
