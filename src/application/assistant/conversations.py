"""Conversations: the caller's own threads of questions and cited answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from application.assistant.answer import Answer, AnswerDelta, AnswerEvent, Question
from application.assistant.policy import MAX_QUESTION_CHARS
from application.assistant.ports import ConversationRepository
from application.knowledge.scope import CollectionScope
from application.shared.event_stream import EventEmitter
from application.shared.ports import Clock, IdGenerator, Page, PageRequest, UnitOfWork
from domain.assistant.models import ChatTurn, Conversation, MessageStatus, StoredMessage, TurnRole, Usage
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.shared.errors import NotFoundError, ValidationError
from domain.shared.events import Audience, EventType

MAX_MESSAGE_CHARS = MAX_QUESTION_CHARS  # a message is asked as a question: one limit


async def _owned(repository: ConversationRepository, principal: Principal, conversation_id: UUID) -> Conversation:
    principal.require(Permission.ASSISTANT_USE)
    conversation = await repository.get(conversation_id)
    if conversation is None or conversation.user_id != principal.user_id:
        raise NotFoundError("No such conversation.")
    return conversation


class CreateConversation:
    """Starts a conversation of the caller's own, optionally limited to some collections.

    Any principal with ``assistant:use`` and ``documents:read``; raises PermissionDeniedError, and
    CollectionNotFoundError for a collection id the caller cannot read.
    """

    def __init__(
        self,
        conversations: ConversationRepository,
        scope: CollectionScope,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
    ) -> None:
        self._conversations = conversations
        self._scope = scope
        self._uow = uow
        self._ids = ids
        self._clock = clock

    async def execute(
        self, principal: Principal, title: str | None, collection_ids: frozenset[UUID] | None
    ) -> Conversation:
        principal.require(Permission.ASSISTANT_USE)
        principal.require(Permission.DOCUMENTS_READ)  # a conversation asks about collections
        await self._scope.require_readable(principal, collection_ids)
        now = self._clock.now()
        conversation = Conversation(
            id=self._ids.new_id(),
            user_id=principal.user_id,
            title=" ".join((title or "New conversation").split())[:200] or "New conversation",
            collection_ids=collection_ids,
            created_at=now,
            updated_at=now,
        )
        await self._conversations.add(conversation)
        await self._uow.commit()
        return conversation


class ListConversations:
    """The caller's own conversations, one page, latest first.

    Any principal with ``assistant:use``; raises PermissionDeniedError without it.
    """

    def __init__(self, conversations: ConversationRepository) -> None:
        self._conversations = conversations

    async def execute(self, principal: Principal, page: PageRequest) -> Page[Conversation]:
        principal.require(Permission.ASSISTANT_USE)
        return await self._conversations.list_for_user(principal.user_id, page)


class GetConversation:
    """One of the caller's conversations with its messages, oldest first.

    The owner with ``assistant:use``; raises PermissionDeniedError, and NotFoundError for a conversation that is
    missing or someone else's.
    """

    def __init__(self, conversations: ConversationRepository) -> None:
        self._conversations = conversations

    async def execute(self, principal: Principal, conversation_id: UUID) -> tuple[Conversation, list[StoredMessage]]:
        conversation = await _owned(self._conversations, principal, conversation_id)
        return conversation, await self._conversations.messages(conversation_id)


class DeleteConversation:
    """Deletes one of the caller's conversations and its messages.

    The owner with ``assistant:use``; raises PermissionDeniedError, and NotFoundError for a conversation that is
    missing or someone else's.
    """

    def __init__(self, conversations: ConversationRepository, uow: UnitOfWork) -> None:
        self._conversations = conversations
        self._uow = uow

    async def execute(self, principal: Principal, conversation_id: UUID) -> None:
        await _owned(self._conversations, principal, conversation_id)
        await self._conversations.delete(conversation_id)
        await self._uow.commit()


@dataclass(frozen=True, slots=True)
class PendingReply:
    conversation: Conversation
    question: Question
    reply_id: UUID


class StartReply:
    """Stores the user's message and builds the question with the conversation's history.

    The owner with ``assistant:use``; raises PermissionDeniedError, NotFoundError (missing or someone else's
    conversation) and ValidationError (empty or too long message). The returned PendingReply goes to
    AskQuestion, then to SaveReply or RelayReply.
    """

    def __init__(self, conversations: ConversationRepository, uow: UnitOfWork, ids: IdGenerator, clock: Clock) -> None:
        self._conversations = conversations
        self._uow = uow
        self._ids = ids
        self._clock = clock

    async def execute(self, principal: Principal, conversation_id: UUID, content: str) -> PendingReply:
        conversation = await _owned(self._conversations, principal, conversation_id)
        text = content.strip()
        if not 1 <= len(text) <= MAX_MESSAGE_CHARS:
            raise ValidationError(f"A message is 1 to {MAX_MESSAGE_CHARS} characters.", details={"field": "content"})
        history = [
            ChatTurn(m.role, m.content)
            for m in await self._conversations.messages(conversation_id)
            if m.content and m.status is not MessageStatus.FAILED
        ]
        now = self._clock.now()
        await self._conversations.add_message(
            StoredMessage(self._ids.new_id(), conversation_id, TurnRole.USER, text, now)
        )
        await self._conversations.touch(conversation_id, now)
        await self._uow.commit()
        # the ids were checked when the conversation was made; one the caller lost access to since matches nothing
        question = Question(text, conversation.collection_ids, tuple(history), check_collections=False)
        return PendingReply(conversation, question, self._ids.new_id())


class SaveReply:
    """Stores the assistant's reply to a PendingReply, complete or (with ``partial_text``) incomplete or failed.

    Called by entrypoints after StartReply, which checked the caller's rights; it checks none itself and raises
    only when the database does.
    """

    def __init__(
        self, conversations: ConversationRepository, uow: UnitOfWork, clock: Clock, events: EventEmitter
    ) -> None:
        self._conversations = conversations
        self._uow = uow
        self._clock = clock
        self._events = events

    async def execute(
        self,
        pending: PendingReply,
        *,
        answer: Answer | None,
        partial_text: str = "",
        status: MessageStatus = MessageStatus.COMPLETE,
    ) -> StoredMessage:
        now = self._clock.now()
        message = StoredMessage(
            id=pending.reply_id,
            conversation_id=pending.conversation.id,
            role=TurnRole.ASSISTANT,
            content=answer.text if answer else partial_text,
            created_at=now,
            status=status,
            citations=tuple(answer.citations) if answer else (),
            usage=answer.usage if answer else Usage(),
            provider=answer.provider if answer else None,
            model=answer.model if answer else None,
        )
        await self._conversations.add_message(message)
        await self._conversations.touch(pending.conversation.id, now)
        # for the conversation's owner alone; the reply's text stays behind GET /conversations/{id}
        await self._events.emit(
            EventType.CONVERSATION_REPLY_COMPLETED,
            subject={"conversation_id": pending.conversation.id, "message_id": message.id},
            data={"status": status.value},
            audience=Audience(user_ids=frozenset({pending.conversation.user_id})),
        )
        await self._uow.commit()
        await self._events.hand_on()
        return message


class ReplyArchive(Protocol):
    """Stores a finished reply in a unit of work of its own: the request that started the reply may be over."""

    async def save(
        self, pending: PendingReply, *, answer: Answer | None, partial_text: str, status: MessageStatus
    ) -> StoredMessage: ...


class ReplyStreamEndedError(Exception):
    """The answer stream ended without its final Answer (a bug in the stream, never the caller's fault)."""


@dataclass(frozen=True, slots=True)
class ReplyEnd:
    """The last event of a reply stream: the stored reply, and its answer or the error that cut it short."""

    message: StoredMessage
    outcome: Answer | Exception


class RelayReply:
    """Relays the answer stream of a pending reply and stores the reply when the stream ends.

    Called by an entrypoint after ``StartReply`` and ``AskQuestion.stream`` (which checked the caller's rights);
    it runs to the end whether or not anyone still listens. The reply is stored COMPLETE with the answer,
    INCOMPLETE with the text streamed before the stream broke, or FAILED when nothing came. It raises nothing
    from the stream: a stream error travels as the outcome of the final ``ReplyEnd``.
    """

    def __init__(self, archive: ReplyArchive) -> None:
        self._archive = archive

    async def execute(
        self, pending: PendingReply, events: AsyncIterator[AnswerEvent]
    ) -> AsyncIterator[AnswerDelta | ReplyEnd]:
        parts: list[str] = []
        answer: Answer | None = None
        error: Exception | None = None
        try:
            async for event in events:
                if isinstance(event, AnswerDelta):
                    parts.append(event.text)
                    yield event
                else:
                    answer = event
        except Exception as exc:  # noqa: BLE001 - stored with the partial reply and told to the listener
            error = exc
        except BaseException:  # cancelled (shutdown): keep what was said, then let the cancellation go on
            await self._store(pending, answer, parts)
            raise
        message = await self._store(pending, answer, parts)
        yield ReplyEnd(message, error or answer or ReplyStreamEndedError("the answer stream ended without an answer"))

    async def _store(self, pending: PendingReply, answer: Answer | None, parts: list[str]) -> StoredMessage:
        status = MessageStatus.COMPLETE if answer else (MessageStatus.INCOMPLETE if parts else MessageStatus.FAILED)
        return await self._archive.save(pending, answer=answer, partial_text="".join(parts), status=status)
