"""Liveness and readiness probes for orchestrators and load balancers."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get

from application.platform.health import CheckReadiness
from domain.shared.errors import DependencyUnavailableError
from entrypoints.http.errors import error_responses
from entrypoints.http.schemas import DataEnvelope, Schema


class LiveStatus(Schema):
    status: str


class ReadyStatus(Schema):
    status: str
    checks: dict[str, str]


class HealthController(Controller):
    path = "/health"
    tags = ["health"]  # noqa: RUF012 - litestar's declared type

    @get("/live", summary="The process is up")
    async def live(self) -> DataEnvelope[LiveStatus]:
        return DataEnvelope(data=LiveStatus(status="ok"))

    @get("/ready", summary="Postgres and Redis answer a round trip", responses=error_responses(503))
    @inject
    async def ready(self, readiness: FromDishka[CheckReadiness]) -> DataEnvelope[ReadyStatus]:
        result = await readiness.execute()
        checks = {check.name: "ok" if check.ok else f"failed: {check.error}" for check in result.checks}
        if not result.ready:
            raise DependencyUnavailableError(
                f"Not ready: {', '.join(result.failed)} unavailable.",
                details={"checks": checks, "failed": list(result.failed)},
            )
        return DataEnvelope(data=ReadyStatus(status="ready", checks=checks))
