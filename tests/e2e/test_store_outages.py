"""Postgres stopped or Redis killed under a running API: 503 envelopes naming the store, never a 500.

The stores here are private to this module (the session-wide ones serve every other test), and
are really stopped and started again: the app must recover without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
import redis.exceptions
import sqlalchemy.exc
from httpx import Response
from litestar import get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.persistence.engine import create_engine
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Environment, Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, search
from tests.support.api import Account, Client, assert_error, login, signed_in
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble
from tests.support.stores import migrated_stores

pytestmark = pytest.mark.slow

RECOVERY_SECONDS = 60.0  # generous: a loaded machine restarts Postgres slowly


@dataclass
class PrivateStores:
    postgres: EmbeddedPostgres
    redis: EmbeddedRedis
    settings: Settings


@pytest.fixture(scope="module")
def private_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateStores]:
    root: Path = tmp_path_factory.mktemp("outage-stores")
    with migrated_stores(root, "lore_outages") as (postgres, redis):
        settings = Settings(
            lore_env=Environment.TEST,
            lore_data_dir=root / "data",
            database_url=postgres.url(),
            redis_url=redis.url,
            jwt_secret="outage-secret-" + "x" * 40,
            database_pool_size=2,
        )
        yield PrivateStores(postgres, redis, settings)


@pytest.fixture
async def outage_client(private_stores: PrivateStores) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(private_stores.settings)) as client:
        yield client


def assert_unavailable(response: Response, dependency: str) -> None:
    error = assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert error["details"] == {"dependency": dependency}
    assert int(response.headers["retry-after"]) > 0
    assert error["message"].endswith("is unavailable; try again shortly.")  # ours, not the driver's text


async def until_ok(call: Callable[[], Awaitable[Response]], statuses: tuple[int, ...] = (200,)) -> Response:
    """Poll until the store is back; every answer meanwhile must still be a clean 503, never a 500."""
    deadline = asyncio.get_running_loop().time() + RECOVERY_SECONDS
    while True:
        response = await call()
        if response.status_code in statuses:
            return response
        assert response.status_code == 503, response.text
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {response.status_code} after {RECOVERY_SECONDS} s: {response.text}")
        await asyncio.sleep(0.2)


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    noisy = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert noisy == [], [f"{r.name}: {r.getMessage()}" for r in noisy]


async def _world(client: Client) -> tuple[Account, str, str]:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    created = await add_text(client, editor, collection, "Runbook", "Restart the database before lunch.")
    assert created.status_code == 202, created.text
    return editor, collection, str(created.json()["data"]["id"])


def _database_requests(
    client: Client, editor: Account, collection: str, document_id: str
) -> dict[str, Callable[[], Awaitable[Response]]]:
    return {
        "login": lambda: login(client, editor.email),
        "collection list": lambda: client.get("/api/v1/collections", headers=editor.headers),
        "document get": lambda: client.get(f"/api/v1/documents/{document_id}", headers=editor.headers),
        "upload": lambda: add_text(client, editor, collection, "Later", "Written while the database was down."),
        "search": lambda: search(client, editor, "database lunch", mode="keyword"),
    }


async def test_postgres_stopped_answers_503_and_recovers_when_it_is_back(
    private_stores: PrivateStores, outage_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    editor, collection, document_id = await _world(outage_client)
    requests = _database_requests(outage_client, editor, collection, document_id)
    postgres = private_stores.postgres

    await asyncio.to_thread(postgres.stop)
    try:
        caplog.clear()
        caplog.set_level(logging.INFO)
        for name, call in requests.items():
            response = await call()
            assert response.status_code == 503, f"{name}: {response.text}"
            assert_unavailable(response, "database")
        ready = await outage_client.get("/health/ready")
        error = assert_error(ready, 503, "SERVICE_UNAVAILABLE")
        assert error["details"]["failed"] == ["postgres"]
        assert error["details"]["checks"]["postgres"] == "failed: FileNotFoundError"  # the driver's, not ours
        assert_no_traceback(caplog)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "lore.http"]
        assert len(warnings) == len(requests)  # one line per refused request, naming the store
        assert all(r.getMessage().startswith("database unavailable on ") for r in warnings)
    finally:
        await asyncio.to_thread(postgres.start)

    await until_ok(requests["collection list"])
    expected = {"login": 200, "collection list": 200, "document get": 200, "upload": 202, "search": 200}
    for name, call in requests.items():
        assert (await call()).status_code == expected[name], name


@pytest.fixture
def metered_settings(
    private_stores: PrivateStores, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> Settings:
    openai_double, openai_url, _, _ = chat_doubles
    openai_double.script.clear()
    return msgspec.structs.replace(
        private_stores.settings,
        llm_providers="openai",
        openai_base_url=openai_url,
        openai_api_key="test",
        openai_model="gpt-test",
        llm_timeout_seconds=5.0,
    )


async def _ready_document(private_stores: PrivateStores, client: Client) -> tuple[Account, str]:
    """A document marked ready in the database directly: no worker needed to summarize it."""
    editor = await signed_in(client, "writer@example.org", Role.EDITOR)
    collection = await new_collection(client, editor, "Summaries")
    document_id = (await add_text(client, editor, collection, "Notes", "Short notes.")).json()["data"]["id"]
    engine = create_engine(private_stores.settings.require_database_url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE documents SET status = 'ready' WHERE id = :id"), {"id": document_id})
    finally:
        await engine.dispose()
    return editor, document_id


async def _ask(client: Client, account: Account, question: str) -> Response:
    return await client.post("/api/v1/ask", json={"question": question}, headers=account.headers)


async def test_redis_killed_fails_closed_for_limits_and_quota_and_open_for_the_cache(
    private_stores: PrivateStores, metered_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    offline = AsyncTestClient(app=create_app(private_stores.settings))
    metered = AsyncTestClient(app=create_app(metered_settings))
    async with offline, metered:
        member = await signed_in(offline, "member@example.org")
        writer, document_id = await _ready_document(private_stores, offline)
        redis = private_stores.redis
        await asyncio.to_thread(redis.stop)
        try:
            caplog.clear()
            caplog.set_level(logging.INFO)
            # the login throttle and the email caps fail closed: they must never silently stop limiting
            assert_unavailable(await login(offline, member.email), "redis")
            forgot = await offline.post("/api/v1/auth/password/forgot", json={"email": member.email})
            assert_unavailable(forgot, "redis")
            # the token quota fails closed: a metered model is not called without accounting for it
            assert_unavailable(await _ask(metered, member, "What is the runbook?"), "redis")
            streamed = await metered.post(
                "/api/v1/ask", json={"question": "What is the runbook?", "stream": True}, headers=member.headers
            )
            assert_unavailable(streamed, "redis")  # refused before the stream starts, not a 200 with an error event
            assert_unavailable(await metered.get("/api/v1/usage", headers=member.headers), "redis")
            # the answer cache fails open: the offline model spends no quota, so the answer still comes
            for _ in range(2):
                offline_answer = await _ask(offline, member, "What is the runbook?")
                assert offline_answer.status_code == 200, offline_answer.text
                assert offline_answer.json()["data"]["cached"] is False
            # background work that goes straight to the queue says so; uploads wait in the outbox instead
            summary = await offline.post(f"/api/v1/documents/{document_id}/summarize", headers=writer.headers)
            assert_unavailable(summary, "queue")
            # nothing else on the request path needs Redis
            assert (await offline.get("/api/v1/collections", headers=member.headers)).status_code == 200
            assert_no_traceback(caplog)
            cache_warnings = [r for r in caplog.records if "answer cache unavailable" in r.getMessage()]
            assert len(cache_warnings) == 2  # once per outage in each of the two apps, not once per request
        finally:
            await asyncio.to_thread(redis.start)

        assert (await until_ok(lambda: login(offline, member.email))).status_code == 200
        assert (await until_ok(lambda: _ask(metered, member, "What is the runbook?"))).status_code == 200
        forgot = await offline.post("/api/v1/auth/password/forgot", json={"email": member.email})
        assert forgot.status_code == 202, forgot.text
        answered = [(await _ask(offline, member, "Is the cache back?")).json()["data"]["cached"] for _ in range(2)]
        assert answered == [False, True]
        assert any("answer cache available again" in r.getMessage() for r in caplog.records)


_ESCAPED: dict[str, Exception] = {
    "redis": redis.exceptions.ConnectionError("Error 2 connecting to /srv/secret/redis.sock."),
    "pool": sqlalchemy.exc.TimeoutError("QueuePool limit of size 2 overflow 2 reached, connection timed out"),
    "integrity": sqlalchemy.exc.IntegrityError("INSERT INTO users", None, Exception("duplicate key: secret@x")),
}


@get("/test/escaped/{kind:str}")
async def escaped(kind: FromPath[str]) -> None:
    raise _ESCAPED[kind]


@pytest.mark.parametrize(("kind", "dependency"), [("redis", "redis"), ("pool", "database"), ("integrity", None)])
async def test_a_driver_error_no_adapter_translated_is_still_503_and_a_bug_still_500(
    private_stores: PrivateStores, kind: str, dependency: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    async with AsyncTestClient(app=create_app(private_stores.settings, extra_route_handlers=[escaped])) as client:
        response = await client.get(f"/test/escaped/{kind}")
    if dependency is None:
        error = assert_error(response, 500, "INTERNAL_ERROR")
        assert error["message"] == "An unexpected error occurred"
        return
    assert_unavailable(response, dependency)
    assert "secret" not in response.text
    assert_no_traceback(caplog)


async def test_every_api_operation_documents_the_503(outage_client: Client) -> None:
    schema = (await outage_client.get("/schema/openapi.json")).json()
    operations = [
        (method, path, operation)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
    ]
    assert operations
    undocumented = [(method, path) for method, path, operation in operations if "503" not in operation["responses"]]
    assert undocumented == []
