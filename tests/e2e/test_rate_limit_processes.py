"""Two `lore serve` processes sharing Redis: one limit, whichever process answers; spoofed addresses ignored."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import LoreProcess, free_port

LIMIT = 5
REMAINING = re.compile(r'^"read";r=(\d+);t=\d+$')


def _serve(settings: Settings, data_dir: Path, **extra: str) -> tuple[LoreProcess, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LORE_ENV", "TRUSTED_PROXIES")}
    env |= {
        "LORE_ENV": "test",
        "LORE_DATA_DIR": str(data_dir),
        "DATABASE_URL": settings.require_database_url,
        "REDIS_URL": settings.require_redis_url,
        "JWT_SECRET": settings.jwt_secret,
        "RATE_LIMIT_READ": str(LIMIT),
        "RATE_LIMIT_WINDOW_SECONDS": "3600",  # no refill while the test runs, however slow the machine
        **extra,
    }
    process = LoreProcess(env, "serve", "--port", str(port))
    process.wait_ready(port)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def two_apis(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``plain`` trusts no proxy; ``proxied`` trusts 127.0.0.1 to name the client."""
    plain, plain_url = _serve(settings, tmp_path / "a")
    try:
        proxied, proxied_url = _serve(settings, tmp_path / "b", TRUSTED_PROXIES="127.0.0.1/32")
        try:
            yield plain_url, proxied_url
        finally:
            assert proxied.stop(signal.SIGTERM) == 0, proxied.stderr
    finally:
        assert plain.stop(signal.SIGTERM) == 0, plain.stderr


def _read(base: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{base}/schema/openapi.json", headers={"Accept-Encoding": "gzip", **headers}, timeout=30)


def test_limit_holds_across_processes_and_spoofing_is_ignored(two_apis: tuple[str, str]) -> None:
    plain, proxied = two_apis
    remaining = []
    for i in range(LIMIT):
        # the plain process must ignore the forged header: every request lands in 127.0.0.1's bucket
        response = _read(plain, **{"X-Forwarded-For": f"203.0.113.{i}"}) if i % 2 == 0 else _read(proxied)
        assert response.status_code == 200, response.text
        assert response.headers["ratelimit-policy"] == f'"read";q={LIMIT};w=3600'
        remaining.append(int(REMAINING.match(response.headers["ratelimit"]).group(1)))  # type: ignore[union-attr]
    assert remaining == [4, 3, 2, 1, 0]

    for refused in (_read(plain, **{"X-Forwarded-For": "203.0.113.99"}), _read(proxied)):
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        assert int(refused.headers["retry-after"]) > 0

    # a trusted proxy does name the client, which has a bucket of its own
    forwarded = _read(proxied, **{"X-Forwarded-For": "198.51.100.7"})
    assert forwarded.status_code == 200
    assert REMAINING.match(forwarded.headers["ratelimit"]).group(1) == str(LIMIT - 1)  # type: ignore[union-attr]
    rfc7239 = _read(proxied, Forwarded='for="[2001:db8::1]:4711";proto=https')
    assert REMAINING.match(rfc7239.headers["ratelimit"]).group(1) == str(LIMIT - 1)  # type: ignore[union-attr]

    # over a real socket: compressed, no version banner, the platform headers
    assert forwarded.headers["content-encoding"] == "gzip"
    assert "server" not in forwarded.headers
    assert forwarded.headers["x-content-type-options"] == "nosniff"
    assert forwarded.json()["openapi"]
