"""Nested lists of many parents, read through one DataLoader per request and kind (kept in the context)."""

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from application.knowledge.collections import ListMembers
from application.knowledge.documents import ListDocuments
from application.knowledge.ports import DocumentQuery
from application.shared.ports import Page
from domain.knowledge.models import Document, Membership
from entrypoints.graphql.context import GraphQLContext

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _loader(
    context: GraphQLContext, name: str, load: Callable[[list[K]], Awaitable[list[V | BaseException]]]
) -> DataLoader[K, V]:
    if name not in context.loaders:
        context.loaders[name] = DataLoader(load_fn=load)
    loader: DataLoader[K, V] = context.loaders[name]
    return loader


async def _each(context: GraphQLContext, use_case: type[Any], keys: list[Any], call: Any) -> list[Any]:
    principal = await context.principal()
    found: list[Any] = []
    for key in keys:

        async def one(uc: Any, key: Any = key) -> Any:
            return await call(uc, principal, key)

        try:
            found.append(await context.run(use_case, one))
        except Exception as exc:  # noqa: BLE001 - each parent gets its own error, as its own REST call would
            found.append(exc)
    return found


async def members_of(context: GraphQLContext, collection_id: UUID) -> list[Membership]:
    async def load(ids: list[UUID]) -> list[list[Membership] | BaseException]:
        return await _each(context, ListMembers, ids, lambda uc, p, key: uc.execute(p, key))

    return await _loader(context, "members", load).load(collection_id)


async def documents_of(context: GraphQLContext, query: DocumentQuery) -> Page[Document]:
    async def load(queries: list[DocumentQuery]) -> list[Page[Document] | BaseException]:
        return await _each(context, ListDocuments, queries, lambda uc, p, key: uc.execute(p, key))

    return await _loader(context, "documents", load).load(query)
