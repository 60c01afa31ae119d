"""/api/v1/audit-events: the security trail (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.params import FromQuery

from application.identity.audit import ListAuditEvents
from application.identity.ports import AUDIT_SORTS, AuditQuery
from domain.identity.models import AuditAction
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.identity_schemas import AuditEventOut
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta, page_request, sort_by
from entrypoints.http.schemas import with_offset


class AuditController(Controller):
    path = "/audit-events"
    tags = ["audit"]  # noqa: RUF012 - litestar's declared type

    @get("/", summary="Audit events, newest first (admin)", responses=error_responses(401, 403, 422))
    @inject
    async def list_events(
        self,
        principal: FromDishka[Principal],
        list_events: FromDishka[ListAuditEvents],
        limit: Limit = 20,
        offset: Offset = 0,
        sort: Annotated[str, sort_by(AUDIT_SORTS)] = "-occurred_at",
        actor_id: FromQuery[UUID | None] = None,
        action: FromQuery[AuditAction | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> ListEnvelope[AuditEventOut]:
        query = AuditQuery(
            page=page_request(limit, offset, sort, AUDIT_SORTS),
            actor_id=actor_id,
            action=action,
            since=with_offset("since", since),
            until=with_offset("until", until),
        )
        page = await list_events.execute(principal, query)
        return ListEnvelope(data=[AuditEventOut.of(event) for event in page.items], meta=meta(page))
