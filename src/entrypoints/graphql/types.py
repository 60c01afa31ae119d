"""The schema's object types: read models of the use cases' results, with the nested reads they allow."""

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from application.assistant.answer import Answer, UsageReport
from application.knowledge.documents import ListChunks
from application.knowledge.ports import DOCUMENT_SORTS, ChunkHit, CollectionView, DocumentQuery
from domain.assistant.models import Citation as DomainCitation
from domain.assistant.models import Conversation, StoredMessage
from domain.identity.models import ApiKey, AuditEvent, User
from domain.identity.roles import Permission, Role
from domain.knowledge.models import Chunk, CollectionRole, ContentType, Document, DocumentStatus, Membership, SearchMode
from entrypoints.graphql.context import GraphQLContext
from entrypoints.graphql.loaders import documents_of, members_of
from entrypoints.graphql.pagination import Connection, connection, page_request
from entrypoints.http.request_mapping import document_q, shows_email

Info = strawberry.Info[GraphQLContext, None]

strawberry.enum(Role, name="Role")
strawberry.enum(CollectionRole, name="CollectionRole")
strawberry.enum(ContentType, name="ContentType")
strawberry.enum(DocumentStatus, name="DocumentStatus")
strawberry.enum(SearchMode, name="SearchMode")
strawberry.enum(Permission, name="Permission")


