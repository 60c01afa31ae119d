"""Rate limits, security and cache headers, CORS, conditional requests and compression through the real app."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import new_collection
from tests.support.api import Account, Client, assert_error, bearer, login, signed_in
from tests.support.servers import free_port

POLICY = re.compile(r'^"(read|write|expensive)";q=(\d+);w=(\d+)$')
LIMIT = re.compile(r'^"(read|write|expensive)";r=(\d+);t=(\d+)$')


def limited(settings: Settings, **limits: int) -> Settings:
    return msgspec.structs.replace(
        settings, rate_limit_window_seconds=3600, **{f"rate_limit_{k}": v for k, v in limits.items()}
    )


@pytest.fixture
async def low_limits(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(limited(settings, read=3, write=4, expensive=1))
    async with AsyncTestClient(app=app) as client:
        yield client


async def _signed_in_with_high_limits(settings: Settings, email: str) -> Account:
    """Accounts are made on an app of their own, so signing in spends nothing of the low limits."""
    async with AsyncTestClient(app=create_app(settings)) as setup:
        return await signed_in(setup, email, role=Role.EDITOR)


async def test_reads_are_limited_per_user_with_ietf_headers(low_limits: Client, settings: Settings) -> None:
    alice = await _signed_in_with_high_limits(settings, "alice@example.org")
    remaining = []
    for _ in range(3):
        response = await low_limits.get("/api/v1/users/me", headers=alice.headers)
        assert response.status_code == 200
        assert POLICY.match(response.headers["ratelimit-policy"]).groups() == ("read", "3", "3600")  # type: ignore[union-attr]
        name, left, reset = LIMIT.match(response.headers["ratelimit"]).groups()  # type: ignore[union-attr]
        assert name == "read"
        assert 0 < int(reset) <= 3600
        remaining.append(int(left))
    assert remaining == [2, 1, 0]

    refused = await low_limits.get("/api/v1/users/me", headers=alice.headers)
    error = assert_error(refused, 429, "RATE_LIMITED")
    assert 0 < int(refused.headers["retry-after"]) <= 3600 // 3
    assert error["details"]["retry_after"] == int(refused.headers["retry-after"])
    assert LIMIT.match(refused.headers["ratelimit"]).group(2) == "0"  # type: ignore[union-attr]

    bob = await _signed_in_with_high_limits(settings, "bob@example.org")
    assert (await low_limits.get("/api/v1/users/me", headers=bob.headers)).status_code == 200  # his own bucket
    # writes are another policy: reads being spent does not stop them
    created = await low_limits.post("/api/v1/collections", json={"name": "Notes"}, headers=alice.headers)
    assert created.status_code == 201
    assert created.headers["ratelimit-policy"] == '"write";q=4;w=3600'


async def test_expensive_routes_have_the_strictest_policy(low_limits: Client, settings: Settings) -> None:
    carol = await _signed_in_with_high_limits(settings, "carol@example.org")
    first = await low_limits.post("/api/v1/ask", json={}, headers=carol.headers)  # charged before the body is read
    assert first.status_code == 422
    assert first.headers["ratelimit-policy"] == '"expensive";q=1;w=3600'
    assert_error(await low_limits.post("/api/v1/ask", json={}, headers=carol.headers), 429, "RATE_LIMITED")


async def test_anonymous_and_bad_credentials_are_limited_per_address(low_limits: Client) -> None:
    for _ in range(3):
        assert_error(await low_limits.get("/api/v1/users/me", headers=bearer("guess")), 401, "INVALID_TOKEN")
    assert_error(await low_limits.get("/api/v1/users/me", headers=bearer("guess")), 429, "RATE_LIMITED")
    assert_error(await low_limits.get("/api/v1/users/me"), 429, "RATE_LIMITED")  # same address, same bucket


async def test_guessing_the_metrics_token_is_limited_but_the_scraper_never_is(settings: Settings) -> None:
    token = "scraper-" + "m" * 40
    app = create_app(msgspec.structs.replace(limited(settings, read=2), metrics_token=token))
    async with AsyncTestClient(app=app) as client:
        for _ in range(2):
            assert_error(await client.get("/metrics", headers=bearer("guess-" + "x" * 40)), 401, "INVALID_TOKEN")
        assert_error(await client.get("/metrics", headers=bearer("guess-" + "y" * 40)), 429, "RATE_LIMITED")
        assert_error(await client.get("/metrics"), 429, "RATE_LIMITED")  # the same address's bucket
        for _ in range(3):
            scraped = await client.get("/metrics", headers=bearer(token))
            assert scraped.status_code == 200, scraped.text
            assert "ratelimit" not in scraped.headers


async def test_a_credential_that_may_not_read_metrics_is_limited_too(settings: Settings) -> None:
    editor = await _signed_in_with_high_limits(settings, "metrics-editor@example.org")
    async with AsyncTestClient(app=create_app(limited(settings, read=2))) as client:
        for _ in range(2):
            assert_error(await client.get("/metrics", headers=editor.headers), 403, "FORBIDDEN")
        assert_error(await client.get("/metrics", headers=editor.headers), 429, "RATE_LIMITED")


async def test_health_probes_and_disabled_limits_are_not_limited(settings: Settings) -> None:
    off = msgspec.structs.replace(limited(settings, read=1), rate_limit_enabled=False)
    async with AsyncTestClient(app=create_app(off)) as client:
        for _ in range(3):
            response = await client.get("/schema/openapi.json")
            assert response.status_code == 200
            assert "ratelimit" not in response.headers
    async with AsyncTestClient(app=create_app(limited(settings, read=1))) as client:
        for _ in range(3):
            assert (await client.get("/health/live")).status_code == 200


async def test_redis_down_requests_go_on_unlimited_with_one_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    dave = await _signed_in_with_high_limits(settings, "dave@example.org")
    dead = msgspec.structs.replace(limited(settings, read=1, write=1), redis_url=f"redis://127.0.0.1:{free_port()}/0")
    caplog.set_level(logging.WARNING, logger="lore.http.rate_limits")
    async with AsyncTestClient(app=create_app(dead)) as client:
        for _ in range(3):
            response = await client.get("/api/v1/users/me", headers=dave.headers)
            assert response.status_code == 200, response.text
            assert "ratelimit" not in response.headers
        created = await client.post("/api/v1/collections", json={"name": "During outage"}, headers=dave.headers)
        assert created.status_code == 201
        # the offline answerer needs no Redis, so even the expensive policy does not refuse it
        for _ in range(2):
            answered = await client.post("/api/v1/ask", json={"question": "Anything?"}, headers=dave.headers)
            assert answered.status_code == 200, answered.text
    warnings = [r for r in caplog.records if r.name == "lore.http.rate_limits"]
    assert len(warnings) == 1  # one per outage, not one per request
    assert "unavailable" in warnings[0].getMessage()


async def test_security_headers_on_every_response(client: Client) -> None:
    erin = await signed_in(client, "erin@example.org")
    responses = {
        "ok": await client.get("/api/v1/users/me", headers=erin.headers),
        "unauthenticated": await client.get("/api/v1/users/me"),
        "unknown route": await client.get("/api/v1/nowhere"),
        "health": await client.get("/health/live"),
    }
    for what, response in responses.items():
        assert response.headers["x-content-type-options"] == "nosniff", what
        assert response.headers["referrer-policy"] == "no-referrer", what
        assert response.headers["x-frame-options"] == "DENY", what
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'", what
        assert "strict-transport-security" not in response.headers, what
        assert "server" not in response.headers, what
    page = await client.get("/schema")
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "default-src 'none'" not in page.headers["content-security-policy"]  # the docs UI must still run


async def test_token_and_personal_responses_are_not_stored(client: Client) -> None:
    frank = await signed_in(client, "frank@example.org", role=Role.EDITOR)
    signed = await login(client, "frank@example.org")
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": frank.refresh_token})
    key = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["documents:read"]}, headers=frank.headers
    )
    me = await client.get("/api/v1/users/me", headers=frank.headers)
    for response in (signed, refreshed, key, me):
        assert response.status_code in (200, 201), response.text
        assert response.headers["cache-control"] == "no-store"


async def test_hsts_when_enabled(settings: Settings) -> None:
    tls = msgspec.structs.replace(settings, hsts_enabled=True, hsts_max_age_seconds=600)
    async with AsyncTestClient(app=create_app(tls)) as client:
        response = await client.get("/health/live")
    assert response.headers["strict-transport-security"] == "max-age=600; includeSubDomains"


@pytest.fixture
async def cors_client(settings: Settings) -> AsyncIterator[Client]:
    allowed = msgspec.structs.replace(settings, cors_origins="https://app.example.org", cors_max_age_seconds=900)
    async with AsyncTestClient(app=create_app(allowed)) as client:
        yield client


async def test_cors_preflight_allowed_origin(cors_client: Client) -> None:
    preflight = await cors_client.options(
        "/api/v1/users/me",
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.org"
    assert preflight.headers["access-control-max-age"] == "900"
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["x-content-type-options"] == "nosniff"

    simple = await cors_client.get("/health/live", headers={"Origin": "https://app.example.org"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example.org"
    exposed = {h.strip().lower() for h in simple.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "ratelimit", "ratelimit-policy", "retry-after", "location"} <= exposed


async def test_cors_refuses_other_origins(cors_client: Client, client: Client) -> None:
    refused = await cors_client.options(
        "/api/v1/users/me",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    simple = await cors_client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    # without CORS_ORIGINS no origin is allowed at all
    default = await client.get("/health/live", headers={"Origin": "https://app.example.org"})
    assert "access-control-allow-origin" not in default.headers


async def test_etag_304_and_if_match_412(client: Client) -> None:
    owner = await signed_in(client, "gina@example.org", role=Role.EDITOR)
    collection_id = await new_collection(client, owner)
    url = f"/api/v1/collections/{collection_id}"
    first = await client.get(url, headers=owner.headers)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong
    assert first.headers["cache-control"] == "private, no-cache"

    unchanged = await client.get(url, headers={**owner.headers, "If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag

    renamed = await client.patch(url, json={"name": "Renamed"}, headers={**owner.headers, "If-Match": etag})
    assert renamed.status_code == 200, renamed.text
    stale = await client.patch(url, json={"name": "Lost update"}, headers={**owner.headers, "If-Match": etag})
    assert_error(stale, 412, "PRECONDITION_FAILED")
    current = await client.get(url, headers={**owner.headers, "If-None-Match": etag})
    assert current.status_code == 200
    assert current.json()["data"]["name"] == "Renamed"
    assert current.headers["etag"] != etag
    me = await client.get("/api/v1/users/me", headers=owner.headers)
    assert me.headers["etag"]
    assert me.headers["cache-control"] == "no-store"
    unconditional = await client.patch(url, json={"name": "No condition"}, headers=owner.headers)
    assert unconditional.status_code == 200

    missing = "/api/v1/collections/00000000-0000-7000-8000-000000000000"
    absent = await client.get(missing, headers={**owner.headers, "If-None-Match": "*"})
    assert_error(absent, 404, "COLLECTION_NOT_FOUND")
    assert "etag" not in absent.headers
    # the PATCH itself answers for a resource that cannot be read
    conditional = await client.patch(missing, json={"name": "x"}, headers={**owner.headers, "If-Match": etag})
    assert_error(conditional, 404, "COLLECTION_NOT_FOUND")


async def test_compression_negotiates_and_skips_small_bodies(client: Client) -> None:
    raw = await client.get("/schema/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in raw.headers["vary"].lower()
    assert msgspec.json.decode(raw.content)["openapi"]  # httpx decoded it
    plain = await client.get("/schema/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    small = await client.get("/health/live", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


async def test_event_streams_are_never_compressed(client: Client, settings: Settings) -> None:
    hank = await signed_in(client, "hank@example.org", role=Role.EDITOR)
    await new_collection(client, hank)
    small = msgspec.structs.replace(settings, compression_min_bytes=1)
    async with AsyncTestClient(app=create_app(small)) as tiny:
        response = await tiny.post(
            "/api/v1/ask",
            json={"question": "Anything about vacation?", "stream": True},
            headers={**hank.headers, "Accept-Encoding": "br, gzip"},
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in response.headers
        assert response.text.startswith("data: ")
        json_reply = await tiny.get("/api/v1/users/me", headers={**hank.headers, "Accept-Encoding": "br, gzip"})
        assert json_reply.headers["content-encoding"] == "br"  # the same app does compress JSON
