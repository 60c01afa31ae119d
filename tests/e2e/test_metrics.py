"""GET /metrics over the real app: who may read it, and the HTTP, job, ingestion, LLM, cache, quota and
rate-limit metrics after real requests, with their labels."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from domain.identity.roles import Role
from entrypoints.bootstrap.metrics.exposition import all_exported_names
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.support.api import Account, Client, assert_error, bearer, signed_in
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble
from tests.support.prometheus import Scrape, parse

TOKEN = "metrics-" + "t" * 40
HANDBOOK = "Vacation policy: every employee receives twenty-five vacation days each year."


async def scrape(client: Client, headers: dict[str, str]) -> Scrape:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def scrape_until(client: Client, headers: dict[str, str], done: Callable[[Scrape], bool]) -> Scrape:
    """Job metrics are recorded just after the job's effects are visible: poll with a generous deadline."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        current = await scrape(client, headers)
        if done(current) or asyncio.get_running_loop().time() > deadline:
            return current
        await asyncio.sleep(0.05)


async def test_metrics_need_the_token_or_an_admin(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(msgspec.structs.replace(settings, metrics_token=TOKEN))) as client:
        assert_error(await client.get("/metrics"), 401, "UNAUTHENTICATED")
        assert_error(await client.get("/metrics", headers=bearer("not-the-token")), 401, "INVALID_TOKEN")
        member = await signed_in(client, "member@example.org")
        assert_error(await client.get("/metrics", headers=member.headers), 403, "FORBIDDEN")

        assert (await client.get("/metrics", headers=bearer(TOKEN))).status_code == 200
        admin = await signed_in(client, "admin@example.org", Role.ADMIN)
        allowed = await client.get("/metrics", headers=admin.headers)
        assert allowed.status_code == 200
        assert allowed.headers["cache-control"] == "no-store"
        assert "ratelimit" not in allowed.headers  # scrapers are never rate limited


async def test_without_a_token_only_admins_read_metrics(client: Client) -> None:
    member = await signed_in(client, "member@example.org")
    assert_error(await client.get("/metrics", headers=member.headers), 403, "FORBIDDEN")
    assert_error(await client.get("/metrics", headers=bearer(TOKEN)), 401, "INVALID_TOKEN")
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    assert (await client.get("/metrics", headers=admin.headers)).status_code == 200


async def _handbook(client: Client) -> tuple[Account, str]:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    document_id = (await add_text(client, editor, collection, "Handbook", HANDBOOK)).json()["data"]["id"]
    await wait_for_status(client, editor, document_id)
    return editor, document_id


