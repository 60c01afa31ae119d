"""Rerankers over the common HTTP rerank APIs.

- ``tei``: Hugging Face Text Embeddings Inference, ``POST {RERANK_URL}/rerank``
  ``{"query", "texts", "raw_scores", "truncate"}`` -> ``[{"index", "score"}]``;
- ``cohere``: Cohere, Jina, vLLM and other Cohere-shaped servers, ``POST {RERANK_URL}/rerank``
  ``{"model", "query", "documents", "top_n"}`` -> ``{"results": [{"index", "relevance_score"}]}``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from enum import StrEnum

import httpx
import msgspec

from adapters.metrics.knowledge import observe_rerank
from domain.knowledge.errors import RerankerUnavailableError


class RerankProtocol(StrEnum):
    TEI = "tei"
    COHERE = "cohere"


class _TeiScore(msgspec.Struct):
    index: int
    score: float


class _CohereResult(msgspec.Struct):
    index: int
    relevance_score: float


class _CohereAnswer(msgspec.Struct):
    results: list[_CohereResult]


_decode_tei = msgspec.json.Decoder(list[_TeiScore]).decode
_decode_cohere = msgspec.json.Decoder(_CohereAnswer).decode


class HttpReranker:
    def __init__(
        self,
        *,
        base_url: str,
        protocol: RerankProtocol,
        model: str = "",
        api_key: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        # one attempt: a failed rerank costs the search only its ordering, a retry would cost it the latency
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(timeout=timeout_seconds, headers=headers)
        self._url = base_url.rstrip("/") + "/rerank"
        self._protocol = protocol
        self._model = model

    @property
    def enabled(self) -> bool:
        return True

    async def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        """Scores in passage order; any failure (refused, timed out, non-2xx, nonsense) is
        RerankerUnavailableError with the cause chained for the logs."""
        if not passages:
            return []
        started = time.perf_counter()
        try:
            scores = await self._scores(query, passages)
        except (httpx.HTTPError, msgspec.MsgspecError, ValueError) as exc:
            kind, reason = _failure(exc)
            observe_rerank(time.perf_counter() - started, kind)
            raise RerankerUnavailableError(f"The rerank server is not answering ({reason}).") from exc
        observe_rerank(time.perf_counter() - started, None)
        return scores

    async def _scores(self, query: str, passages: Sequence[str]) -> list[float]:
        if self._protocol is RerankProtocol.TEI:
            body: dict[str, object] = {"query": query, "texts": list(passages), "raw_scores": False, "truncate": True}
            if self._model:
                body["model"] = self._model  # TEI serves one model and ignores it; routers in front may not
        else:
            body = {"model": self._model, "query": query, "documents": list(passages), "top_n": len(passages)}
        response = await self._client.post(self._url, json=body)
        response.raise_for_status()
        if self._protocol is RerankProtocol.TEI:
            pairs = [(item.index, item.score) for item in _decode_tei(response.content)]
        else:
            pairs = [(item.index, item.relevance_score) for item in _decode_cohere(response.content).results]
        scores: list[float | None] = [None] * len(passages)
        for index, score in pairs:
            if not 0 <= index < len(passages) or scores[index] is not None:
                raise ValueError(f"index {index} out of range or repeated")
            scores[index] = score
        if any(score is None for score in scores):
            raise ValueError(f"{sum(s is None for s in scores)} of {len(passages)} passages were not scored")
        return [score for score in scores if score is not None]

    async def close(self) -> None:
        await self._client.aclose()


def _failure(exc: Exception) -> tuple[str, str]:
    """The metric's error type and a short cause for the logs, without the server's response body."""
    if isinstance(exc, httpx.HTTPStatusError):
        return "http_status", f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout", "timed out"
    if isinstance(exc, httpx.TransportError):
        return "connection", "connection failed"
    return "invalid_response", f"unexpected response ({type(exc).__name__})"


class DisabledReranker:
    """Stands in when RERANK_URL is unset."""

    @property
    def enabled(self) -> bool:
        return False

    async def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        raise RerankerUnavailableError("No rerank server is configured.")

    async def close(self) -> None:
        return None