def _id(value: UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(name="User")
class UserNode:
    id: strawberry.ID
    display_name: str
    role: Role
    is_active: bool
    email_verified: bool
    created_at: datetime
    updated_at: datetime
    user: strawberry.Private[User]

    @strawberry.field(description="Only for the user themself and callers with `users:read`; null for others.")
    async def email(self, info: Info) -> str | None:
        return self.user.email if shows_email(await info.context.principal(), self.user.id) else None

    @classmethod
    def of(cls, user: User) -> "UserNode":
        return cls(
            id=_id(user.id),
            display_name=user.display_name,
            role=user.role,
            is_active=user.is_active,
            email_verified=user.is_verified,
            created_at=user.created_at,
            updated_at=user.updated_at,
            user=user,
        )


@strawberry.type
class Member:
    user_id: strawberry.ID
    role: CollectionRole
    created_at: datetime

    @classmethod
    def of(cls, membership: Membership) -> "Member":
        return cls(user_id=_id(membership.user_id), role=membership.role, created_at=membership.created_at)


@strawberry.type
class DocumentError:
    stage: str
    message: str


@strawberry.type(name="Chunk")
class ChunkNode:
    id: strawberry.ID
    ordinal: int
    text: str
    start: int
    end: int
    token_count: int
    heading_path: str = strawberry.field(description='The headings above the passage: "Handbook > Travel".')
    page: int | None = strawberry.field(description="The 1-based page (PDF) the passage starts on.")

    @classmethod
    def of(cls, chunk: Chunk) -> "ChunkNode":
        return cls(
            id=_id(chunk.id),
            ordinal=chunk.ordinal,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            token_count=chunk.token_count,
            heading_path=chunk.heading_path,
            page=chunk.page,
        )


@strawberry.type(name="Document")
class DocumentNode:
    id: strawberry.ID
    collection_id: strawberry.ID
    title: str
    content_type: ContentType
    status: DocumentStatus
    size_bytes: int
    content_hash: str
    chunk_count: int
    metadata: JSON
    error: DocumentError | None
    created_at: datetime
    updated_at: datetime
    document: strawberry.Private[Document]

    @strawberry.field(description="The document's chunks in order.")
    async def chunks(self, info: Info, first: int = 20, after: str | None = None) -> Connection[ChunkNode] | None:
        principal = await info.context.nested("Document.chunks")
        request = page_request(first, after, "ordinal", ("ordinal",))
        page = await info.context.run(ListChunks, lambda uc: uc.execute(principal, self.document.id, request))
        return connection(page, ChunkNode.of)

    @classmethod
    def of(cls, document: Document) -> "DocumentNode":
        error = (
            DocumentError(stage=document.error_stage, message=document.error_message or "")
            if document.error_stage
            else None
        )
        return cls(
            id=_id(document.id),
            collection_id=_id(document.collection_id),
            title=document.title,
            content_type=document.content_type,
            status=document.status,
            size_bytes=document.size_bytes,
            content_hash=document.content_hash,
            chunk_count=document.chunk_count,
            metadata=JSON(document.metadata),
            error=error,
            created_at=document.created_at,
            updated_at=document.updated_at,
            document=document,
        )


@strawberry.input
class DocumentFilter:
    status: DocumentStatus | None = None
    q: str | None = strawberry.field(
        default=None, description="Words in the title (the first 200 characters; one line)."
    )


def document_query(
    collection_id: UUID, first: int, after: str | None, sort: str, where: DocumentFilter | None
) -> DocumentQuery:
    q = where.q if where else None
    return DocumentQuery(
        collection_id=collection_id,
        page=page_request(first, after, sort, DOCUMENT_SORTS),
        status=where.status if where else None,
        q=document_q(q),
    )


@strawberry.type(name="Collection")
class CollectionNode:
    id: strawberry.ID
    name: str
    description: str
    role: CollectionRole | None = strawberry.field(description="The caller's role; null for an admin who is no member.")
    document_count: int
    created_at: datetime
    updated_at: datetime
    collection_id: strawberry.Private[UUID]

    @strawberry.field(description="Members and their roles: for the collection's members (and admins).")
    async def members(self, info: Info) -> list[Member] | None:
        await info.context.nested("Collection.members")
        return [Member.of(m) for m in await members_of(info.context, self.collection_id)]

    @strawberry.field(description="The collection's documents, newest first unless `sort` says otherwise.")
    async def documents(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        sort: str = "-created_at",
        filter: DocumentFilter | None = None,
    ) -> Connection[DocumentNode] | None:
        await info.context.nested("Collection.documents")
        page = await documents_of(info.context, document_query(self.collection_id, first, after, sort, filter))
        return connection(page, DocumentNode.of)

    @classmethod
    def of(cls, view: CollectionView) -> "CollectionNode":
        c = view.collection
        return cls(
            id=_id(c.id),
            name=c.name,
            description=c.description,
            role=view.role,
            document_count=view.document_count,
            created_at=c.created_at,
            updated_at=c.updated_at,
            collection_id=c.id,
        )


@strawberry.type
class SearchHit:
    chunk_id: strawberry.ID
    document_id: strawberry.ID
    collection_id: strawberry.ID
    title: str
    text: str
    score: float
    start: int
    end: int
    heading_path: str
    page: int | None

    @classmethod
    def of(cls, hit: ChunkHit) -> "SearchHit":
        return cls(
            chunk_id=_id(hit.chunk_id),
            document_id=_id(hit.document_id),
            collection_id=_id(hit.collection_id),
            title=hit.title,
            text=hit.text,
            score=round(hit.score, 6),
            start=hit.start,
            end=hit.end,
            heading_path=hit.heading_path,
            page=hit.page,
        )


@strawberry.type
class SearchResults:
    hits: list[SearchHit]
    mode: SearchMode = strawberry.field(description="The mode that ran.")
    requested_mode: SearchMode
    degraded: str | None = strawberry.field(description="Why the mode that ran is weaker than the one asked for.")
    reranked: bool = strawberry.field(description="Whether the reranker ordered the hits (`rerank: true`).")


@strawberry.type
class TokenUsage:
    input_tokens: int
    output_tokens: int


@strawberry.type
class Citation:
    number: int
    document_id: strawberry.ID
    chunk_id: strawberry.ID
    title: str
    snippet: str
    start: int
    end: int
    score: float
    heading_path: str = strawberry.field(description="The cited chunk's section headings, outermost first.")
    chunk_start: int = strawberry.field(description="Where the cited chunk starts in the document's text.")
    chunk_end: int

    @classmethod
    def of(cls, citation: DomainCitation) -> "Citation":
        chunk_start, chunk_end = citation.chunk_span
        return cls(
            number=citation.number,
            document_id=_id(citation.document_id),
            chunk_id=_id(citation.chunk_id),
            title=citation.title,
            snippet=citation.snippet,
            start=citation.start,
            end=citation.end,
            score=round(citation.score, 6),
            heading_path=citation.heading_path,
            chunk_start=chunk_start,
            chunk_end=chunk_end,
        )


@strawberry.type(name="Answer")
class AnswerNode:
    answer: str
    citations: list[Citation]
    model: str
    provider: str
    usage: TokenUsage
    cached: bool
    mode: SearchMode = strawberry.field(description="How passages were found (keyword when embeddings are down).")

    @classmethod
    def of(cls, answer: Answer) -> "AnswerNode":
        return cls(
            answer=answer.text,
            citations=[Citation.of(c) for c in answer.citations],
            model=answer.model,
            provider=answer.provider,
            usage=TokenUsage(input_tokens=answer.usage.input_tokens, output_tokens=answer.usage.output_tokens),
            cached=answer.cached,
            mode=answer.retrieval.mode,
        )


@strawberry.type(name="Message")
class MessageNode:
    id: strawberry.ID
    role: str
    content: str
    status: str
    citations: list[Citation]
    usage: TokenUsage
    created_at: datetime
    provider: str | None
    model: str | None

    @classmethod
    def of(cls, message: StoredMessage) -> "MessageNode":
        return cls(
            id=_id(message.id),
            role=message.role.value,
            content=message.content,
            status=message.status.value,
            citations=[Citation.of(c) for c in message.citations],
            usage=TokenUsage(input_tokens=message.usage.input_tokens, output_tokens=message.usage.output_tokens),
            created_at=message.created_at,
            provider=message.provider,
            model=message.model,
        )


@strawberry.type(name="Conversation")
class ConversationNode:
    id: strawberry.ID
    title: str
    collection_ids: list[strawberry.ID] | None
    created_at: datetime
    updated_at: datetime
    messages: list[MessageNode] | None = strawberry.field(
        description="Only on `conversation(id)`, which reads the thread; null in lists."
    )

    @classmethod
    def of(cls, conversation: Conversation, messages: list[StoredMessage] | None = None) -> "ConversationNode":
        ids = sorted(conversation.collection_ids) if conversation.collection_ids is not None else None
        return cls(
            id=_id(conversation.id),
            title=conversation.title,
            collection_ids=[_id(i) for i in ids] if ids is not None else None,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
            messages=[MessageNode.of(m) for m in messages] if messages is not None else None,
        )


@strawberry.type
class Usage:
    period: str
    used_tokens: int
    quota_tokens: int
    resets_at: str

    @classmethod
    def of(cls, report: UsageReport) -> "Usage":
        return cls(
            period=report.period,
            used_tokens=report.used_tokens,
            quota_tokens=report.quota_tokens,
            resets_at=report.resets_at,
        )


@strawberry.type(name="ApiKey")
class ApiKeyNode:
    id: strawberry.ID
    name: str
    prefix: str
    scopes: list[Permission]
    created_at: datetime
    expires_at: datetime | None
    secret: str | None = strawberry.field(description="Only in `createApiKey`'s answer; never shown again.")

    @classmethod
    def of(cls, key: ApiKey, secret: str | None = None) -> "ApiKeyNode":
        return cls(
            id=_id(key.id),
            name=key.name,
            prefix=f"lore_{key.prefix}",
            scopes=sorted(key.scopes, key=list(Permission).index),
            created_at=key.created_at,
            expires_at=key.expires_at,
            secret=secret,
        )


@strawberry.type(name="AuditEvent")
class AuditEventNode:
    id: strawberry.ID
    action: str
    occurred_at: datetime
    outcome: str
    details: JSON
    actor_id: strawberry.ID | None
    actor_api_key_id: strawberry.ID | None
    subject_id: strawberry.ID | None
    target_type: str | None
    target_id: str | None
    ip_address: str | None
    request_id: str | None

    @classmethod
    def of(cls, event: AuditEvent) -> "AuditEventNode":
        return cls(
            id=_id(event.id),
            action=event.action.value,
            occurred_at=event.occurred_at,
            outcome=event.outcome.value,
            details=JSON(dict(event.details)),
            actor_id=_id(event.actor_id) if event.actor_id else None,
            actor_api_key_id=_id(event.actor_key_id) if event.actor_key_id else None,
            subject_id=_id(event.subject_id) if event.subject_id else None,
            target_type=event.target_type,
            target_id=event.target_id,
            ip_address=event.ip_address,
            request_id=event.request_id,
        )
