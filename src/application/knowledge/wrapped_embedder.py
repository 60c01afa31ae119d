"""The base of embedders that stand in front of another (breaker, query cache, batching)."""

from __future__ import annotations

from application.knowledge.ports import Embedder


class WrappedEmbedder:
    """Reports the inner embedder's model and whether it is enabled; subclasses change only ``embed``."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner

    @property
    def enabled(self) -> bool:
        return self._inner.enabled

    @property
    def model(self) -> str:
        return self._inner.model
