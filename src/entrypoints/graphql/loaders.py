"""Nested lists of many parents in one batch: a DataLoader per request and kind, kept in the context.

``collections { edges { node { documents { ... } members { ... } } } }`` asks each collection for its
documents and members; the loaders gather the collections of one level and call the batched use cases
once, so the statements a query runs do not grow with the number of collections.
"""

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from application.knowledge.collections import ListMembersOfCollections
from application.knowledge.documents import ListDocumentsOfCollections
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


async def members_of(context: GraphQLContext, collection_id: UUID) -> list[Membership]:
    async def load(ids: list[UUID]) -> list[list[Membership] | BaseException]:
        principal = await context.principal()
        found = await context.run(ListMembersOfCollections, lambda uc: uc.execute(principal, ids))
        return [found[i] for i in ids]

    return await _loader(context, "members", load).load(collection_id)


async def documents_of(context: GraphQLContext, query: DocumentQuery) -> Page[Document]:
    async def load(queries: list[DocumentQuery]) -> list[Page[Document] | BaseException]:
        principal = await context.principal()
        pages: list[Page[Document] | BaseException] = await context.run(
            ListDocumentsOfCollections, lambda uc: uc.execute(principal, queries)
        )
        return pages

    return await _loader(context, "documents", load).load(query)
