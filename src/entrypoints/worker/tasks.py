"""Task functions: each opens a dishka REQUEST scope and calls one use case."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from dishka import AsyncContainer
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from saq.types import Context as SaqContext

from application.assistant.summaries import RunSummary
from application.identity.cleanup import PurgeExpiredCredentials
from application.identity.ports import EmailMessage, Mailer
from application.knowledge.ingest import IngestDocument
from application.knowledge.outbox import RelayOutbox
from application.knowledge.storage import BlobCollector
from application.platform.heartbeat import RecordHeartbeat
from application.shared.event_stream import PurgeEvents, RelayEvents
from application.webhooks.delivery import ClaimWebhookDeliveries, DeliverWebhook
from domain.webhooks.models import Delivery


class Context(SaqContext, total=False):
    """SAQ's job context plus the dishka container the worker put there at start-up."""

    container: AsyncContainer


Task = Callable[..., Awaitable[Any]]

_tracer = trace.get_tracer("lore.worker")
logger = logging.getLogger("lore.worker")
# the enqueuer put its W3C traceparent in the job's meta (adapters/trace_context.py)
_W3C = TraceContextTextMapPropagator()


def traced(task: Task) -> Task:
    """One CONSUMER span per job, parent of the task's DB and Redis spans.

    A job carrying a ``traceparent`` is a child of the span that queued it (the upload request, the
    summary or sign-up request, the CLI command), so one trace shows the work from request to worker;
    cron jobs carry none and start their own trace.
    """

    @functools.wraps(task)
    async def run(ctx: Context, **kwargs: Any) -> Any:
        job = ctx.get("job")
        parent = _W3C.extract(job.meta) if job is not None and job.meta else None
        with _tracer.start_as_current_span(
            f"worker {task.__name__}", context=parent or None, kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.system", "saq")
            span.set_attribute("messaging.operation.name", "process")
            if job is not None:
                span.set_attribute("messaging.message.id", str(job.key))
                span.set_attribute("lore.job.attempt", int(job.attempts))
            try:
                return await task(ctx, **kwargs)
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    return run


def container_of(ctx: Context) -> AsyncContainer:
    container: AsyncContainer = ctx["container"]
    return container


@traced
async def heartbeat(ctx: Context) -> str:
    worker_id = str(ctx["worker"].id)
    async with container_of(ctx)() as scope:
        use_case = await scope.get(RecordHeartbeat)
        at = await use_case.execute(worker_id)
    return at.isoformat()


@traced
async def send_email(ctx: Context, *, to: str, subject: str, text: str) -> None:
    """Deliver one queued email; failures raise so SAQ retries with backoff."""
    mailer = await container_of(ctx).get(Mailer)
    await mailer.deliver(EmailMessage(to=to, subject=subject, text=text))


@traced
async def ingest_document(ctx: Context, *, job_id: str) -> str:
    """One outbox job: extract, chunk, embed, index; the outcome decides retry or failure."""
    async with container_of(ctx)() as scope:
        result = await (await scope.get(IngestDocument)).execute(UUID(job_id))
    return f"{result.outcome.value}:{result.chunks}"


@traced
async def relay_outbox(ctx: Context) -> int:
    """Move committed ingestion jobs to the queue (and recover ones a dead worker held)."""
    async with container_of(ctx)() as scope:
        return await (await scope.get(RelayOutbox)).execute()


@traced
async def relay_events(ctx: Context) -> int:
    """Hand committed domain events to their subscribers (those the emitting process could not at once)."""
    async with container_of(ctx)() as scope:
        return await (await scope.get(RelayEvents)).execute()


@traced
async def summarize_document(ctx: Context, *, task_id: str) -> str:
    """Summarise one document for the user who asked; the result is stored on the job."""
    async with container_of(ctx)() as scope:
        task = await (await scope.get(RunSummary)).execute(UUID(task_id))
    return task.status.value if task else "missing"


@traced
async def purge_credentials(ctx: Context) -> dict[str, int]:
    """Daily: delete long-ended sessions and spent one-time tokens."""
    async with container_of(ctx)() as scope:
        purged = await (await scope.get(PurgeExpiredCredentials)).execute()
    return {"sessions": purged.sessions, "one_time_tokens": purged.one_time_tokens}


@traced
async def deliver_webhooks(ctx: Context) -> int:
    """Claim due webhook deliveries (under a lease) and POST them concurrently, each settled on its own."""
    container = container_of(ctx)
    async with container() as scope:
        claimed = await (await scope.get(ClaimWebhookDeliveries)).execute()

    async def deliver(delivery: Delivery) -> None:
        async with container() as scope:
            await (await scope.get(DeliverWebhook)).execute(delivery)

    # one delivery's failure (a database error) must not orphan the others: each stays leased and is
    # retried once its lease runs out, so log it and go on
    outcomes = await asyncio.gather(*(deliver(delivery) for delivery in claimed), return_exceptions=True)
    for delivery, outcome in zip(claimed, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            logger.error("webhook delivery %s failed in the worker", delivery.id, exc_info=outcome)
    return len(claimed)


async def purge_events(ctx: Context) -> int:
    """Daily: drop events handed on longer ago than EVENTS_RETENTION_DAYS."""
    async with container_of(ctx)() as scope:
        return await (await scope.get(PurgeEvents)).execute()


async def sweep_blobs(ctx: Context) -> dict[str, int]:
    """Every few minutes: remove blobs of deleted documents that a request could not remove after its commit."""
    async with container_of(ctx)() as scope:
        removed = await (await scope.get(BlobCollector)).sweep(limit=1000)
    return {"removed": removed}
