"""In-memory fakes of the knowledge ports that search and retrieval use."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

from application.knowledge.ports import ChunkHit, SearchFilters, SearchScope
from domain.knowledge.errors import EmbeddingsUnavailableError


def hit(text: str, collection_id: UUID | None = None) -> ChunkHit:
    return ChunkHit(uuid4(), uuid4(), collection_id or uuid4(), "Doc", text, 0, len(text), 1.0)


class FakeSearchIndex:
    """Answers keyword and vector queries with fixed hits and records which ran."""

    def __init__(self, keyword: Sequence[ChunkHit] = (), vector: Sequence[ChunkHit] = ()) -> None:
        self.keyword_hits = list(keyword)
        self.vector_hits = list(vector)
        self.calls: list[str] = []
        self.scopes: list[SearchScope] = []

    async def keyword(self, query: str, scope: SearchScope, filters: SearchFilters, limit: int) -> list[ChunkHit]:
        self.calls.append("keyword")
        self.scopes.append(scope)
        return self.keyword_hits[:limit]

    async def vector(
        self, embedding: Sequence[float], model: str, scope: SearchScope, filters: SearchFilters, limit: int
    ) -> list[ChunkHit]:
        self.calls.append("vector")
        self.scopes.append(scope)
        return self.vector_hits[:limit]


class FakeEmbedder:
    """Embeds to a constant vector, or fails like a server that is down while ``down`` is set."""

    def __init__(self, *, enabled: bool = True, down: bool = False) -> None:
        self._enabled = enabled
        self.down = down
        self.calls = 0

    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def model(self) -> str:
        return "fake-embed" if self._enabled else ""

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        if self.down:
            raise EmbeddingsUnavailableError("The embeddings server is not answering (connection failed).")
        return [[1.0, 0.0] for _ in texts]


class FakeReadableCollections:
    def __init__(self, members: dict[UUID, set[UUID]] | None = None, existing: set[UUID] | None = None) -> None:
        self.members = members or {}  # user -> collections they belong to
        self.existing = existing if existing is not None else set().union(*self.members.values())

    async def readable(
        self, user_id: UUID, collection_ids: frozenset[UUID], *, all_collections: bool
    ) -> frozenset[UUID]:
        visible = self.existing if all_collections else self.members.get(user_id, set())
        return frozenset(collection_ids & visible)


class FakeQueryEmbeddingCache:
    """A dict with the TTLs it was given."""

    def __init__(self) -> None:
        self.vectors: dict[str, list[float]] = {}
        self.ttls: dict[str, int] = {}

    async def get(self, key: str) -> list[float] | None:
        return self.vectors.get(key)

    async def put(self, key: str, vector: Sequence[float], ttl_seconds: int) -> None:
        self.vectors[key] = list(vector)
        self.ttls[key] = ttl_seconds
