"""Compression negotiated over real HTTP against `lore serve`: brotli or gzip by the client's q-values."""

from __future__ import annotations

import gzip
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import brotli
import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import LoreProcess, free_port


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "LORE_ENV"} | {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "JWT_SECRET": settings.jwt_secret,
    }
    process = LoreProcess(env, "serve", "--port", str(port))
    try:
        process.wait_ready(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process.stop(signal.SIGTERM) == 0, process.stderr


def _raw(base: str, accept_encoding: str) -> tuple[str | None, bytes]:
    """The Content-Encoding and the bytes as sent (httpx decodes nothing when streaming raw)."""
    with httpx.stream(
        "GET", f"{base}/schema/openapi.json", headers={"Accept-Encoding": accept_encoding}, timeout=30
    ) as response:
        assert response.status_code == 200
        return response.headers.get("content-encoding"), b"".join(response.iter_raw())


def test_brotli_or_gzip_by_q_values(api: str) -> None:
    _, plain = _raw(api, "identity")
    encoding, body = _raw(api, "gzip, deflate, br")
    assert encoding == "br"
    assert brotli.decompress(body) == plain
    assert len(body) < len(plain) / 4
    encoding, body = _raw(api, "br;q=0.4, gzip;q=0.9")
    assert encoding == "gzip"
    assert gzip.decompress(body) == plain
    assert _raw(api, "br;q=0, gzip;q=0") == (None, plain)
