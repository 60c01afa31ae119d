"""/search with `rerank: true` and /ask over HTTP, against the rerank double (BM25 over TEI's wire shape)."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, search, wait_for_status
from tests.support import rerank_fixtures
from tests.support.api import Account, Client, assert_error, signed_in
from tests.support.rerank_double import RerankDouble, bm25_scores

# the e2e conftest is not ours to edit: the fixtures are bound here by name
rerank_double = rerank_fixtures.rerank_double
reranker_server = rerank_fixtures.reranker_server

# Postgres' cover density rewards the many "parking"s of the first; BM25 saturates repeats and prizes the rare
# "permit" of the second
CROWDED = "Parking. Parking parking parking in the garage; parking on the street; parking by the gate, parking."
PERMIT = "Request a parking permit from the front desk."
QUERY = "parking permit"


@pytest.fixture
async def rerank_client(kb_settings: Settings, reranker_server: tuple[RerankDouble, str]) -> AsyncIterator[Client]:
    _, url = reranker_server
    settings = msgspec.structs.replace(kb_settings, rerank_url=url, rerank_protocol="tei", rerank_candidates=10)
    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        yield client


async def _handbook(client: Client) -> Account:
    editor = await signed_in(client, "editor@example.com", Role.EDITOR)
    collection = await new_collection(client, editor)
    for title, text in (("Garage", CROWDED), ("Permits", PERMIT)):
        document = (await add_text(client, editor, collection, title, text)).json()["data"]
        await wait_for_status(client, editor, document["id"])
    return editor


async def test_rerank_reorders_the_candidates_by_the_rerankers_scores_and_degrades_when_it_fails(
    rerank_client: Client, reranker_server: tuple[RerankDouble, str]
) -> None:
    double, _ = reranker_server
    editor = await _handbook(rerank_client)
    plain = await search(rerank_client, editor, QUERY, mode="keyword")
    assert [hit["title"] for hit in plain.json()["data"]] == ["Garage", "Permits"]
    assert plain.json()["meta"]["reranked"] is False
    assert double.requests == []

    reranked = await search(rerank_client, editor, QUERY, mode="keyword", rerank=True)
    assert reranked.status_code == 200, reranked.text
    body = reranked.json()
    assert [hit["title"] for hit in body["data"]] == ["Permits", "Garage"]
    assert body["meta"]["reranked"] is True
    ((path, payload, _),) = double.requests
    assert path == "/rerank"
    assert payload["query"] == QUERY
    assert sorted(payload["texts"]) == sorted([CROWDED, PERMIT])
    best = max(bm25_scores(QUERY, [CROWDED, PERMIT]))
    assert body["data"][0]["score"] == pytest.approx(1 / (1 + math.exp(-best)), rel=1e-5)

    top = await search(rerank_client, editor, QUERY, rerank=True, limit=1)  # hybrid: reranked, then cut
    assert [hit["title"] for hit in top.json()["data"]] == ["Permits"]
    assert top.json()["meta"]["mode"] == "hybrid"

    double.failures.extend([503])  # a failing rerank server: the retrieval order, never an error
    failed = await search(rerank_client, editor, QUERY, mode="keyword", rerank=True)
    assert failed.status_code == 200, failed.text
    assert [hit["title"] for hit in failed.json()["data"]] == ["Garage", "Permits"]
    assert failed.json()["meta"]["reranked"] is False


async def test_ask_reranks_its_passages_when_a_reranker_is_configured(
    rerank_client: Client, reranker_server: tuple[RerankDouble, str]
) -> None:
    double, _ = reranker_server
    editor = await _handbook(rerank_client)
    response = await rerank_client.post(
        "/api/v1/ask", json={"question": "How do I get a parking permit?"}, headers=editor.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["retrieval"]["reranked"] is True
    assert len(double.requests) == 1


async def test_rerank_without_a_reranker_is_refused(kb_client: Client) -> None:
    member = await signed_in(kb_client, "member@example.com")
    response = await search(kb_client, member, "anything", rerank=True)
    error = assert_error(response, 409, "RERANKER_DISABLED")
    assert "RERANK_URL" in error["message"]
    not_a_flag = await search(kb_client, member, "anything", rerank="yes")
    assert not_a_flag.status_code in (400, 422)
