"""/api/v1/api-keys: the caller's scoped API keys."""

from __future__ import annotations

from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, delete, get, post
from litestar.params import FromPath, JSONBody

from application.identity.api_keys import CreateApiKey, ListApiKeys, NewApiKey, RevokeApiKey
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.identity_schemas import ApiKeyOut, CreateApiKeyBody, CreatedApiKeyOut
from entrypoints.http.schemas import DataEnvelope


class ApiKeysController(Controller):
    path = "/api-keys"
    tags = ["api-keys"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/",
        summary="Create a key; the secret is shown only in this response",
        responses=error_responses(400, 401, 403, 422),
    )
    @inject
    async def create(
        self, data: JSONBody[CreateApiKeyBody], principal: FromDishka[Principal], create: FromDishka[CreateApiKey]
    ) -> Response[DataEnvelope[CreatedApiKeyOut]]:
        created = await create.execute(
            principal, NewApiKey(name=data.name, scopes=frozenset(data.scopes), expires_at=data.expires_at)
        )
        return Response(
            DataEnvelope(data=CreatedApiKeyOut.of_created(created.key, created.secret)),
            status_code=201,
            headers={"Location": f"/api/v1/api-keys/{created.key.id}"},
        )

    @get("/", summary="The caller's keys (no secrets)", responses=error_responses(401, 403))
    @inject
    async def list_keys(
        self, principal: FromDishka[Principal], list_keys: FromDishka[ListApiKeys]
    ) -> DataEnvelope[list[ApiKeyOut]]:
        return DataEnvelope(data=[ApiKeyOut.of(key) for key in await list_keys.execute(principal)])

    @delete("/{key_id:uuid}", summary="Revoke a key", responses=error_responses(401, 403, 404))
    @inject
    async def revoke(
        self, key_id: FromPath[UUID], principal: FromDishka[Principal], revoke: FromDishka[RevokeApiKey]
    ) -> None:
        await revoke.execute(principal, key_id)
