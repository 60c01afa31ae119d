"""The assistant's own overhead over provider time, and SSE time-to-first-byte after the provider's first token.

The API runs in its own process (uvicorn, configured like `lore serve`), so it does not share a GIL with the
bench's client or the provider doubles (sharing one made every hand-over wait for the interpreter's 5 ms switch
interval). The doubles and the client run here; the double answers after a fixed delay; overhead is end-to-end
latency minus the time the double spent on the request and the retrieval time the API measured around
`Search.execute` (read back from the API process after each request).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import platform
import statistics
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
from dishka import Provider

from application.assistant.answer import Answer, AnswerEvent, AskQuestion, Question
from application.assistant.ports import ChatModel, Completion, StreamEvent
from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from application.knowledge.ports import ChunkHit, Embedder, SearchIndex
from application.knowledge.search import Search, SearchRequest, SearchResult
from benchmarks.stores import bench_stores
from domain.assistant.models import ChatTurn
from domain.identity.principal import Principal
from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.support.chat_doubles import OpenAIChatDouble
from tests.support.openai_double import EmbeddingsDouble
from tests.support.servers import free_port, serve

PROVIDER_DELAY = 0.05
T = TypeVar("T")


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
    """Wall time per request in the parts of /ask that are not Lore's own overhead (filled by the decorators below).

    The keyword leg runs while the query is embedded and the vector leg searched, so the legs overlap: the
    retrieval wall time is the time spent in `Search.execute` (collection check, query embedding, both legs).
    """

    ask: list[float] = field(default_factory=list)  # AskQuestion.execute
    search: list[float] = field(default_factory=list)  # Search.execute: retrieval and the query embedding
    keyword: list[float] = field(default_factory=list)
    vector: list[float] = field(default_factory=list)
    embedding: list[float] = field(default_factory=list)  # the query embedding, through its cache
    chat: list[float] = field(default_factory=list)  # the ChatModel port: provider client + provider

    def clear(self) -> None:
        for values in (self.ask, self.search, self.keyword, self.vector, self.embedding, self.chat):
            values.clear()


_SPENT_PATH = "/__bench/spent"


def _with_spent_route(app: Any, spent: Spent) -> Any:
    """The API plus one route the bench reads (and clears) the last request's timings from."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != _SPENT_PATH:
            await app(scope, receive, send)
            return
        body = json.dumps(asdict(spent)).encode()
        spent.clear()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    return wrapped


def _api_process(settings: Settings, port: int) -> None:
    import uvicorn

    spent = Spent()
    app = _with_spent_route(create_app(settings, run_worker=True, overrides=[timings(spent)]), spent)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, lifespan="on", server_header=False, access_log=False
    )
    uvicorn.Server(config).run()


