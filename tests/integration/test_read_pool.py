"""The read pool: compiled Core statements, a connection cut while idle, an unreachable Postgres, spans."""

from __future__ import annotations

import asyncpg
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import Integer, bindparam, literal_column, select

from adapters.persistence.reads import ReadPool, Statement
from domain.shared.errors import DependencyUnavailableError
from entrypoints.bootstrap.settings import Settings
from entrypoints.bootstrap.telemetry import setup_tracing
from tests.support.servers import free_port

BACKEND = Statement(select(literal_column("pg_backend_pid()").label("pid"), bindparam("n", type_=Integer).label("n")))


async def test_values_bind_by_name_and_a_connection_cut_while_idle_is_replaced(settings: Settings) -> None:
    reads = ReadPool(settings.require_database_url, size=1)
    try:
        first = await reads.fetchrow(BACKEND, {"n": 7})
        assert first is not None
        assert first["n"] == 7
        killer = await asyncpg.connect(settings.require_database_url)
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", first["pid"])
        finally:
            await killer.close()
        again = await reads.fetch(BACKEND, {"n": 8})  # the pooled connection is dead: retried on a new one
        assert [row["n"] for row in again] == [8]
        assert again[0]["pid"] != first["pid"]
    finally:
        await reads.close()


async def test_an_unreachable_database_is_unavailable_not_an_error() -> None:
    reads = ReadPool(f"postgresql://lore@127.0.0.1:{free_port()}/lore", size=1)  # nobody listens there
    with pytest.raises(DependencyUnavailableError) as caught:
        await reads.fetchrow(BACKEND, {"n": 1})
    assert caught.value.details == {"dependency": "database"}
    await reads.close()


async def test_a_traced_read_has_a_client_span(settings: Settings, spans: InMemorySpanExporter) -> None:
    tracer = setup_tracing(settings).get_tracer("test")
    reads = ReadPool(settings.require_database_url, size=1)
    try:
        await reads.fetchrow(BACKEND, {"n": 1})  # not traced: no span
        assert spans.get_finished_spans() == ()
        with tracer.start_as_current_span("request") as parent:
            await reads.fetchrow(BACKEND, {"n": 1})
    finally:
        await reads.close()
    (db,) = [s for s in spans.get_finished_spans() if s.name != "request"]
    assert db.kind is SpanKind.CLIENT
    assert db.parent is not None
    assert db.parent.span_id == parent.get_span_context().span_id
    assert db.attributes is not None
    assert db.attributes["db.system"] == "postgresql"
    assert str(db.attributes["db.statement"]).startswith("SELECT pg_backend_pid()")


async def test_a_failing_traced_read_marks_its_span(settings: Settings, spans: InMemorySpanExporter) -> None:
    tracer = setup_tracing(settings).get_tracer("test")
    failing = Statement(select(literal_column("1 / 0").label("boom"), bindparam("n", type_=Integer).label("n")))
    reads = ReadPool(settings.require_database_url, size=1)
    try:
        with tracer.start_as_current_span("request"), pytest.raises(asyncpg.DivisionByZeroError):
            await reads.fetchrow(failing, {"n": 1})
    finally:
        await reads.close()
    (db,) = [s for s in spans.get_finished_spans() if s.name != "request"]
    assert db.status.status_code is StatusCode.ERROR
    assert [event.name for event in db.events] == ["exception"]
