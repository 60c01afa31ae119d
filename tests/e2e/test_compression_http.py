"""Compression negotiated over real HTTP against `lore serve`: brotli or gzip by the client's q-values."""

from __future__ import annotations

import gzip

import brotli
import httpx


def _raw(base: str, accept_encoding: str) -> tuple[str | None, bytes]:
    """The Content-Encoding and the bytes as sent (httpx decodes nothing when streaming raw)."""
    with httpx.stream(
        "GET", f"{base}/schema/openapi.json", headers={"Accept-Encoding": accept_encoding}, timeout=30
    ) as response:
        assert response.status_code == 200
        return response.headers.get("content-encoding"), b"".join(response.iter_raw())


def test_brotli_or_gzip_by_q_values(lore_api: str) -> None:
    _, plain = _raw(lore_api, "identity")
    encoding, body = _raw(lore_api, "gzip, deflate, br")
    assert encoding == "br"
    assert brotli.decompress(body) == plain
    assert len(body) < len(plain) / 4
    encoding, body = _raw(lore_api, "br;q=0.4, gzip;q=0.9")
    assert encoding == "gzip"
    assert gzip.decompress(body) == plain
    assert _raw(lore_api, "br;q=0, gzip;q=0") == (None, plain)
