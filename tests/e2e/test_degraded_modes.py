"""The embeddings server down, failing or hanging: hybrid search and answers fall back to keyword and say
so, vector search is 503 with Retry-After, and an open breaker stops calls to the dead server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from dishka import Provider, Scope
from litestar.testing import AsyncTestClient

from application.knowledge.ports import Embedder, IngestionEmbedder
from application.shared.ports import Clock
from domain.knowledge.errors import EmbeddingsUnavailableError
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import search
from tests.e2e.test_assistant import _handbook, ask, sse
from tests.support.api import Client, assert_error
from tests.support.fakes import FixedClock
from tests.support.openai_double import EmbeddingsDouble
from tests.support.servers import free_port, serve

DEGRADED = {"mode": "keyword", "requested_mode": "hybrid", "degraded": "embeddings_unavailable", "reranked": False}
JSON = {"Accept": "application/json"}


@dataclass
class Failure:
    url: str
    double: EmbeddingsDouble | None = None


@pytest.fixture(params=["refused", "http_500", "hanging"])
def failure(request: pytest.FixtureRequest) -> Iterator[Failure]:
    if request.param == "refused":
        yield Failure(f"http://127.0.0.1:{free_port()}/v1")  # nothing listens there
        return
    double = EmbeddingsDouble(fail_with=500) if request.param == "http_500" else EmbeddingsDouble(hang=True)
    with serve(double) as url:
        try:
            yield Failure(f"{url}/v1", double)
        finally:
            double.hang = False  # let held requests finish so the server can stop


def _frozen_time() -> Provider:
    """Time stands still, so the breaker stays open however slowly a loaded machine runs the test."""
    provider = Provider(scope=Scope.APP)
    provider.provide(lambda: FixedClock(datetime.now(UTC)), provides=Clock)
    return provider


def _pointed_at(settings: Settings, url: str) -> Settings:
    return msgspec.structs.replace(settings, embeddings_base_url=url, embeddings_timeout_seconds=0.3)


async def test_search_and_answers_degrade_to_keyword(
    kb_client: Client, kb_settings: Settings, failure: Failure
) -> None:
    editor, collection, document_id = await _handbook(kb_client)  # ingested while the embeddings server was up
    # another query than below: a query embedded before is served from the query-embedding cache
    healthy = (await search(kb_client, editor, "vacation days per year")).json()["meta"]
    assert healthy == {
        "mode": "hybrid",
        "requested_mode": "hybrid",
        "degraded": None,
        "reranked": False,
        "count": healthy["count"],
    }

    async with AsyncTestClient(app=create_app(_pointed_at(kb_settings, failure.url))) as down:
        hybrid = await search(down, editor, "vacation days")
        assert hybrid.status_code == 200, hybrid.text
        assert hybrid.json()["meta"] == {**DEGRADED, "count": 1}
        assert hybrid.json()["data"][0]["document_id"] == document_id

        vector = await search(down, editor, "vacation days", mode="vector")
        assert_error(vector, 503, "EMBEDDINGS_UNAVAILABLE")
        assert int(vector.headers["retry-after"]) >= 1

        keyword = await search(down, editor, "vacation days", mode="keyword")
        assert keyword.json()["meta"] == {
            "mode": "keyword",
            "requested_mode": "keyword",
            "degraded": None,
            "reranked": False,
            "count": 1,
        }

        answered = await ask(down, editor, "How many vacation days do employees receive?")
        assert answered.status_code == 200, answered.text
        answer = answered.json()["data"]
        assert answer["retrieval"] == DEGRADED
        assert "twenty-five vacation days" in answer["answer"]
        assert answer["citations"][0]["document_id"] == document_id

        streamed = sse((await ask(down, editor, "Which vacation days are there?", stream=True)).text)
        assert streamed[-1]["done"] is True
        assert streamed[-1]["retrieval"] == DEGRADED
        assert "twenty-five vacation days" in "".join(e.get("content", "") for e in streamed)

        created = await down.post(
            "/api/v1/conversations", json={"collection_ids": [collection]}, headers=editor.headers
        )
        path = f"/api/v1/conversations/{created.json()['data']['id']}/messages"
        reply = await down.post(path, json={"content": "Vacation days?"}, headers={**editor.headers, **JSON})
        assert reply.status_code == 200, reply.text
        assert reply.json()["data"]["retrieval"] == DEGRADED
        assert reply.json()["data"]["citations"][0]["document_id"] == document_id
        events = sse((await down.post(path, json={"content": "And how many?"}, headers=editor.headers)).text)
        assert events[-1]["retrieval"] == DEGRADED
        stored = (await down.get(path.removesuffix("/messages"), headers=editor.headers)).json()["data"]
        assert [m["role"] for m in stored["messages"]] == ["user", "assistant", "user", "assistant"]
        assert "retrieval" not in stored["messages"][1]  # how a reply was retrieved is not stored with it


async def test_an_open_breaker_stops_calling_the_failing_server(kb_client: Client, kb_settings: Settings) -> None:
    editor, _, _ = await _handbook(kb_client)
    double = EmbeddingsDouble(fail_with=503)
    with serve(double) as url:
        app = create_app(_pointed_at(kb_settings, f"{url}/v1"), overrides=[_frozen_time()])
        async with AsyncTestClient(app=app) as down:
            metas: list[Any] = []
            for _ in range(5):  # the breaker's threshold
                metas.append((await search(down, editor, "vacation days")).json()["meta"])
            assert len(double.requests) == 5
            for _ in range(3):
                metas.append((await search(down, editor, "vacation days")).json()["meta"])
                refused = await search(down, editor, "vacation days", mode="vector")
                assert_error(refused, 503, "EMBEDDINGS_UNAVAILABLE")
                assert 1 <= int(refused.headers["retry-after"]) <= 30  # the breaker's remaining cooldown
            assert len(double.requests) == 5  # open: no request reached the server
            assert all(meta == {**DEGRADED, "count": 1} for meta in metas)


async def test_ingestion_has_its_own_embeddings_client_outside_the_search_breaker(kb_settings: Settings) -> None:
    """Failed worker batches must not open the breaker searches rely on, nor share the search timeout."""
    double = EmbeddingsDouble(fail_with=503)
    with serve(double) as url:
        settings = msgspec.structs.replace(
            _pointed_at(kb_settings, f"{url}/v1"), embeddings_ingest_timeout_seconds=30.0
        )
        container = build_container(settings)
        try:
            ingestion = await container.get(IngestionEmbedder)
            searching = await container.get(Embedder)
            for _ in range(6):  # more failures than the breaker's threshold
                with pytest.raises(EmbeddingsUnavailableError):
                    await ingestion.embed(["a batch"])
            double.fail_with = None
            assert len(await searching.embed(["vacation days"])) == 1  # the search breaker is still closed

            double.delay_seconds = 1.0  # slower than the search timeout (0.3 s), well within the worker's
            with pytest.raises(EmbeddingsUnavailableError):
                await searching.embed(["parental leave"])  # a new query: "vacation days" is cached now
            assert len(await ingestion.embed(["a slow batch"])) == 1
        finally:
            await container.close()
