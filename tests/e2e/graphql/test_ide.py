"""GraphiQL at GET /graphql: served in development with every asset from Lore, absent elsewhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap.settings import Environment, Settings
from entrypoints.http.app import create_app
from tests.e2e.graphql.support import gql
from tests.support.api import Client, assert_error, signed_in

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser's address bar sends
_ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture(scope="module")
async def development(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(msgspec.structs.replace(settings, lore_env=Environment.DEVELOPMENT))
    async with AsyncTestClient(app=app) as client:
        yield client


async def test_development_serves_graphiql_with_only_local_assets(development: Client) -> None:
    page = await development.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "style-src 'self';" in csp
    assert "unsafe" not in csp  # no inline script or style, no eval
    assert "connect-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "http://" not in page.text
    assert "https://" not in page.text
    assets = _ASSET.findall(page.text)
    assert len(assets) == 6  # two stylesheets, React, ReactDOM, GraphiQL and the mounting script
    types = set()
    for url in assets:
        assert url.startswith("/graphql/ide/")
        asset = await development.get(url)
        assert asset.status_code == 200, url
        assert "immutable" in asset.headers["cache-control"]
        assert asset.content
        types.add(asset.headers["content-type"].split(";")[0])
    assert types == {"text/css", "text/javascript"}


async def test_development_answers_queries_from_the_ide(development: Client) -> None:
    alice = await signed_in(development, "ide-alice@example.org")
    result = await gql(development, "{ viewer { email } }", headers=alice.headers)
    assert result == {"data": {"viewer": {"email": "ide-alice@example.org"}}}
    over_get = await development.get("/graphql", params={"query": "{ __typename }"}, headers=HTML)
    assert over_get.json() == {"data": {"__typename": "Query"}}


async def test_outside_development_there_is_no_ide(client: Client) -> None:
    assert_error(await client.get("/graphql", headers=HTML), 404, "NOT_FOUND")
    assert (await client.get("/graphql/ide/graphiql.min.js")).status_code == 404
    assert (await client.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
