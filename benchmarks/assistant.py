"""The assistant's own overhead over provider time, and SSE time-to-first-byte after the provider's first token.

Everything runs in one process (API under uvicorn, the OpenAI-wire double, the HTTP client) so the
timestamps share one monotonic clock. The double answers after a fixed delay; overhead is end-to-end
latency minus the time the double spent on the request.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from dishka import Provider

from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from application.knowledge.ports import ChunkHit, Embedder, SearchIndex
from benchmarks.stores import bench_stores
from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from entrypoints.http.app import create_app
from tests.support.chat_doubles import OpenAIChatDouble
from tests.support.openai_double import EmbeddingsDouble
from tests.support.servers import serve

PROVIDER_DELAY = 0.05


@dataclass
class TimedDouble(OpenAIChatDouble):
    """Waits PROVIDER_DELAY before answering and records when it worked and sent its first token."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    first_token_at: list[float] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        await asyncio.sleep(PROVIDER_DELAY)

        async def timed_send(message: dict[str, Any]) -> None:
            is_token = message["type"] == "http.response.body" and b"chat.completion.chunk" in message.get("body", b"")
            if is_token and len(self.first_token_at) < len(self.spans) + 1:
                self.first_token_at.append(time.perf_counter())
            await send(message)

        await super().__call__(scope, receive, timed_send)
        self.spans.append((started, time.perf_counter()))


@dataclass
class Spent:
    """Time spent in retrieval SQL and the query embedding, per request (filled by the decorators below)."""

    retrieval: list[float] = field(default_factory=list)
    embedding: list[float] = field(default_factory=list)

    def clear(self) -> None:
        self.retrieval.clear()
        self.embedding.clear()


class _TimedIndex:
    def __init__(self, inner: SearchIndex, spent: Spent) -> None:
        self._inner, self._spent = inner, spent

    async def keyword(self, *args: Any) -> list[ChunkHit]:
        started = time.perf_counter()
        try:
            return await self._inner.keyword(*args)
        finally:
            self._spent.retrieval.append(time.perf_counter() - started)

    async def vector(self, *args: Any) -> list[ChunkHit]:
        started = time.perf_counter()
        try:
            return await self._inner.vector(*args)
        finally:
            self._spent.retrieval.append(time.perf_counter() - started)


class _TimedEmbedder:
    def __init__(self, inner: Embedder, spent: Spent) -> None:
        self._inner, self._spent = inner, spent
        self.enabled, self.model = inner.enabled, inner.model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return await self._inner.embed(texts)
        finally:
            self._spent.embedding.append(time.perf_counter() - started)


def timings(spent: Spent) -> Provider:
    provider = Provider()

    def index(inner: SearchIndex) -> SearchIndex:
        return _TimedIndex(inner, spent)  # type: ignore[return-value]

    def embedder(inner: Embedder) -> Embedder:
        return _TimedEmbedder(inner, spent)  # type: ignore[return-value]

    provider.decorate(index)
    provider.decorate(embedder)
    return provider


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def run(requests: int, output: Path) -> None:
    chat, embeddings = TimedDouble(), EmbeddingsDouble()
    async with bench_stores() as stores:
        with serve(chat) as chat_url, serve(embeddings) as embed_url:
            settings = stores.settings(
                embeddings_base_url=f"{embed_url}/v1",
                llm_providers="openai",
                openai_base_url=f"{chat_url}/v1",
                openai_api_key="bench",
                token_quota_per_day=10**9,
            )
            container = build_container(settings)
            async with container() as scope:
                await (await scope.get(CreateUser)).execute(
                    NewAccount("bench@example.org", "bench password 123", "Bench", Role.EDITOR, verified=True)
                )
            await container.close()
            spent = Spent()
            with serve(create_app(settings, run_worker=True, overrides=[timings(spent)])) as api:
                results = await measure(api, chat, spent, requests)
    overhead, ttfb, retrieval, embedding = results
    lines = [
        f"## Assistant ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()})",
        "",
        f"`POST /ask` over real HTTP (uvicorn), {requests} distinct questions (no cache hits), hybrid retrieval over"
        f" a small collection, an OpenAI-wire double answering after {PROVIDER_DELAY * 1000:.0f} ms.",
        "",
        "| measure | P50 ms | P95 ms |",
        "| --- | ---: | ---: |",
        f"| overhead over provider time, excluding retrieval and the query embedding (JSON) |"
        f" {statistics.median(overhead):.1f} | {percentile(overhead, 0.95):.1f} |",
        f"| retrieval SQL (hybrid: keyword + vector leg) | {statistics.median(retrieval):.1f} |"
        f" {percentile(retrieval, 0.95):.1f} |",
        f"| query embedding (HTTP round trip to the double, cache miss) | {statistics.median(embedding):.1f} |"
        f" {percentile(embedding, 0.95):.1f} |",
        f"| SSE first byte after the provider's first token | {statistics.median(ttfb):.1f} |"
        f" {percentile(ttfb, 0.95):.1f} |",
        "",
        "Overhead covers authentication, quota reservation, the query-embedding cache lookup, prompt building,"
        " answer-cache lookup and store, and response encoding; retrieval and the query embedding are timed"
        " around the `SearchIndex` and `Embedder` ports (dishka decorators) and reported on their own rows.",
        "",
    ]
    output.write_text("\n".join(lines))
    print("\n".join(lines))


async def measure(
    api: str, chat: TimedDouble, spent: Spent, requests: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": "bench@example.org", "password": "bench password 123"}
        )
        headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        collection = (await client.post("/api/v1/collections", json={"name": "Bench"}, headers=headers)).json()["data"]
        body = " ".join(f"Policy {i}: employees receive {i} days of leave for reason {i}." for i in range(200))
        document = await client.post(
            f"/api/v1/collections/{collection['id']}/documents",
            json={"title": "Policies", "content": body},
            headers=headers,
        )
        for _ in range(200):
            status = (await client.get(f"/api/v1/documents/{document.json()['data']['id']}", headers=headers)).json()
            if status["data"]["status"] == "ready":
                break
            await asyncio.sleep(0.05)
        overhead: list[float] = []
        retrieval: list[float] = []
        embedding: list[float] = []
        for n in range(requests + 5):
            spent.clear()
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/ask", json={"question": f"How many days for reason {n}?"}, headers=headers
            )
            total = time.perf_counter() - started
            assert response.status_code == 200, response.text
            provider_start, provider_end = chat.spans[-1]
            if n >= 5:
                searched, embedded = sum(spent.retrieval), sum(spent.embedding)
                overhead.append((total - (provider_end - provider_start) - searched - embedded) * 1000)
                retrieval.append(searched * 1000)
                embedding.append(embedded * 1000)
        ttfb: list[float] = []
        for n in range(requests + 5):
            chat.first_token_at.clear()
            chat.spans.clear()
            async with client.stream(
                "POST", "/api/v1/ask", json={"question": f"Streaming question {n}?", "stream": True}, headers=headers
            ) as response:
                received = 0.0
                async for line in response.aiter_lines():  # read to the end; note when the first token came
                    if not received and line.startswith("data: ") and '"content"' in line:
                        received = time.perf_counter()
            if n >= 5:
                ttfb.append((received - chat.first_token_at[0]) * 1000)
        return overhead, ttfb, retrieval, embedding


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/assistant.md"))
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.requests, args.output))
