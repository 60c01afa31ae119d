"""The root ``Mutation``: each field is one REST write, through the same use case and the REST body's rules."""

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from application.assistant.answer import AskQuestion, Question
from application.assistant.conversations import CreateConversation, SaveReply, StartReply
from application.identity.api_keys import CreateApiKey, NewApiKey, RevokeApiKey
from application.knowledge.collections import (
    CreateCollection,
    DeleteCollection,
    PutMember,
    RemoveMember,
    UpdateCollection,
)
from application.knowledge.documents import AddDocument, DeleteDocument, NewDocument
from domain.identity.roles import Permission
from domain.knowledge.models import CollectionRole, ContentType
from entrypoints.graphql.ids import uuid_of
from entrypoints.graphql.inputs import body
from entrypoints.graphql.types import (
    AnswerNode,
    ApiKeyNode,
    CollectionNode,
    ConversationNode,
    DocumentNode,
    Info,
    Member,
    MessageNode,
)
from entrypoints.http.assistant_schemas import AskBody, CreateConversationBody, MessageBody
from entrypoints.http.identity_schemas import CreateApiKeyBody
from entrypoints.http.knowledge_schemas import CreateCollectionBody, DocumentBody, MemberBody, UpdateCollectionBody


def _ids(values: list[strawberry.ID] | None, field: str) -> list[str] | None:
    return None if values is None else [str(uuid_of(value, field)) for value in values]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a collection; the caller becomes its owner.")
    async def create_collection(self, info: Info, name: str, description: str = "") -> CollectionNode | None:
        principal = await info.context.caller()
        data = body(CreateCollectionBody, {"name": name, "description": description})
        view = await info.context.run(CreateCollection, lambda uc: uc.execute(principal, data.name, data.description))
        return CollectionNode.of(view)

    @strawberry.mutation(description="Rename or describe a collection (owners).")
    async def update_collection(
        self,
        info: Info,
        id: strawberry.ID,
        name: str | None = None,
        description: str | None = None,
    ) -> CollectionNode | None:
        principal = await info.context.caller()
        collection_id = uuid_of(id, "id")
        data = body(UpdateCollectionBody, {"name": name, "description": description})
        view = await info.context.run(
            UpdateCollection,
            lambda uc: uc.execute(principal, collection_id, name=data.name, description=data.description),
        )
        return CollectionNode.of(view)

    @strawberry.mutation(description="Delete a collection with all its documents (owners); answers its id.")
    async def delete_collection(self, info: Info, id: strawberry.ID) -> strawberry.ID | None:
        principal = await info.context.caller()
        collection_id = uuid_of(id, "id")
        await info.context.run(DeleteCollection, lambda uc: uc.execute(principal, collection_id))
        return id

    @strawberry.mutation(description="Add a member or change their role (owners).")
    async def put_member(
        self, info: Info, collection_id: strawberry.ID, user_id: strawberry.ID, role: CollectionRole
    ) -> Member | None:
        principal = await info.context.caller()
        collection, user = uuid_of(collection_id, "collectionId"), uuid_of(user_id, "userId")
        data = body(MemberBody, {"role": role.value})
        membership = await info.context.run(PutMember, lambda uc: uc.execute(principal, collection, user, data.role))
        return Member.of(membership)

    @strawberry.mutation(description="Remove a member (owners; anyone may leave); answers the user's id.")
    async def remove_member(
        self, info: Info, collection_id: strawberry.ID, user_id: strawberry.ID
    ) -> strawberry.ID | None:
        principal = await info.context.caller()
        collection, user = uuid_of(collection_id, "collectionId"), uuid_of(user_id, "userId")
        await info.context.run(RemoveMember, lambda uc: uc.execute(principal, collection, user))
        return user_id

    @strawberry.mutation(description="Add a document from text; it is ingested in the background.")
    async def add_document(
        self,
        info: Info,
        collection_id: strawberry.ID,
        title: str,
        content: str,
        content_type: ContentType = ContentType.TEXT,
        metadata: JSON | None = None,
    ) -> DocumentNode | None:
        principal = await info.context.caller()
        collection = uuid_of(collection_id, "collectionId")
        data = body(
            DocumentBody,
            {"title": title, "content": content, "content_type": content_type.value, "metadata": metadata},
        )
        new = NewDocument(
            title=data.title, content_type=data.content_type, source=data.content.encode(), metadata=data.metadata
        )
        added = await info.context.run(AddDocument, lambda uc: uc.execute(principal, collection, new))
        return DocumentNode.of(added.document)

    @strawberry.mutation(description="Delete a document and its chunks; answers its id.")
    async def delete_document(self, info: Info, id: strawberry.ID) -> strawberry.ID | None:
        principal = await info.context.caller()
        document_id = uuid_of(id, "id")
        await info.context.run(DeleteDocument, lambda uc: uc.execute(principal, document_id))
        return id

    @strawberry.mutation(description="Answer a question from the caller's documents, with citations (whole).")
    async def ask(
        self, info: Info, question: str, collection_ids: list[strawberry.ID] | None = None
    ) -> AnswerNode | None:
        principal = await info.context.caller()
        data = body(AskBody, {"question": question, "collection_ids": _ids(collection_ids, "collectionIds")})
        asked = Question(
            text=data.question,
            collection_ids=frozenset(data.collection_ids) if data.collection_ids is not None else None,
        )
        return AnswerNode.of(await info.context.run(AskQuestion, lambda uc: uc.execute(principal, asked)))

    @strawberry.mutation(description="Start a conversation, optionally about some collections.")
    async def create_conversation(
        self, info: Info, title: str | None = None, collection_ids: list[strawberry.ID] | None = None
    ) -> ConversationNode | None:
        principal = await info.context.caller()
        data = body(CreateConversationBody, {"title": title, "collection_ids": _ids(collection_ids, "collectionIds")})
        ids = frozenset(data.collection_ids) if data.collection_ids is not None else None
        conversation = await info.context.run(CreateConversation, lambda uc: uc.execute(principal, data.title, ids))
        return ConversationNode.of(conversation)

    @strawberry.mutation(description="Send a message and get the whole reply (no streaming).")
    async def send_message(self, info: Info, conversation_id: strawberry.ID, content: str) -> MessageNode | None:
        principal = await info.context.caller()
        conversation = uuid_of(conversation_id, "conversationId")
        data = body(MessageBody, {"content": content})
        pending = await info.context.run(StartReply, lambda uc: uc.execute(principal, conversation, data.content))
        answer = await info.context.run(AskQuestion, lambda uc: uc.execute(principal, pending.question))
        saved = await info.context.run(SaveReply, lambda uc: uc.execute(pending, answer=answer))
        return MessageNode.of(saved)

    @strawberry.mutation(description="Create an API key (signed-in sessions only); its secret is shown only here.")
    async def create_api_key(
        self, info: Info, name: str, scopes: list[Permission], expires_at: datetime | None = None
    ) -> ApiKeyNode | None:
        principal = await info.context.caller()
        data = body(
            CreateApiKeyBody,
            {"name": name, "scopes": [s.value for s in scopes], "expires_at": expires_at},
        )
        new = NewApiKey(name=data.name, scopes=frozenset(data.scopes), expires_at=data.expires_at)
        created = await info.context.run(CreateApiKey, lambda uc: uc.execute(principal, new))
        return ApiKeyNode.of(created.key, created.secret)

    @strawberry.mutation(description="Revoke an API key (your own; `users:write`: anyone's); answers its id.")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> strawberry.ID | None:
        principal = await info.context.caller()
        key_id: UUID = uuid_of(id, "id")
        await info.context.run(RevokeApiKey, lambda uc: uc.execute(principal, key_id))
        return id