def _delta(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.total(name, **labels) - before.total(name, **labels)


async def test_a_scrape_after_real_work_shows_http_job_llm_and_cache_metrics(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double = chat_doubles[0]
    admin = await signed_in(ask_client, "admin@example.org", Role.ADMIN)
    before = await scrape(ask_client, admin.headers)

    editor, _ = await _handbook(ask_client)
    openai_double.script.extend([500, 503, 429])  # openai fails every attempt: two retries, then anthropic
    ask = {"question": "How many vacation days?"}
    first = await ask_client.post("/api/v1/ask", json=ask, headers=editor.headers)
    assert first.json()["data"]["provider"] == "anthropic", first.text
    assert (await ask_client.post("/api/v1/ask", json=ask, headers=editor.headers)).json()["data"]["cached"]
    missing = await ask_client.get("/api/v1/documents/00000000-0000-7000-8000-000000000000", headers=editor.headers)
    assert missing.status_code == 404

    after = await scrape_until(
        ask_client,
        admin.headers,
        lambda s: _delta(before, s, "lore_jobs_succeeded_total", lore_task="ingest_document") >= 1,
    )
    # HTTP: by route template, method and status class
    duration = "http_server_request_duration_seconds"
    assert after.types[duration] == "histogram"
    ask_route = {"http_route": "/api/v1/ask", "http_request_method": "POST"}
    assert _delta(before, after, f"{duration}_count", **ask_route, http_response_status_class="2xx") == 2
    assert _delta(before, after, f"{duration}_sum", **ask_route) > 0
    document_route = {"http_route": "/api/v1/documents/{document_id}", "http_request_method": "GET"}
    assert _delta(before, after, f"{duration}_count", **document_route, http_response_status_class="4xx") == 1
    assert after.series("http_server_active_requests", http_request_method="GET")  # this scrape is in flight

    # jobs, per task
    ingest = {"lore_task": "ingest_document"}
    assert _delta(before, after, "lore_jobs_enqueued_total", **ingest) >= 1
    assert _delta(before, after, "lore_jobs_started_total", **ingest) >= 1
    assert _delta(before, after, "lore_jobs_duration_seconds_count", **ingest, lore_job_outcome="succeeded") >= 1
    assert after.series("lore_jobs_queue_depth", lore_queue="lore")
    assert after.series("lore_jobs_queue_oldest_age_seconds", lore_queue="lore")

    # ingestion stages (no embeddings double for chat tests? kb_settings has one: every stage passes)
    for stage in ("extract", "chunk", "embed", "index"):
        assert _delta(before, after, "lore_ingestion_documents_total", lore_ingestion_stage=stage) == 1, stage
    assert _delta(before, after, "lore_ingestion_chunks_total", lore_ingestion_stage="index") >= 1

    # LLM: calls, errors, retries, failover, tokens, breaker, per provider and model
    calls = "gen_ai_client_operation_duration_seconds_count"
    openai = {"gen_ai_provider_name": "openai", "gen_ai_request_model": "gpt-test"}
    anthropic = {"gen_ai_provider_name": "anthropic", "gen_ai_request_model": "claude-test"}
    assert _delta(before, after, calls, **openai) == 3
    assert sum(s.value for s in after.series(calls, **openai) if "error_type" in s.labels) >= 3
    assert _delta(before, after, calls, **anthropic) == 1
    tokens = "gen_ai_client_token_usage_sum"
    assert _delta(before, after, tokens, **anthropic, gen_ai_token_type="input") > 0
    assert _delta(before, after, tokens, **anthropic, gen_ai_token_type="output") > 0
    assert _delta(before, after, "lore_llm_retries_total", gen_ai_provider_name="openai") == 2
    assert _delta(before, after, "lore_llm_failovers_total", gen_ai_provider_name="openai") == 1
    assert after.series("lore_llm_breaker_state", gen_ai_provider_name="openai")

    # the answer cache: one miss, then one hit
    assert _delta(before, after, "lore_assistant_answer_cache_misses_total") == 1
    assert _delta(before, after, "lore_assistant_answer_cache_hits_total") == 1

    # the database pool and every series from a known instrument, tagged with its process
    assert after.series("db_client_connection_count", db_client_connection_state="used")
    assert after.series("db_client_connection_count", db_client_connection_state="idle")
    assert after.total("db_client_connection_wait_time_seconds_count") > 0
    assert after.names <= all_exported_names()
    assert len(after.instances) == 1


async def test_quota_and_rate_limit_rejections_are_counted(llm_settings: Settings) -> None:
    tight = msgspec.structs.replace(llm_settings, token_quota_per_day=1, rate_limit_write=3)
    async with AsyncTestClient(app=create_app(tight, run_worker=True)) as client:
        admin = await signed_in(client, "admin@example.org", Role.ADMIN)
        before = await scrape(client, admin.headers)
        editor = await signed_in(client, "ed@example.org", Role.EDITOR)
        refused = await client.post("/api/v1/ask", json={"question": "Vacation?"}, headers=editor.headers)
        assert_error(refused, 429, "QUOTA_EXCEEDED")
        statuses = [
            (await client.post("/api/v1/collections", json={"name": f"c{i}"}, headers=editor.headers)).status_code
            for i in range(4)
        ]
        assert statuses[-1] == 429
        after = await scrape(client, admin.headers)
    assert _delta(before, after, "lore_assistant_quota_rejections_total") == 1
    assert _delta(before, after, "lore_http_rate_limited_total", lore_rate_limit_policy="write") >= 1


async def test_a_scrape_leaves_no_spans(client: Client, spans: InMemorySpanExporter) -> None:
    """Scrapers call every few seconds: neither the request nor its Redis calls (publishing included) are traced."""
    admin = await signed_in(client, "admin@example.org", Role.ADMIN)
    spans.clear()
    assert (await client.get("/metrics", headers=admin.headers)).status_code == 200
    assert [(s.name, s.attributes) for s in spans.get_finished_spans()] == []