async def _started(api: str, process: multiprocessing.process.BaseProcess) -> None:
    async with httpx.AsyncClient(base_url=api, timeout=5) as client:
        for _ in range(600):
            if not process.is_alive():
                raise RuntimeError("the API process exited during start-up")
            try:
                if (await client.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the API process did not start within 60 s")


class _Timed:
    def __init__(self, into: list[float]) -> None:
        self._into = into

    async def time(self, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await call
        finally:
            self._into.append(time.perf_counter() - started)


class _TimedIndex:
    def __init__(self, inner: SearchIndex, spent: Spent) -> None:
        self._inner, self._keyword, self._vector = inner, _Timed(spent.keyword), _Timed(spent.vector)

    async def keyword(self, *args: Any) -> list[ChunkHit]:
        return await self._keyword.time(self._inner.keyword(*args))

    async def vector(self, *args: Any) -> list[ChunkHit]:
        return await self._vector.time(self._inner.vector(*args))


class _TimedEmbedder:
    def __init__(self, inner: Embedder, spent: Spent) -> None:
        self._inner, self._timed = inner, _Timed(spent.embedding)
        self.enabled, self.model = inner.enabled, inner.model

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return await self._timed.time(self._inner.embed(texts))


class _TimedChat:
    def __init__(self, inner: ChatModel, spent: Spent) -> None:
        self._inner, self._timed = inner, _Timed(spent.chat)
        self.provider, self.model, self.metered = inner.provider, inner.model, inner.metered

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion:
        return await self._timed.time(self._inner.complete(turns, max_tokens))

    def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        return self._inner.stream(turns, max_tokens)


def timings(spent: Spent) -> Provider:
    provider = Provider()

    def index(inner: SearchIndex) -> SearchIndex:
        return _TimedIndex(inner, spent)  # type: ignore[return-value]

    def embedder(inner: Embedder) -> Embedder:
        return _TimedEmbedder(inner, spent)  # type: ignore[return-value]

    def chat(inner: ChatModel) -> ChatModel:
        return _TimedChat(inner, spent)  # type: ignore[return-value]

    def search(inner: Search) -> Search:
        timed = _Timed(spent.search)

        class TimedSearch(Search):
            def __init__(self) -> None:  # no super().__init__: every call goes to `inner`
                pass

            async def execute(self, principal: Principal, request: SearchRequest) -> SearchResult:
                return await timed.time(inner.execute(principal, request))

        return TimedSearch()

    def ask(inner: AskQuestion) -> AskQuestion:
        timed = _Timed(spent.ask)

        class TimedAsk(AskQuestion):
            def __init__(self) -> None:
                pass

            async def execute(self, principal: Principal, question: Question) -> Answer:
                return await timed.time(inner.execute(principal, question))

            async def stream(self, principal: Principal, question: Question) -> AsyncIterator[AnswerEvent]:
                return await inner.stream(principal, question)

        return TimedAsk()

    for decorator in (index, embedder, chat, search, ask):
        provider.decorate(decorator)
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
            port = free_port()
            api = f"http://127.0.0.1:{port}"
            process = multiprocessing.get_context("spawn").Process(target=_api_process, args=(settings, port))
            process.start()
            try:
                await _started(api, process)
                results = await measure(api, chat, embeddings, requests)
            finally:
                process.terminate()
                process.join(timeout=30)

    def row(label: str, values: list[float]) -> str:
        return f"| {label} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} |"

    lines = [
        f"## Assistant ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()})",
        "",
        f"`POST /ask` over real HTTP (uvicorn in its own process, like `lore serve`), {requests} distinct questions,"
        " hybrid retrieval over a small"
        f" collection, an OpenAI-wire double answering after {PROVIDER_DELAY * 1000:.0f} ms; then the same questions"
        " again (answer and query-embedding caches hit). Times are wall times per request: retrieval and the query"
        " embedding are measured around `Search.execute` (the keyword leg overlaps the embedding and the vector"
        " leg, so the legs do not add up), the provider around the `ChatModel` port and inside the double.",
        "",
        "| measure | P50 ms | P95 ms |",
        "| --- | ---: | ---: |",
        row(
            "**overhead excluding retrieval, the query embedding and the provider's time** (JSON)", results["overhead"]
        ),
        row(
            "... of it in `AskQuestion` (corpus fingerprint, answer cache, quota reserve + settle, prompt)",
            results["use_case"],
        ),
        row(
            "... of it in the provider client (OpenAI SDK: request, parse; port time minus the double's)",
            results["client"],
        ),
        row("... of it in HTTP (auth, middleware, DI, encoding, uvicorn, the bench's httpx client)", results["http"]),
        row("retrieval and query embedding (`Search.execute`, wall)", results["search"]),
        row("keyword leg", results["keyword"]),
        row("vector leg", results["vector"]),
        row("query embedding (cache miss: HTTP round trip to the double)", results["embedding"]),
        row("repeated question: overhead excluding retrieval (answer cached, no provider call)", results["repeat"]),
        row("repeated question: query embedding (query-embedding cache hit)", results["repeat_embedding"]),
        row("SSE first byte after the provider's first token", results["ttfb"]),
        "",
        f"Repeated questions sent {results['repeat_embeds'][0]:.0f} requests to the embeddings double (0: every"
        " query vector came from the cache).",
        "",
    ]
    output.write_text("\n".join(lines))
    print("\n".join(lines))


async def measure(api: str, chat: TimedDouble, embeddings: EmbeddingsDouble, requests: int) -> dict[str, list[float]]:
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
        results: dict[str, list[float]] = defaultdict(list)

        async def ask(question: str) -> tuple[float, bool, Spent]:
            await client.get(_SPENT_PATH)  # clears what the set-up requests left
            started = time.perf_counter()
            response = await client.post("/api/v1/ask", json={"question": question}, headers=headers)
            total = time.perf_counter() - started
            assert response.status_code == 200, response.text
            spent = Spent(**(await client.get(_SPENT_PATH)).json())
            return total, response.json()["data"]["cached"], spent

        questions = [f"How many days for reason {n}?" for n in range(requests + 5)]
        for n, question in enumerate(questions):
            total, cached, spent = await ask(question)
            assert not cached
            provider_start, provider_end = chat.spans[-1]
            provider = provider_end - provider_start
            search, chat_port, use_case = sum(spent.search), sum(spent.chat), sum(spent.ask)
            if n >= 5:  # warm-up excluded
                for name, value in (
                    ("overhead", total - provider - search),
                    ("use_case", use_case - chat_port - search),
                    ("client", chat_port - provider),
                    ("http", total - use_case),
                    ("search", search),
                    ("keyword", sum(spent.keyword)),
                    ("vector", sum(spent.vector)),
                    ("embedding", sum(spent.embedding)),
                ):
                    results[name].append(value * 1000)
        embedded = len(embeddings.requests)
        for question in questions[5:]:
            total, cached, spent = await ask(question)
            assert cached
            results["repeat"].append((total - sum(spent.search)) * 1000)
            results["repeat_embedding"].append(sum(spent.embedding) * 1000)
        results["repeat_embeds"].append(len(embeddings.requests) - embedded)
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
                results["ttfb"].append((received - chat.first_token_at[0]) * 1000)
        return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/assistant.md"))
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.requests, args.output))
