"""A query searched or asked again is not embedded again: its vector comes from the Redis cache, also while
the embeddings server is down."""

from __future__ import annotations

import msgspec
from litestar.testing import AsyncTestClient

from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, search, wait_for_status
from tests.support.api import Client, signed_in
from tests.support.openai_double import EmbeddingsDouble
from tests.support.servers import serve

HANDBOOK = "Vacation policy. Employees receive forty vacation days per year. Laptops arrive on the first day."


def _embedded(double: EmbeddingsDouble, text: str) -> int:
    return sum(1 for request in double.requests if request["input"] == [text])


async def test_identical_searches_embed_the_query_once(
    kb_client: Client, kb_settings: Settings, embeddings_double: tuple[EmbeddingsDouble, str]
) -> None:
    double, _ = embeddings_double
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    document = await add_text(kb_client, editor, collection, "Handbook", HANDBOOK)
    await wait_for_status(kb_client, editor, document.json()["data"]["id"])

    before = _embedded(double, "vacation days per year")  # the double serves the whole test session
    first = await search(kb_client, editor, "vacation days per year")
    again = await search(kb_client, editor, "vacation   days per year", mode="vector")  # same once normalised

    assert first.status_code == again.status_code == 200
    assert first.json()["meta"]["mode"] == "hybrid"
    assert again.json()["data"][0]["document_id"] == document.json()["data"]["id"]
    assert _embedded(double, "vacation days per year") == before + 1

    # the embeddings server is down now: the cached query still runs as vector search, a new one cannot
    down = EmbeddingsDouble(fail_with=503)
    with serve(down) as url:
        settings = msgspec.structs.replace(kb_settings, embeddings_base_url=f"{url}/v1")
        async with AsyncTestClient(app=create_app(settings)) as client:
            cached = await search(client, editor, "vacation days per year", mode="vector")
            new = await search(client, editor, "laptops on the first day", mode="vector")
    assert cached.status_code == 200, cached.text
    assert cached.json()["data"][0]["document_id"] == document.json()["data"]["id"]
    assert new.status_code == 503
    assert len(down.requests) == 1


async def test_a_zero_ttl_embeds_every_time(
    kb_settings: Settings, embeddings_double: tuple[EmbeddingsDouble, str]
) -> None:
    double, _ = embeddings_double
    settings = msgspec.structs.replace(kb_settings, query_embedding_cache_ttl_seconds=0)
    before = _embedded(double, "uncached question")
    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        for _ in range(2):
            assert (await search(client, editor, "uncached question")).status_code == 200

    assert _embedded(double, "uncached question") == before + 2
