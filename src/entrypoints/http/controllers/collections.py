"""/api/v1/collections and their members."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody

from application.knowledge.collections import (
    CreateCollection,
    DeleteCollection,
    GetCollection,
    ListCollections,
    ListMembers,
    PutMember,
    RemoveMember,
    UpdateCollection,
)
from application.knowledge.ports import COLLECTION_SORTS
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.knowledge_schemas import (
    CollectionOut,
    CreateCollectionBody,
    MemberBody,
    MemberOut,
    UpdateCollectionBody,
)
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta, page_request, sort_by
from entrypoints.http.schemas import DataEnvelope


class CollectionsController(Controller):
    path = "/collections"
    tags = ["collections"]  # noqa: RUF012 - litestar's declared type

    @post(
        "/", summary="Create a collection; the caller becomes its owner", responses=error_responses(401, 403, 409, 422)
    )
    @inject
    async def create(
        self,
        data: JSONBody[CreateCollectionBody],
        principal: FromDishka[Principal],
        create: FromDishka[CreateCollection],
    ) -> Response[DataEnvelope[CollectionOut]]:
        view = await create.execute(principal, data.name, data.description)
        return Response(
            DataEnvelope(data=CollectionOut.of(view)),
            status_code=201,
            headers={"Location": f"/api/v1/collections/{view.collection.id}"},
        )

    @get("/", summary="Collections the caller can see (admins: all)", responses=error_responses(401, 403, 422))
    @inject
    async def list_collections(
        self,
        principal: FromDishka[Principal],
        list_collections: FromDishka[ListCollections],
        limit: Limit = 20,
        offset: Offset = 0,
        sort: Annotated[str, sort_by(COLLECTION_SORTS)] = "name",
    ) -> ListEnvelope[CollectionOut]:
        page = await list_collections.execute(principal, page_request(limit, offset, sort, COLLECTION_SORTS))
        return ListEnvelope(data=[CollectionOut.of(view) for view in page.items], meta=meta(page))

    @get("/{collection_id:uuid}", summary="One collection", responses=error_responses(401, 404))
    @inject
    async def get_collection(
        self, collection_id: FromPath[UUID], principal: FromDishka[Principal], get_one: FromDishka[GetCollection]
    ) -> DataEnvelope[CollectionOut]:
        return DataEnvelope(data=CollectionOut.of(await get_one.execute(principal, collection_id)))

    @patch(
        "/{collection_id:uuid}",
        summary="Rename or describe (owners)",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    @inject
    async def update(
        self,
        collection_id: FromPath[UUID],
        data: JSONBody[UpdateCollectionBody],
        principal: FromDishka[Principal],
        update: FromDishka[UpdateCollection],
    ) -> DataEnvelope[CollectionOut]:
        view = await update.execute(principal, collection_id, name=data.name, description=data.description)
        return DataEnvelope(data=CollectionOut.of(view))

    @delete(
        "/{collection_id:uuid}", summary="Delete with all documents (owners)", responses=error_responses(401, 403, 404)
    )
    @inject
    async def delete_collection(
        self, collection_id: FromPath[UUID], principal: FromDishka[Principal], remove: FromDishka[DeleteCollection]
    ) -> None:
        await remove.execute(principal, collection_id)

    @get("/{collection_id:uuid}/members", summary="Members and their roles", responses=error_responses(401, 404))
    @inject
    async def members(
        self, collection_id: FromPath[UUID], principal: FromDishka[Principal], list_members: FromDishka[ListMembers]
    ) -> DataEnvelope[list[MemberOut]]:
        members = await list_members.execute(principal, collection_id)
        return DataEnvelope(data=[MemberOut.of(m) for m in members])

    @put(
        "/{collection_id:uuid}/members/{user_id:uuid}",
        summary="Add a member or change their role (owners)",
        responses=error_responses(401, 403, 404, 409, 422),
    )
    @inject
    async def put_member(
        self,
        collection_id: FromPath[UUID],
        user_id: FromPath[UUID],
        data: JSONBody[MemberBody],
        principal: FromDishka[Principal],
        put_member: FromDishka[PutMember],
    ) -> DataEnvelope[MemberOut]:
        return DataEnvelope(data=MemberOut.of(await put_member.execute(principal, collection_id, user_id, data.role)))

    @delete(
        "/{collection_id:uuid}/members/{user_id:uuid}",
        summary="Remove a member (owners; anyone may leave)",
        responses=error_responses(401, 403, 404, 409),
    )
    @inject
    async def remove_member(
        self,
        collection_id: FromPath[UUID],
        user_id: FromPath[UUID],
        principal: FromDishka[Principal],
        remove: FromDishka[RemoveMember],
    ) -> None:
        await remove.execute(principal, collection_id, user_id)
