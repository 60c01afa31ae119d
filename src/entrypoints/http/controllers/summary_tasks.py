"""/api/v1/documents/{id}/summarize and /api/v1/jobs/{id}: summary tasks the caller can poll (the URL says "jobs")."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, get, post
from litestar.params import FromPath

from application.assistant.summaries import GetSummaryTask, RequestSummary, SummaryTask
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.schemas import DataEnvelope, Schema


class SummaryTaskOut(Schema):
    job_id: UUID
    kind: str
    status: str
    subject_id: UUID
    created_at: datetime
    updated_at: datetime
    result: dict[str, Any] | None = None
    error: str | None = None

    @classmethod
    def of(cls, task: SummaryTask) -> SummaryTaskOut:
        return cls(
            job_id=task.id,
            kind=task.kind,
            status=task.status.value,
            subject_id=task.subject_id,
            created_at=task.created_at,
            updated_at=task.updated_at,
            result=task.result or None,
            error=task.error,
        )


class SummaryTasksController(Controller):
    tags = ["jobs"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/documents/{document_id:uuid}/summarize",
        status_code=202,
        summary="Summarise a document in the background",
        responses=error_responses(401, 403, 404, 409, 503),
    )
    @inject
    async def summarize(
        self, document_id: FromPath[UUID], principal: FromDishka[Principal], request_summary: FromDishka[RequestSummary]
    ) -> Response[DataEnvelope[SummaryTaskOut]]:
        task = await request_summary.execute(principal, document_id)
        return Response(
            DataEnvelope(data=SummaryTaskOut.of(task)), status_code=202, headers={"Location": f"/api/v1/jobs/{task.id}"}
        )

    @get("/jobs/{job_id:uuid}", summary="Status and result of a background job", responses=error_responses(401, 404))
    @inject
    async def job(
        self, job_id: FromPath[UUID], principal: FromDishka[Principal], get_task: FromDishka[GetSummaryTask]
    ) -> DataEnvelope[SummaryTaskOut]:
        return DataEnvelope(data=SummaryTaskOut.of(await get_task.execute(principal, job_id)))
