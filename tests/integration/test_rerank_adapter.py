"""The HTTP reranker in both wire shapes (TEI, Cohere/Jina) against the rerank double over real HTTP."""

from __future__ import annotations

import pytest

from adapters.rerank.http import DisabledReranker, HttpReranker, RerankProtocol
from domain.knowledge.errors import RerankerUnavailableError
from tests.support.rerank_double import RerankDouble, bm25_scores
from tests.support.servers import free_port

PASSAGES = ["Parking is free for staff.", "Hotels are booked through the travel desk.", "Travel by train."]
QUERY = "who books hotels for travel"


def _reranker(url: str, protocol: RerankProtocol, *, timeout: float = 10.0, key: str | None = "k") -> HttpReranker:
    base = url if protocol is RerankProtocol.TEI else f"{url}/v1"
    return HttpReranker(base_url=base, protocol=protocol, model="double-rerank", api_key=key, timeout_seconds=timeout)


@pytest.mark.parametrize("protocol", list(RerankProtocol))
async def test_scores_come_back_in_passage_order_whatever_order_the_server_ranks_them(
    reranker_server: tuple[RerankDouble, str], protocol: RerankProtocol
) -> None:
    double, url = reranker_server
    reranker = _reranker(url, protocol)
    scores = await reranker.rerank(QUERY, PASSAGES)
    await reranker.close()
    assert len(scores) == 3
    assert scores[1] > scores[2] > scores[0]  # the server answered best first: index 1, 2, 0
    assert reranker.enabled
    path, payload, headers = double.requests[-1]
    assert headers["authorization"] == "Bearer k"
    if protocol is RerankProtocol.TEI:
        assert path == "/rerank"
        assert payload["texts"] == PASSAGES
        assert payload["query"] == QUERY
        assert payload["truncate"] is True
    else:
        assert path == "/v1/rerank"
        assert payload == {"model": "double-rerank", "query": QUERY, "documents": PASSAGES, "top_n": 3}
        assert scores == pytest.approx(bm25_scores(QUERY, PASSAGES))


async def test_no_passages_make_no_call_and_no_key_sends_no_authorization(
    reranker_server: tuple[RerankDouble, str],
) -> None:
    double, url = reranker_server
    reranker = _reranker(url, RerankProtocol.TEI, key=None)
    assert await reranker.rerank(QUERY, []) == []
    assert double.requests == []
    await reranker.rerank(QUERY, PASSAGES)
    await reranker.close()
    assert "authorization" not in double.requests[-1][2]


@pytest.mark.parametrize("status", [500, 503, 429, 401, 413])
@pytest.mark.parametrize("protocol", list(RerankProtocol))
async def test_an_error_status_is_unavailable_after_one_attempt(
    reranker_server: tuple[RerankDouble, str], protocol: RerankProtocol, status: int
) -> None:
    double, url = reranker_server
    double.failures.extend([status, status])
    reranker = _reranker(url, protocol)
    with pytest.raises(RerankerUnavailableError, match=f"HTTP {status}"):
        await reranker.rerank(QUERY, PASSAGES)
    await reranker.close()
    assert len(double.requests) == 1  # no retry: the search keeps its order at once


@pytest.mark.parametrize(
    ("protocol", "answer"),
    [
        (RerankProtocol.TEI, {"unexpected": True}),
        (RerankProtocol.TEI, [{"index": 0, "score": "high"}]),
        (RerankProtocol.TEI, [{"index": 0, "score": 1.0}, {"index": 1, "score": 0.5}]),  # one passage unscored
        (RerankProtocol.TEI, [{"index": i, "score": 1.0} for i in (0, 1, 3)]),  # an index out of range
        (RerankProtocol.COHERE, {"results": [{"index": i, "relevance_score": 1.0} for i in (0, 0, 1)]}),  # repeated
        (RerankProtocol.COHERE, [{"index": 0, "score": 1.0}]),  # the other shape
    ],
)
async def test_a_malformed_or_incomplete_answer_is_unavailable(
    reranker_server: tuple[RerankDouble, str], protocol: RerankProtocol, answer: object
) -> None:
    double, url = reranker_server
    double.answer = answer
    reranker = _reranker(url, protocol)
    with pytest.raises(RerankerUnavailableError, match="unexpected response"):
        await reranker.rerank(QUERY, PASSAGES)
    await reranker.close()


async def test_a_hanging_server_times_out(reranker_server: tuple[RerankDouble, str]) -> None:
    double, url = reranker_server
    double.hang = True
    reranker = _reranker(url, RerankProtocol.TEI, timeout=0.2)
    try:
        with pytest.raises(RerankerUnavailableError, match="timed out"):
            await reranker.rerank(QUERY, PASSAGES)
    finally:
        double.hang = False
        await reranker.close()


async def test_a_refused_connection_is_unavailable() -> None:
    reranker = HttpReranker(base_url=f"http://127.0.0.1:{free_port()}", protocol=RerankProtocol.TEI)
    with pytest.raises(RerankerUnavailableError, match="connection failed"):
        await reranker.rerank(QUERY, PASSAGES)
    await reranker.close()


async def test_the_disabled_reranker_says_so() -> None:
    reranker = DisabledReranker()
    assert not reranker.enabled
    with pytest.raises(RerankerUnavailableError):
        await reranker.rerank(QUERY, PASSAGES)
    await reranker.close()
