"""The root ``Query``: each field is one REST call, made through the same use case with the same principal."""

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
import strawberry
from strawberry.extensions import SchemaExtension

from application.assistant.answer import GetUsage
from application.assistant.conversations import GetConversation, ListConversations
from application.identity.audit import ListAuditEvents
from application.identity.ports import AUDIT_SORTS, USER_SORTS, AuditQuery, UserQuery
from application.identity.users import GetMe, ListUsers
from application.knowledge.collections import GetCollection, ListCollections
from application.knowledge.documents import GetDocument, ListDocuments
from application.knowledge.ports import COLLECTION_SORTS
from application.knowledge.search import Search
from domain.identity.models import AuditAction
from domain.identity.roles import Role
from domain.knowledge.models import ContentType, SearchMode
from entrypoints.bootstrap.settings import Settings
from entrypoints.graphql.entry import enter_every_root_field
from entrypoints.graphql.errors import LoreSchema
from entrypoints.graphql.ids import uuid_of
from entrypoints.graphql.limits import limit_extensions
from entrypoints.graphql.mutations import Mutation
from entrypoints.graphql.operations import require_field_rules
from entrypoints.graphql.pagination import Connection, connection, page_request
from entrypoints.graphql.tracing import tracing_extension
from entrypoints.graphql.types import (
    AuditEventNode,
    CollectionNode,
    ConversationNode,
    DocumentFilter,
    DocumentNode,
    Info,
    SearchHit,
    SearchResults,
    Usage,
    UserNode,
    document_query,
)
from entrypoints.http.errors import body_validation_error
from entrypoints.http.knowledge_schemas import SearchBody
from entrypoints.http.request_mapping import USER_Q_MAX, search_request, single_line

strawberry.enum(AuditAction, name="AuditAction")


@strawberry.input
class SearchFilter:
    document_ids: list[strawberry.ID] | None = None
    content_types: list[ContentType] | None = None
    metadata: strawberry.scalars.JSON | None = None


def _search_body(
    query: str,
    mode: SearchMode,
    collection_ids: list[strawberry.ID] | None,
    limit: int,
    where: SearchFilter | None,
    rerank: bool,
) -> SearchBody:
    """The REST body's rules (lengths, characters, ``limit`` 1..100, metadata shape) apply unchanged."""
    raw: dict[str, object] = {"query": query, "mode": mode.value, "limit": limit, "rerank": rerank}
    if collection_ids is not None:
        raw["collection_ids"] = [str(uuid_of(i, "collectionIds")) for i in collection_ids]
    if where is not None:
        filters: dict[str, Any] = {"metadata": where.metadata if where.metadata is not None else {}}
        if where.document_ids is not None:
            filters["document_ids"] = [str(uuid_of(i, "filter.documentIds")) for i in where.document_ids]
        if where.content_types is not None:
            filters["content_types"] = [c.value for c in where.content_types]
        raw["filters"] = filters
    try:
        return msgspec.convert(raw, SearchBody)
    except msgspec.ValidationError as exc:
        raise body_validation_error(exc) from None


