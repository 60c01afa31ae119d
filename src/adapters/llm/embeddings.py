"""Embeddings over the OpenAI wire protocol (OpenAI, Ollama, vLLM, TEI, ... via base URL)."""

from __future__ import annotations

from collections.abc import Sequence

from openai import AsyncOpenAI

from domain.knowledge.errors import EmbeddingsDisabledError


class OpenAICompatibleEmbedder:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        dimensions: int | None = None,
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        # the SDK's own retry (429/5xx/connection errors, honouring Retry-After) is the only retry layer here
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
        if not texts:
            return []
        if self._dimensions is not None:
            response = await self._client.embeddings.create(
                model=self._model, input=list(texts), dimensions=self._dimensions
            )
        else:
            response = await self._client.embeddings.create(model=self._model, input=list(texts))
        ordered = sorted(response.data, key=lambda item: item.index)
        if len(ordered) != len(texts):
            raise ValueError(f"the embeddings server returned {len(ordered)} vectors for {len(texts)} inputs")
        return [list(item.embedding) for item in ordered]

    async def close(self) -> None:
        await self._client.close()


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
