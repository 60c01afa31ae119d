"""One trace per piece of work: the worker's spans for a job join the trace of the request that queued it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import msgspec
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapters.embedded.redis import EmbeddedRedis
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.e2e.test_assistant import _handbook
from tests.support.api import Client, signed_in, wait_for_mail
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble


async def _span(spans: InMemorySpanExporter, wanted: Callable[[ReadableSpan], bool]) -> ReadableSpan:
    """The first finished span matching ``wanted``; a worker's span ends a moment after its job's effect shows."""
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        for span in spans.get_finished_spans():
            if wanted(span):
                return span
        await asyncio.sleep(0.05)
    raise AssertionError(f"no such span among {[s.name for s in spans.get_finished_spans()]}")


def _server(method: str, path_end: str) -> Callable[[ReadableSpan], bool]:
    def wanted(span: ReadableSpan) -> bool:
        attributes = span.attributes or {}
        target = str(attributes.get("http.target") or attributes.get("url.path") or "")
        method_of = attributes.get("http.method") or attributes.get("http.request.method")
        return span.kind is SpanKind.SERVER and method_of == method and target.endswith(path_end)

    return wanted


def _job(task: str) -> Callable[[ReadableSpan], bool]:
    return lambda span: span.kind is SpanKind.CONSUMER and span.name == f"worker {task}"


def _children(spans: InMemorySpanExporter, parent: ReadableSpan) -> list[ReadableSpan]:
    return [
        s for s in spans.get_finished_spans() if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]


async def test_the_ingestion_of_an_upload_is_a_child_of_the_upload_request(
    kb_client: Client, spans: InMemorySpanExporter
) -> None:
    editor = await signed_in(kb_client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(kb_client, editor)
    spans.clear()
    uploaded = await add_text(kb_client, editor, collection, "Handbook", "Staff get twenty-five vacation days.")
    assert uploaded.status_code == 202, uploaded.text
    await wait_for_status(kb_client, editor, uploaded.json()["data"]["id"])

    upload = await _span(spans, _server("POST", f"/collections/{collection}/documents"))
    ingestion = await _span(spans, _job("ingest_document"))
    assert ingestion.context.trace_id == upload.context.trace_id
    assert ingestion.parent is not None
    assert ingestion.parent.is_remote  # its parent came through the outbox row and the queue
    assert ingestion.parent.trace_id == upload.context.trace_id
    # the ingestion's own database work is in that trace too
    queries = [s for s in _children(spans, ingestion) if (s.attributes or {}).get("db.system") == "postgresql"]
    assert queries
    assert {s.context.trace_id for s in queries} == {upload.context.trace_id}


async def test_a_job_sent_later_by_the_relay_still_joins_the_upload_trace(
    kb_settings: Settings, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    settings = msgspec.structs.replace(kb_settings, redis_url=redis.url)
    try:
        async with AsyncTestClient(app=create_app(settings)) as client:
            editor = await signed_in(client, "ed@example.org", Role.EDITOR)
            collection = await new_collection(client, editor)
            redis.stop()  # the upload commits its job to the outbox but cannot queue it
            uploaded = await add_text(client, editor, collection, "Outage", "Written while the queue was down.")
            assert uploaded.status_code == 202, uploaded.text
        upload = await _span(spans, _server("POST", f"/collections/{collection}/documents"))

        redis.start()
        async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
            await wait_for_status(client, editor, uploaded.json()["data"]["id"], timeout=30)
            ingestion = await _span(spans, _job("ingest_document"))
        # the worker's relay cron sent it, in a trace of its own; the job kept the upload's from its outbox row
        relay = await _span(spans, _job("relay_outbox"))
        assert relay.context.trace_id != upload.context.trace_id
        assert ingestion.context.trace_id == upload.context.trace_id
    finally:
        redis.stop()


async def test_a_summary_job_joins_the_trace_of_the_request_that_asked_for_it(
    ask_client: Client,
    chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str],
    spans: InMemorySpanExporter,
) -> None:
    editor, _, document_id = await _handbook(ask_client)
    spans.clear()
    response = await ask_client.post(f"/api/v1/documents/{document_id}/summarize", headers=editor.headers)
    assert response.status_code == 202, response.text

    asked = await _span(spans, _server("POST", f"/documents/{document_id}/summarize"))
    summary = await _span(spans, _job("summarize_document"))
    assert summary.context.trace_id == asked.context.trace_id
    assert summary.parent is not None
    assert summary.parent.is_remote
    # the provider call made for the summary is in the same trace
    llm = await _span(spans, lambda s: (s.attributes or {}).get("gen_ai.operation.name") == "chat")
    assert llm.context.trace_id == asked.context.trace_id


async def test_a_mail_delivery_joins_the_trace_of_the_request_that_sent_it(
    mail_client: Client, settings: Settings, spans: InMemorySpanExporter
) -> None:
    email = "ann@example.org"
    response = await mail_client.post(
        "/api/v1/auth/register", json={"email": email, "password": "a long enough passphrase", "display_name": "Ann"}
    )
    assert response.status_code == 201, response.text
    await wait_for_mail(settings.mailbox_dir, email, "Verify your email")

    registration = await _span(spans, _server("POST", "/auth/register"))
    delivery = await _span(spans, _job("send_email"))
    assert delivery.context.trace_id == registration.context.trace_id
    assert delivery.parent is not None
    assert delivery.parent.is_remote


async def test_a_job_queued_outside_any_trace_starts_its_own(mail_client: Client, spans: InMemorySpanExporter) -> None:
    # the heartbeat the worker runs at start-up carries no traceparent: a root span, no remote parent
    heartbeat = await _span(spans, _job("heartbeat"))
    assert heartbeat.parent is None
