"""GraphQL e2e fixtures: an app with small limits, so the tests can reach them cheaply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app


@pytest.fixture
def limited_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        graphql_max_depth=6,
        graphql_max_aliases=3,
        graphql_max_cost=500,
        graphql_max_tokens=400,
        graphql_max_body_bytes=4096,
        graphql_introspection=False,
    )


@pytest.fixture
async def limited_client(limited_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(limited_settings)) as client:
        yield client


@pytest.fixture
async def throttled_client(limited_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Three reads and three writes a window per caller."""
    throttled = msgspec.structs.replace(limited_settings, rate_limit_read=3, rate_limit_write=3)
    async with AsyncTestClient(app=create_app(throttled)) as client:
        yield client
