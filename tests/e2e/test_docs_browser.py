"""The /schema docs page, rendered by a real headless browser over real HTTP, lists the API's operations
with every asset served by the app itself (it renders offline)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.browser import hosts_requested, rendered

OPERATION_PATHS = ".opblock-summary-path"  # Swagger UI's path of each listed operation


def test_docs_page_renders_the_operations_from_the_app_alone(lore_api: str) -> None:
    page = rendered(f"{lore_api}/schema", OPERATION_PATHS)
    paths = {" ".join(text.split()).replace("\u200b", "") for text in page["texts"]}
    assert {"/api/v1/ask", "/api/v1/collections", "/api/v1/documents/{document_id}"} <= paths, page
    assert len(paths) > 30  # the whole API, not a page of errors
    hosts = hosts_requested(page)
    assert hosts == {urlsplit(lore_api).netloc}, hosts  # nothing from a CDN
