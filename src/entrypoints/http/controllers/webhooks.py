"""/api/v1/webhooks: signed webhook endpoints, their deliveries and redelivery."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from application.webhooks.endpoints import (
    CreateWebhook,
    DeleteWebhook,
    GetWebhook,
    ListDeliveries,
    ListWebhooks,
    NewWebhook,
    Redeliver,
    RotateWebhookSecret,
    UpdateWebhook,
    WebhookChanges,
)
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta, page_request, sort_by
from entrypoints.http.schemas import DataEnvelope
from entrypoints.http.webhook_schemas import (
    AttemptOut,
    CreatedWebhookOut,
    CreateWebhookBody,
    DeliveryOut,
    UpdateWebhookBody,
    WebhookOut,
)

ENDPOINT_SORTS = ("created_at", "url")
DELIVERY_SORTS = ("created_at", "next_attempt_at")


class WebhooksController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/",
        summary="Register an endpoint; its signing secret is shown only in this response",
        responses=error_responses(400, 401, 403, 404, 422),
    )
    @inject
    async def create(
        self, data: JSONBody[CreateWebhookBody], principal: FromDishka[Principal], create: FromDishka[CreateWebhook]
    ) -> Response[DataEnvelope[CreatedWebhookOut]]:
        created = await create.execute(
            principal,
            NewWebhook(
                url=data.url, event_types=frozenset(data.events), description=data.description, owner_id=data.owner_id
            ),
        )
        return Response(
            DataEnvelope(data=CreatedWebhookOut.of_created(created.endpoint, created.secret)),
            status_code=201,
            headers={"Location": f"/api/v1/webhooks/{created.endpoint.id}"},
        )

    @get("/", summary="The caller's endpoints (admins: everyone's)", responses=error_responses(401, 403, 422))
    @inject
    async def list_endpoints(
        self,
        principal: FromDishka[Principal],
        list_endpoints: FromDishka[ListWebhooks],
        limit: Limit = 20,
        offset: Offset = 0,
        sort: Annotated[str, sort_by(ENDPOINT_SORTS)] = "-created_at",
    ) -> ListEnvelope[WebhookOut]:
        page = await list_endpoints.execute(principal, page_request(limit, offset, sort, ENDPOINT_SORTS))
        return ListEnvelope(data=[WebhookOut.of(endpoint) for endpoint in page.items], meta=meta(page))

    @get("/{webhook_id:uuid}", summary="One endpoint (no secret)", responses=error_responses(401, 403, 404))
    @inject
    async def get_endpoint(
        self, webhook_id: FromPath[UUID], principal: FromDishka[Principal], get_endpoint: FromDishka[GetWebhook]
    ) -> DataEnvelope[WebhookOut]:
        return DataEnvelope(data=WebhookOut.of(await get_endpoint.execute(principal, webhook_id)))

    @patch(
        "/{webhook_id:uuid}",
        summary="Change the URL, events or description; enable or disable",
        responses=error_responses(400, 401, 403, 404, 422),
    )
    @inject
    async def update(
        self,
        webhook_id: FromPath[UUID],
        data: JSONBody[UpdateWebhookBody],
        principal: FromDishka[Principal],
        update: FromDishka[UpdateWebhook],
    ) -> DataEnvelope[WebhookOut]:
        changes = WebhookChanges(
            url=data.url,
            description=data.description,
            event_types=None if data.events is None else frozenset(data.events),
            enabled=data.enabled,
        )
        return DataEnvelope(data=WebhookOut.of(await update.execute(principal, webhook_id, changes)))

    @delete(
        "/{webhook_id:uuid}",
        summary="Delete an endpoint and its delivery log",
        responses=error_responses(401, 403, 404),
    )
    @inject
    async def delete_endpoint(
        self, webhook_id: FromPath[UUID], principal: FromDishka[Principal], remove: FromDishka[DeleteWebhook]
    ) -> None:
        await remove.execute(principal, webhook_id)

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        status_code=200,
        summary="A new signing secret, shown once; the old one keeps signing beside it for the overlap",
        responses=error_responses(401, 403, 404),
    )
    @inject
    async def rotate(
        self, webhook_id: FromPath[UUID], principal: FromDishka[Principal], rotate: FromDishka[RotateWebhookSecret]
    ) -> DataEnvelope[CreatedWebhookOut]:
        rotated = await rotate.execute(principal, webhook_id)
        return DataEnvelope(data=CreatedWebhookOut.of_created(rotated.endpoint, rotated.secret))

    @get(
        "/{webhook_id:uuid}/deliveries",
        summary="The endpoint's delivery log, newest first",
        responses=error_responses(401, 403, 404, 422),
    )
    @inject
    async def deliveries(
        self,
        webhook_id: FromPath[UUID],
        principal: FromDishka[Principal],
        list_deliveries: FromDishka[ListDeliveries],
        limit: Limit = 20,
        offset: Offset = 0,
        sort: Annotated[str, sort_by(DELIVERY_SORTS)] = "-created_at",
    ) -> ListEnvelope[DeliveryOut]:
        page = await list_deliveries.execute(principal, webhook_id, page_request(limit, offset, sort, DELIVERY_SORTS))
        return ListEnvelope(data=[DeliveryOut.of(delivery) for delivery in page.items], meta=meta(page))

    @get(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/attempts",
        summary="Every attempt of one delivery, in order",
        responses=error_responses(401, 403, 404),
    )
    @inject
    async def attempts(
        self,
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
        principal: FromDishka[Principal],
        list_deliveries: FromDishka[ListDeliveries],
    ) -> DataEnvelope[list[AttemptOut]]:
        attempts = await list_deliveries.attempts(principal, webhook_id, delivery_id)
        return DataEnvelope(data=[AttemptOut.of(attempt) for attempt in attempts])

    @post(
        "/{webhook_id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
        status_code=202,
        summary="Send a delivery again (same webhook-id), from the start of the retry schedule",
        responses=error_responses(401, 403, 404, 409),
    )
    @inject
    async def redeliver(
        self,
        webhook_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
        principal: FromDishka[Principal],
        redeliver: FromDishka[Redeliver],
    ) -> DataEnvelope[DeliveryOut]:
        return DataEnvelope(data=DeliveryOut.of(await redeliver.execute(principal, webhook_id, delivery_id)))
