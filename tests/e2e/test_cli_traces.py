"""Every `lore` command (but the servers) is one root span; jobs it queues join its trace."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
from click.testing import CliRunner
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, format_trace_id

from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from tests.support.processes import embedded_env, run_lore
from tests.support.servers import read_body, serve


def _roots(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        s for s in spans.get_finished_spans() if s.instrumentation_scope and s.instrumentation_scope.name == "lore.cli"
    ]


def test_a_command_is_one_root_span_over_its_database_work(lore: CliRunner, spans: InMemorySpanExporter) -> None:
    result = lore.invoke(cli, ["users", "list", "--role", "admin"])
    assert result.exit_code == 0, result.output

    [root] = _roots(spans)
    assert root.name == "lore users list"
    assert root.parent is None
    assert (root.attributes or {}).get("lore.cli.command") == "users list"  # never the arguments
    assert root.status.status_code is StatusCode.UNSET
    queries = [s for s in spans.get_finished_spans() if (s.attributes or {}).get("db.system") == "postgresql"]
    assert queries
    assert {s.context.trace_id for s in queries} == {root.context.trace_id}


def test_each_command_gets_a_trace_of_its_own(lore: CliRunner, spans: InMemorySpanExporter) -> None:
    for _ in range(2):
        assert lore.invoke(cli, ["users", "list"]).exit_code == 0
    first, second = _roots(spans)
    assert first.context.trace_id != second.context.trace_id


def test_a_failed_command_is_an_error_span(lore: CliRunner, spans: InMemorySpanExporter) -> None:
    result = lore.invoke(cli, ["users", "set-role", "ghost@example.org", "admin"])
    assert result.exit_code == 1

    [root] = _roots(spans)
    assert root.name == "lore users set-role"
    assert root.status.status_code is StatusCode.ERROR
    assert "ghost" not in str(root.status.description)


def test_help_and_the_servers_make_no_span(lore: CliRunner, spans: InMemorySpanExporter) -> None:
    for args in (["--help"], ["worker", "--help"], ["serve", "--help"], ["dev", "--help"]):
        assert lore.invoke(cli, args).exit_code == 0
    assert _roots(spans) == []


async def _job_traceparents(database_url: str) -> list[str | None]:
    connection = await asyncpg.connect(database_url)
    try:
        return [row["traceparent"] for row in await connection.fetch("SELECT traceparent FROM ingestion_jobs")]
    finally:
        await connection.close()


async def _collection(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO collections (id, name, description, created_at, updated_at) "
            "VALUES (gen_random_uuid(), 'Docs', '', now(), now())"
        )
    finally:
        await connection.close()


def test_jobs_a_command_queues_carry_its_trace(
    lore: CliRunner, settings: Settings, spans: InMemorySpanExporter, tmp_path: Path
) -> None:
    asyncio.run(_collection(settings.require_database_url))
    (tmp_path / "a.txt").write_text("Plain text file.")

    result = lore.invoke(cli, ["ingest", str(tmp_path / "a.txt"), "--collection", "Docs"])
    assert result.exit_code == 0, result.output

    [root] = _roots(spans)
    [traceparent] = asyncio.run(_job_traceparents(settings.require_database_url))
    assert traceparent is not None
    assert traceparent.split("-")[1] == format_trace_id(root.context.trace_id)


class _OtlpCollector:
    """Keeps the bodies POSTed to /v1/traces (OTLP/HTTP protobuf: span names appear as plain bytes)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = await read_body(receive)
        if scope["path"] == "/v1/traces":
            self.bodies.append(body)
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/x-protobuf")]}
        )
        await send({"type": "http.response.body", "body": b""})


def test_a_command_exports_its_span_when_an_otlp_endpoint_is_set(settings: Settings, tmp_path: Path) -> None:
    collector = _OtlpCollector()
    with serve(collector) as url:
        env = embedded_env(
            tmp_path,
            LORE_ENV="test",
            DATABASE_URL=settings.require_database_url,
            REDIS_URL=settings.require_redis_url,
            JWT_SECRET=settings.jwt_secret,
            OTEL_EXPORTER_OTLP_ENDPOINT=url,
        )
        result = run_lore(env, "users", "list")
    assert result.returncode == 0, result.stderr
    exported = b"".join(collector.bodies)
    assert b"lore users list" in exported  # flushed at exit, before the process ended
    assert b"postgresql" in exported  # the command's queries, instrumented because tracing was set up
