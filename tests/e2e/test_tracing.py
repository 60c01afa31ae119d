"""One HTTP request gives one server span with child DB and Redis spans."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.support.api import signed_in


def _descends_from(span: ReadableSpan, ancestor: ReadableSpan, by_id: dict[int, ReadableSpan]) -> bool:
    current = span
    while current.parent is not None:
        if current.parent.span_id == ancestor.context.span_id:
            return True
        parent = by_id.get(current.parent.span_id)
        if parent is None:
            return False
        current = parent
    return False


async def test_request_span_has_db_and_redis_children(
    client: AsyncTestClient[Litestar], spans: InMemorySpanExporter
) -> None:
    response = await client.get("/health/ready", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 200

    finished = spans.get_finished_spans()
    servers = [s for s in finished if s.kind is SpanKind.SERVER]
    assert len(servers) == 1
    server = servers[0]
    assert server.attributes is not None
    assert server.attributes.get("http.request_id") == "trace-me"
    trace_id = server.context.trace_id
    by_id = {s.context.span_id: s for s in finished}

    db = [s for s in finished if s.attributes and s.attributes.get("db.system") == "postgresql"]
    cache = [s for s in finished if s.attributes and s.attributes.get("db.system") == "redis"]
    assert db, [s.name for s in finished]
    assert cache, [s.name for s in finished]
    for child in (*db, *cache):
        assert child.kind is SpanKind.CLIENT
        assert child.context.trace_id == trace_id
        assert _descends_from(child, server, by_id)


async def test_an_authenticated_read_traces_its_rate_limit_and_session_lookups(
    client: AsyncTestClient[Litestar], spans: InMemorySpanExporter
) -> None:
    account = await signed_in(client, "traced@example.org")
    spans.clear()
    response = await client.get("/api/v1/collections", headers=account.headers)
    assert response.status_code == 200

    finished = spans.get_finished_spans()
    (server,) = [s for s in finished if s.kind is SpanKind.SERVER]
    children = [s for s in finished if s.parent is not None and s.parent.span_id == server.context.span_id]
    redis = [s for s in children if s.attributes and s.attributes.get("db.system") == "redis"]
    postgres = [s for s in children if s.attributes and s.attributes.get("db.system") == "postgresql"]
    assert [s.name for s in redis] == ["EVALSHA"]  # the rate limit: one span, no caller id in it
    assert redis[0].attributes is not None
    assert account.id not in str(redis[0].attributes.get("db.statement"))
    assert len(postgres) == 3  # the caller's session with its user; an empty page, so its total is counted apart
