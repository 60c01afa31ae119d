"""Two `lore serve` processes sharing Redis: one limit, whichever process answers; spoofed addresses ignored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entrypoints.bootstrap.settings import Settings
from tests.support.processes import serving, stores_env

LIMIT = 5
REMAINING = re.compile(r'^"read";r=(\d+);t=\d+$')


def _env(settings: Settings, data_dir: Path, **extra: str) -> dict[str, str]:
    return stores_env(
        settings,
        data_dir,
        drop=("TRUSTED_PROXIES",),
        RATE_LIMIT_READ=str(LIMIT),
        RATE_LIMIT_WINDOW_SECONDS="3600",  # no refill while the test runs, however slow the machine
        **extra,
    )


@pytest.fixture
def two_apis(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``plain`` trusts no proxy; ``proxied`` trusts 127.0.0.1 to name the client."""
    with (
        serving(_env(settings, tmp_path / "a")) as (_, plain_url),
        serving(_env(settings, tmp_path / "b", TRUSTED_PROXIES="127.0.0.1/32")) as (_, proxied_url),
    ):
        yield plain_url, proxied_url


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
