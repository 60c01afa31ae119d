"""dishka wiring of the assistant: providers in priority order behind one resilient ChatModel."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, provide, provide_all
from redis.asyncio import Redis
from saq.queue.base import Queue

from adapters.clock import AsyncioSleeper
from adapters.llm.extractive import ExtractiveChatModel
from adapters.metrics.llm import OtelResilienceMetrics, watch_breaker
from adapters.persistence.assistant.repositories import SqlConversationRepository
from adapters.persistence.assistant.tasks import SqlSummaryTaskRepository
from adapters.persistence.knowledge.corpus import PostgresCorpusVersions
from adapters.queue.ingestion_queue import SaqSummaryTaskQueue
from adapters.redis.assistant_store import RedisAnswerCache, RedisQuotaLedger
from application.assistant.answer import Answer, AskQuestion, GetUsage
from application.assistant.conversations import (
    CreateConversation,
    DeleteConversation,
    GetConversation,
    ListConversations,
    PendingReply,
    RelayReply,
    ReplyArchive,
    SaveReply,
    StartReply,
)
from application.assistant.policy import AssistantPolicy
from application.assistant.ports import AnswerCache, ChatModel, ConversationRepository, CorpusVersions, QuotaLedger
from application.assistant.resilience import ResilientChatModel, RetryPolicy
from application.assistant.summaries import (
    GetSummaryTask,
    RequestSummary,
    RunSummary,
    SummaryTaskQueue,
    SummaryTaskRepository,
)
from application.shared.ports import Clock
from application.shared.resilience import CircuitBreaker
from domain.assistant.models import MessageStatus, StoredMessage
from entrypoints.bootstrap.closing import close_quietly
from entrypoints.bootstrap.settings import Settings


class ScopedReplyArchive:
    """Saves a reply in a container scope of its own: the request scope that started it may be closed."""

    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def save(
        self, pending: PendingReply, *, answer: Answer | None, partial_text: str, status: MessageStatus
    ) -> StoredMessage:
        async with self._container() as scope:
            save = await scope.get(SaveReply)
            return await save.execute(pending, answer=answer, partial_text=partial_text, status=status)


class AssistantProvider(Provider):
    reply_archive = provide(ScopedReplyArchive, provides=ReplyArchive, scope=Scope.APP)
    relay_reply = provide(RelayReply, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> AssistantPolicy:
        return AssistantPolicy(
            max_output_tokens=settings.llm_max_output_tokens,
            context_tokens=settings.llm_context_tokens,
            cache_ttl_seconds=settings.answer_cache_ttl_seconds,
            daily_token_quota=settings.token_quota_per_day,
        )

    @provide(scope=Scope.APP)
    async def chat_model(self, settings: Settings, clock: Clock) -> AsyncIterator[ChatModel]:
        # the SDKs are imported only when a provider is configured (CLI start-up stays short)
        from adapters.llm.anthropic_chat import AnthropicChatModel
        from adapters.llm.openai_chat import OpenAIChatModel

        adapters: list[OpenAIChatModel | AnthropicChatModel] = []
        for name in settings.provider_names:
            if name == "openai":
                adapters.append(
                    OpenAIChatModel(
                        model=settings.openai_model,
                        api_key=settings.openai_api_key,
                        base_url=settings.openai_base_url,
                        timeout_seconds=settings.llm_timeout_seconds,
                    )
                )
            else:
                adapters.append(
                    AnthropicChatModel(
                        model=settings.anthropic_model,
                        api_key=settings.anthropic_api_key,
                        base_url=settings.anthropic_base_url,
                        timeout_seconds=settings.llm_timeout_seconds,
                    )
                )
        if not adapters:
            yield ExtractiveChatModel()
            return
        breakers = [CircuitBreaker(clock) for _ in adapters]  # APP scope: the state lives as long as the process
        for adapter, breaker in zip(adapters, breakers, strict=True):
            watch_breaker(adapter.provider, breaker)
        yield ResilientChatModel(
            adapters,
            breakers,
            RetryPolicy(attempts=settings.llm_max_attempts),
            AsyncioSleeper(),
            random.random,
            OtelResilienceMetrics(),
        )
        for adapter in adapters:
            await close_quietly(f"{adapter.provider} client", adapter.close)

    @provide(scope=Scope.APP)
    def answer_cache(self, redis: Redis) -> AnswerCache:
        return RedisAnswerCache(redis)

    @provide(scope=Scope.APP)
    def quota_ledger(self, redis: Redis) -> QuotaLedger:
        return RedisQuotaLedger(redis)

    corpus = provide(PostgresCorpusVersions, provides=CorpusVersions, scope=Scope.REQUEST)
    conversations = provide(SqlConversationRepository, provides=ConversationRepository, scope=Scope.REQUEST)
    tasks = provide(SqlSummaryTaskRepository, provides=SummaryTaskRepository, scope=Scope.REQUEST)

    @provide(scope=Scope.APP)
    def task_queue(self, queue: Queue) -> SummaryTaskQueue:
        return SaqSummaryTaskQueue(queue)

    use_cases = provide_all(
        AskQuestion,
        GetUsage,
        CreateConversation,
        ListConversations,
        GetConversation,
        DeleteConversation,
        StartReply,
        SaveReply,
        RequestSummary,
        GetSummaryTask,
        RunSummary,
        scope=Scope.REQUEST,
    )
