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
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.persistence import migrations
from application.identity.accounts import NewAccount
from application.identity.users import CreateUser
from domain.identity.roles import Role
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Environment, Settings
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


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def run(requests: int, output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="lore-bench-") as tmp:
        postgres, redis = EmbeddedPostgres(Path(tmp) / "pg", database="bench"), EmbeddedRedis(Path(tmp) / "redis")
        postgres.start()
        redis.start()
        chat, embeddings = TimedDouble(), EmbeddingsDouble()
        try:
            await postgres.ensure_database()
            await asyncio.to_thread(migrations.upgrade, postgres.url())
            with serve(chat) as chat_url, serve(embeddings) as embed_url:
                settings = Settings(
                    lore_env=Environment.TEST,
                    lore_data_dir=Path(tmp) / "data",
                    database_url=postgres.url(),
                    redis_url=redis.url,
                    jwt_secret="b" * 48,
                    embeddings_base_url=f"{embed_url}/v1",
                    llm_providers="openai",
                    openai_base_url=f"{chat_url}/v1",
                    openai_api_key="bench",
                    log_level="WARNING",
                    token_quota_per_day=10**9,
                    rate_limit_enabled=False,  # measures answering, not the limiter
                )
                container = build_container(settings)
                async with container() as scope:
                    await (await scope.get(CreateUser)).execute(
                        NewAccount("bench@example.org", "bench password 123", "Bench", Role.EDITOR, verified=True)
                    )
                await container.close()
                with serve(create_app(settings, run_worker=True)) as api:
                    results = await measure(api, chat, requests)
        finally:
            redis.stop()
            postgres.stop()
    overhead, ttfb = results
    lines = [
        f"## Assistant ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {platform.python_version()})",
        "",
        f"`POST /ask` over real HTTP (uvicorn), {requests} distinct questions (no cache hits), hybrid retrieval over"
        f" a small collection, an OpenAI-wire double answering after {PROVIDER_DELAY * 1000:.0f} ms.",
        "",
        "| measure | P50 ms | P95 ms |",
        "| --- | ---: | ---: |",
        f"| overhead over provider time (JSON) | {statistics.median(overhead):.1f} |"
        f" {percentile(overhead, 0.95):.1f} |",
        f"| SSE first byte after the provider's first token | {statistics.median(ttfb):.1f} |"
        f" {percentile(ttfb, 0.95):.1f} |",
        "",
        "Overhead covers authentication, quota reservation, the embedding call, retrieval SQL, prompt building,"
        " cache lookup and store, and response encoding.",
        "",
    ]
    output.write_text("\n".join(lines))
    print("\n".join(lines))


async def measure(api: str, chat: TimedDouble, requests: int) -> tuple[list[float], list[float]]:
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
        for n in range(requests + 5):
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/ask", json={"question": f"How many days for reason {n}?"}, headers=headers
            )
            total = time.perf_counter() - started
            assert response.status_code == 200, response.text
            provider_start, provider_end = chat.spans[-1]
            if n >= 5:
                overhead.append((total - (provider_end - provider_start)) * 1000)
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
        return overhead, ttfb


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/assistant.md"))
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.requests, args.output))
