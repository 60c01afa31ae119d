"""Embeddings over the OpenAI wire protocol (OpenAI, Ollama, vLLM, TEI, ... via base URL)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import openai
from openai import AsyncOpenAI

from domain.knowledge.errors import EmbeddingsDisabledError, EmbeddingsUnavailableError


class _Embedding(msgspec.Struct):
    index: int
    embedding: list[float]


class _Answer(msgspec.Struct):
    data: list[_Embedding]


# the SDK's own parsing builds a typed object per float (~2 ms of CPU per 384-dim vector): the worker's
# ingestion spent more CPU there than on everything else; msgspec decodes the same body in C
_decode_answer = msgspec.json.Decoder(_Answer).decode


class OpenAICompatibleEmbedder:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        dimensions: int | None = None,
        timeout_seconds: float = 10.0,
        max_retries: int = 0,
    ) -> None:
        # no SDK retry by default: a search degrades to keyword at once and ingestion jobs retry on their schedule
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_seconds, max_retries=max_retries
        )
        self._model = model
        self._dimensions = dimensions

    @property
    def enabled(self) -> bool:
        return True

    @property
    def model(self) -> str:
        return self._model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors in input order; any failure of the server (refused, timed out, 5xx, nonsense) is
        EmbeddingsUnavailableError, with the cause chained for the logs."""
        if not texts:
            return []
        # the raw body is decoded here: ask for floats (the SDK asks for base64 and decodes it itself)
        create = self._client.embeddings.with_raw_response.create
        try:
            if self._dimensions is not None:
                raw = await create(
                    model=self._model, input=list(texts), dimensions=self._dimensions, encoding_format="float"
                )
            else:
                raw = await create(model=self._model, input=list(texts), encoding_format="float")
            ordered = sorted(_decode_answer(raw.content).data, key=lambda item: item.index)
        except (openai.OpenAIError, msgspec.MsgspecError, AttributeError, TypeError, ValueError) as exc:
            raise EmbeddingsUnavailableError(
                f"The embeddings server is not answering ({_reason(exc)}); try again shortly or use keyword search."
            ) from exc
        if len(ordered) != len(texts):
            raise EmbeddingsUnavailableError(
                f"The embeddings server returned {len(ordered)} vectors for {len(texts)} inputs."
            )
        return [item.embedding for item in ordered]

    async def close(self) -> None:
        await self._client.close()


def _reason(exc: Exception) -> str:
    """A short cause for job errors and logs, without the server's response body."""
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "connection failed"
    return f"unexpected response ({type(exc).__name__})"


class DisabledEmbedder:
    """Stands in when no provider is configured: documents are still chunked and keyword-searchable."""

    @property
    def enabled(self) -> bool:
        return False

    @property
    def model(self) -> str:
        return ""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise EmbeddingsDisabledError()
