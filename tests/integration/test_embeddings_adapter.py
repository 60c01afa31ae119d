"""The OpenAI-compatible embedder through the real `openai` SDK against the wire-protocol double."""

from __future__ import annotations

import math
from typing import Any

import pytest

from adapters.llm.embeddings import DisabledEmbedder, OpenAICompatibleEmbedder
from domain.knowledge.errors import EmbeddingsDisabledError, EmbeddingsUnavailableError
from tests.support.openai_double import EmbeddingsDouble, embed_text
from tests.support.servers import free_port, serve


def _embedder(url: str, retries: int = 0, timeout: float = 10.0) -> OpenAICompatibleEmbedder:
    return OpenAICompatibleEmbedder(
        base_url=url, model="double-embed", api_key="k", max_retries=retries, timeout_seconds=timeout
    )


async def test_embeds_in_input_order(embeddings_double: tuple[EmbeddingsDouble, str]) -> None:
    double, url = embeddings_double
    double.failures.clear()
    embedder = _embedder(url)
    vectors = await embedder.embed(["vacation policy", "expense reports", "vacation days"])
    await embedder.close()
    assert len(vectors) == 3
    assert all(len(v) == 384 for v in vectors)
    assert math.isclose(sum(x * x for x in vectors[0]), 1.0, rel_tol=1e-6)
    similarity = sum(a * b for a, b in zip(vectors[0], vectors[2], strict=True))
    unrelated = sum(a * b for a, b in zip(vectors[0], vectors[1], strict=True))
    assert similarity > unrelated
    assert double.requests[-1]["model"] == "double-embed"
    assert await embedder.embed([]) == []


async def test_transient_errors_are_retried_by_the_sdk_when_asked(
    embeddings_double: tuple[EmbeddingsDouble, str],
) -> None:
    double, url = embeddings_double
    double.failures.extend([429, 500])
    embedder = _embedder(url, retries=2)
    vectors = await embedder.embed(["hello"])
    await embedder.close()
    assert len(vectors) == 1
    assert not double.failures


async def test_server_errors_surface_as_unavailable_without_retry_by_default(
    embeddings_double: tuple[EmbeddingsDouble, str],
) -> None:
    double, url = embeddings_double
    double.failures.extend([500, 500])
    embedder = _embedder(url)
    with pytest.raises(EmbeddingsUnavailableError, match=r"HTTP 500"):
        await embedder.embed(["hello"])
    assert list(double.failures) == [500]  # one attempt: the SDK did not retry
    await embedder.close()
    double.failures.clear()


async def test_a_refused_connection_and_a_hanging_server_are_unavailable(
    embeddings_double: tuple[EmbeddingsDouble, str],
) -> None:
    refused = _embedder(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(EmbeddingsUnavailableError, match="connection failed"):
        await refused.embed(["hello"])
    await refused.close()

    double, url = embeddings_double
    double.hang = True
    slow = _embedder(url, timeout=0.2)
    try:
        with pytest.raises(EmbeddingsUnavailableError, match="timed out"):
            await slow.embed(["hello"])
    finally:
        double.hang = False
        await slow.close()


async def _nonsense(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """200 answers no embeddings client can use: too few vectors, or not JSON at all."""
    if scope["type"] != "http":
        return
    await receive()
    one = b'{"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [1.0]}], "model": "m"}'
    body = one if scope["path"].startswith("/few") else b"<html>"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


async def test_answers_that_make_no_sense_are_unavailable_too() -> None:
    with serve(_nonsense) as url:
        few, garbled = _embedder(f"{url}/few/v1"), _embedder(f"{url}/garbled/v1")
        with pytest.raises(EmbeddingsUnavailableError, match="1 vectors for 2 inputs"):
            await few.embed(["hello", "world"])
        with pytest.raises(EmbeddingsUnavailableError, match="unexpected response"):
            await garbled.embed(["hello"])
        await few.close()
        await garbled.close()


async def test_requested_dimensions_are_sent(embeddings_double: tuple[EmbeddingsDouble, str]) -> None:
    double, url = embeddings_double
    double.failures.clear()
    embedder = OpenAICompatibleEmbedder(base_url=url, model="m", dimensions=768)
    (vector,) = await embedder.embed(["x y z"])
    await embedder.close()
    assert len(vector) == 768
    assert double.requests[-1]["dimensions"] == 768


async def test_floats_are_asked_for(embeddings_double: tuple[EmbeddingsDouble, str]) -> None:
    """The SDK asks for base64 unless told otherwise; the adapter decodes the raw body, so it asks for floats."""
    double, url = embeddings_double
    double.failures.clear()
    embedder = OpenAICompatibleEmbedder(base_url=url, model="m")
    (vector,) = await embedder.embed(["x y z"])
    await embedder.close()
    assert double.requests[-1]["encoding_format"] == "float"
    assert vector == pytest.approx(embed_text("x y z"))


async def test_disabled_embedder() -> None:
    disabled = DisabledEmbedder()
    assert not disabled.enabled
    assert disabled.model == ""
    with pytest.raises(EmbeddingsDisabledError):
        await disabled.embed(["x"])