@strawberry.type
class Query:
    @strawberry.field(description="The caller.")
    async def viewer(self, info: Info) -> UserNode | None:
        principal = await info.context.caller()
        return UserNode.of(await info.context.run(GetMe, lambda uc: uc.execute(principal)))

    @strawberry.field(description="Collections the caller can read (admins: all).")
    async def collections(
        self, info: Info, first: int = 20, after: str | None = None, sort: str = "name"
    ) -> Connection[CollectionNode] | None:
        principal = await info.context.caller()
        request = page_request(first, after, sort, COLLECTION_SORTS)
        page = await info.context.run(ListCollections, lambda uc: uc.execute(principal, request))
        return connection(page, CollectionNode.of)

    @strawberry.field(description="One collection.")
    async def collection(self, info: Info, id: strawberry.ID) -> CollectionNode | None:
        principal = await info.context.caller()
        collection_id = uuid_of(id, "id")
        return CollectionNode.of(await info.context.run(GetCollection, lambda uc: uc.execute(principal, collection_id)))

    @strawberry.field(description="Documents of a collection.")
    async def documents(
        self,
        info: Info,
        collection_id: strawberry.ID,
        first: int = 20,
        after: str | None = None,
        sort: str = "-created_at",
        filter: DocumentFilter | None = None,
    ) -> Connection[DocumentNode] | None:
        principal = await info.context.caller()
        query = document_query(uuid_of(collection_id, "collectionId"), first, after, sort, filter)
        page = await info.context.run(ListDocuments, lambda uc: uc.execute(principal, query))
        return connection(page, DocumentNode.of)

    @strawberry.field(description="One document and its ingestion status.")
    async def document(self, info: Info, id: strawberry.ID) -> DocumentNode | None:
        principal = await info.context.caller()
        document_id = uuid_of(id, "id")
        return DocumentNode.of(await info.context.run(GetDocument, lambda uc: uc.execute(principal, document_id)))

    @strawberry.field(description="Ranked passages of what the caller may read (keyword, vector or hybrid).")
    async def search(
        self,
        info: Info,
        query: str,
        mode: SearchMode = SearchMode.HYBRID,
        collection_ids: list[strawberry.ID] | None = None,
        limit: int = 10,
        filter: SearchFilter | None = None,
        rerank: Annotated[
            bool,
            strawberry.argument(
                description="Have the configured reranker order the top candidates (RERANKER_DISABLED when none is)."
            ),
        ] = False,
    ) -> SearchResults | None:
        principal = await info.context.caller()
        body = _search_body(query, mode, collection_ids, limit, filter, rerank)
        request = search_request(body)
        result = await info.context.run(Search, lambda uc: uc.execute(principal, request))
        retrieval = result.retrieval
        return SearchResults(
            hits=[SearchHit.of(hit) for hit in result.hits],
            mode=retrieval.mode,
            requested_mode=retrieval.requested_mode,
            degraded=retrieval.degraded.value if retrieval.degraded else None,
            reranked=retrieval.reranked,
        )

    @strawberry.field(description="The caller's conversations, newest first.")
    async def conversations(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[ConversationNode] | None:
        principal = await info.context.caller()
        request = page_request(first, after, "-created_at", ("created_at",))
        page = await info.context.run(ListConversations, lambda uc: uc.execute(principal, request))
        return connection(page, ConversationNode.of)

    @strawberry.field(description="One of the caller's conversations with its messages.")
    async def conversation(self, info: Info, id: strawberry.ID) -> ConversationNode | None:
        principal = await info.context.caller()
        conversation_id = uuid_of(id, "id")
        conversation, messages = await info.context.run(
            GetConversation, lambda uc: uc.execute(principal, conversation_id)
        )
        return ConversationNode.of(conversation, messages)

    @strawberry.field(description="The caller's token usage and quota this period.")
    async def usage(self, info: Info) -> Usage | None:
        principal = await info.context.caller()
        return Usage.of(await info.context.run(GetUsage, lambda uc: uc.execute(principal)))

    @strawberry.field(description="Every user (`users:read`).")
    async def users(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        sort: str = "-created_at",
        role: Role | None = None,
        is_active: bool | None = None,
        q: str | None = None,
    ) -> Connection[UserNode] | None:
        principal = await info.context.caller()
        page_of = page_request(first, after, sort, USER_SORTS)
        query = UserQuery(page=page_of, role=role, is_active=is_active, q=single_line("q", q, max_length=USER_Q_MAX))
        page = await info.context.run(ListUsers, lambda uc: uc.execute(principal, query))
        return connection(page, UserNode.of)

    @strawberry.field(description="The audit trail (`audit:read`).")
    async def audit_events(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        sort: str = "-occurred_at",
        actor_id: strawberry.ID | None = None,
        action: AuditAction | None = None,
    ) -> Connection[AuditEventNode] | None:
        principal = await info.context.caller()
        query = AuditQuery(
            page=page_request(first, after, sort, AUDIT_SORTS),
            actor_id=uuid_of(actor_id, "actorId") if actor_id is not None else None,
            action=action,
        )
        page = await info.context.run(ListAuditEvents, lambda uc: uc.execute(principal, query))
        return connection(page, AuditEventNode.of)


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list[Callable[[], SchemaExtension]] = [
        *limit_extensions(settings),
        tracing_extension(settings.graphql_trace_resolvers),
    ]
    enter_every_root_field(Query, Mutation)
    schema = LoreSchema(query=Query, mutation=Mutation, extensions=extensions)
    require_field_rules(root_fields(schema))
    return schema


def root_fields(schema: strawberry.Schema) -> list[str]:
    query = schema._schema.query_type
    mutation = schema._schema.mutation_type
    return [*(query.fields if query else {}), *(mutation.fields if mutation else {})]


def schema_sdl() -> str:
    """The SDL, as committed in docs/schema.graphql; limits and tracing do not change it."""
    return build_schema(Settings()).as_str() + "\n"
