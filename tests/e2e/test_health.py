from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from dishka import Provider, Scope, provide
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app


async def test_live(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"data": {"status": "ok"}}


async def test_ready_when_postgres_and_redis_answer(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"data": {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}}


class DeadRedis(Provider):
    """Points the app's Redis at a socket nobody listens on."""

    def __init__(self, socket: Path) -> None:
        super().__init__()
        self._socket = socket

    @provide(scope=Scope.APP)
    async def redis(self) -> AsyncIterator[Redis]:
        client = Redis(unix_socket_path=str(self._socket), socket_connect_timeout=0.5)
        yield client
        await client.aclose()


async def test_ready_names_the_failed_dependency(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings, overrides=[DeadRedis(tmp_path / "nobody.sock")])
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["details"]["failed"] == ["redis"]
    assert error["details"]["checks"]["postgres"] == "ok"
    assert error["details"]["checks"]["redis"].startswith("failed")
    assert error["request_id"] == response.headers["x-request-id"]
