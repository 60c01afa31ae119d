"""RAG answers: retrieve what the caller may read, ask the model to cite it, cache and meter the result."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from application.assistant.policy import AssistantPolicy
from application.assistant.ports import (
    AnswerCache,
    CachedAnswer,
    ChatModel,
    CorpusVersions,
    QuotaLedger,
    StreamDelta,
)
from application.knowledge.ports import SearchScope
from application.knowledge.search import Rerank, Retrieval, Search, SearchRequest
from application.shared.ports import Clock
from domain.assistant.errors import QuotaExceededError
from domain.assistant.grounding import cite, distinct
from domain.assistant.models import ChatTurn, Citation, Usage
from domain.assistant.prompt import build_prompt
from domain.assistant.quota import QuotaPeriod, daily_period
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from domain.knowledge.models import SearchMode
from domain.knowledge.text import count_tokens
from domain.shared.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    collection_ids: frozenset[UUID] | None = None
    history: Sequence[ChatTurn] = field(default_factory=tuple)
    check_collections: bool = True  # off for conversation replies (see SearchRequest)


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    citations: list[Citation]
    usage: Usage
    provider: str
    model: str
    cached: bool
    retrieval: Retrieval  # keyword when hybrid retrieval had to fall back


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    text: str


AnswerEvent = AnswerDelta | Answer


@dataclass(frozen=True, slots=True)
class _Prepared:
    turns: list[ChatTurn]
    citations: list[Citation]
    cache_key: str
    period: QuotaPeriod
    retrieval: Retrieval
    prompt_tokens: int  # of all the turns: held back before the call, with the most the answer may take

    def answer(self, text: str, usage: Usage, provider: str, model: str, *, cached: bool) -> Answer:
        # only the passages the text cites, each narrowed to the sentence it quotes (cached answers alike)
        return Answer(text, cite(text, self.citations), usage, provider, model, cached, self.retrieval)


class AskQuestion:
    """Answers a question from the passages the caller may read, with numbered citations; ``execute`` returns the
    whole answer, ``stream`` the deltas and then the answer.

    Any principal with ``assistant:use`` (and ``documents:read`` for the retrieval); a repeated question over an
    unchanged corpus is served from the cache and charges nothing. Raises PermissionDeniedError, ValidationError
    (empty or too long question), CollectionNotFoundError (a named collection the caller cannot read),
    QuotaExceededError (429, before any model call), DependencyUnavailableError (quota store down) and
    AllProvidersFailedError (503) when no provider answers; a stream that breaks after its first token raises
    ProviderError from the iterator.
    """

    def __init__(
        self,
        search: Search,
        chat: ChatModel,
        cache: AnswerCache,
        quota: QuotaLedger,
        corpus: CorpusVersions,
        clock: Clock,
        policy: AssistantPolicy,
    ) -> None:
        self._search = search
        self._chat = chat
        self._cache = cache
        self._quota = quota
        self._corpus = corpus
        self._clock = clock
        self._policy = policy

    async def execute(self, principal: Principal, question: Question) -> Answer:
        prepared = await self._prepare(principal, question)
        cached = await self._cache.get(prepared.cache_key)
        if cached is not None:
            return self._from_cache(cached, prepared)
        reserved = await self._reserve(principal, prepared)
        try:
            completion = await self._chat.complete(prepared.turns, self._policy.max_output_tokens)
        except BaseException:
            await self._settle(principal, prepared, reserved, Usage())
            raise
        cached_answer = CachedAnswer(completion.text, completion.usage, completion.provider, completion.model)
        await self._settle_and_store(principal, prepared, reserved, completion.usage, cached_answer)
        return prepared.answer(completion.text, completion.usage, completion.provider, completion.model, cached=False)

    async def stream(self, principal: Principal, question: Question) -> AsyncIterator[AnswerEvent]:
        """Deltas, then the full Answer.

        Preparation errors (validation, quota, the quota store down) raise here, before the first event,
        so the caller can still answer them with a status code.
        """
        prepared = await self._prepare(principal, question)
        cached = await self._cache.get(prepared.cache_key)
        if cached is not None:
            return self._replay(cached, prepared)
        reserved = await self._reserve(principal, prepared)
        return self._stream(principal, prepared, reserved)

    async def _replay(self, cached: CachedAnswer, prepared: _Prepared) -> AsyncIterator[AnswerEvent]:
        yield AnswerDelta(cached.text)
        yield self._from_cache(cached, prepared)

    async def _stream(self, principal: Principal, prepared: _Prepared, reserved: int) -> AsyncIterator[AnswerEvent]:
        parts: list[str] = []
        settled = False
        try:
            async for event in self._chat.stream(prepared.turns, self._policy.max_output_tokens):
                if isinstance(event, StreamDelta):
                    parts.append(event.text)
                    yield AnswerDelta(event.text)
                    continue
                text = "".join(parts)
                # one after the other, unlike execute: a client leaving between the two must not be charged twice
                await self._settle(principal, prepared, reserved, event.usage)
                settled = True
                await self._cache.put(
                    prepared.cache_key,
                    CachedAnswer(text, event.usage, event.provider, event.model),
                    self._policy.cache_ttl_seconds,
                )
                yield prepared.answer(text, event.usage, event.provider, event.model, cached=False)
        finally:
            if not settled:  # failed or the client went away: charge what was generated, estimated
                await self._settle(principal, prepared, reserved, Usage(0, count_tokens("".join(parts))))

    async def _prepare(self, principal: Principal, question: Question) -> _Prepared:
        principal.require(Permission.ASSISTANT_USE)
        text = " ".join(question.text.split())
        if not 1 <= len(text) <= self._policy.max_question_chars:
            raise ValidationError(
                f"The question must be 1 to {self._policy.max_question_chars} characters.",
                details={"field": "question"},
            )
        period = daily_period(self._clock.now())
        found = await self._search.execute(
            principal,
            SearchRequest(
                query=text[:1000],
                mode=SearchMode.HYBRID,
                limit=self._policy.passages,
                collection_ids=question.collection_ids,
                check_collections=question.check_collections,
                rerank=Rerank.IF_CONFIGURED,
            ),
        )
        citations = distinct(
            [
                Citation(n, h.document_id, h.chunk_id, h.title, h.text, h.start, h.end, h.score, h.heading_path)
                for n, h in enumerate(found.hits, start=1)
            ]
        )
        grounded = build_prompt(text, citations)
        grounded_tokens = sum(count_tokens(t.content) for t in grounded)
        if question.history:
            room = self._policy.context_tokens - self._policy.max_output_tokens - grounded_tokens
            turns = build_prompt(text, citations, question.history, history_budget_tokens=max(room, 0))
            prompt_tokens = sum(count_tokens(t.content) for t in turns)
        else:  # a plain /ask: the grounded prompt is the prompt, counted once
            turns, prompt_tokens = grounded, grounded_tokens
        scope = SearchScope(principal.user_id, principal.acts_as_admin, question.collection_ids)
        fingerprint = await self._corpus.fingerprint(scope)
        key_material = json.dumps(
            {
                "model": self._chat.model,
                "max_tokens": self._policy.max_output_tokens,
                "turns": [[t.role.value, t.content] for t in turns],
                "corpus": fingerprint,
            },
            sort_keys=True,
        )
        cache_key = hashlib.sha256(key_material.encode()).hexdigest()
        return _Prepared(turns, citations, cache_key, period, found.retrieval, prompt_tokens)

    async def _reserve(self, principal: Principal, prepared: _Prepared) -> int:
        if not self._chat.metered:
            return 0  # the offline model spends no tokens, so the quota neither limits nor counts it
        amount = prepared.prompt_tokens + self._policy.max_output_tokens
        period = prepared.period
        limit = self._policy.daily_token_quota
        if not await self._quota.reserve(principal.user_id, period.key, amount, limit, period.resets_at):
            raise QuotaExceededError(period.resets_at, self._clock.now(), limit)
        return amount

    async def _settle(self, principal: Principal, prepared: _Prepared, reserved: int, usage: Usage) -> None:
        if not self._chat.metered:
            return
        period = prepared.period
        await self._quota.adjust(principal.user_id, period.key, usage.total - reserved, period.resets_at)

    async def _settle_and_store(
        self, principal: Principal, prepared: _Prepared, reserved: int, usage: Usage, answer: CachedAnswer
    ) -> None:
        """Charge what the answer cost and cache it: two independent writes, sent at once."""
        await asyncio.gather(
            self._settle(principal, prepared, reserved, usage),
            self._cache.put(prepared.cache_key, answer, self._policy.cache_ttl_seconds),
        )

    @staticmethod
    def _from_cache(cached: CachedAnswer, prepared: _Prepared) -> Answer:
        # a cache hit costs no tokens: that is the point of the cache
        return prepared.answer(cached.text, Usage(), cached.provider, cached.model, cached=True)


@dataclass(frozen=True, slots=True)
class UsageReport:
    period: str
    used_tokens: int
    quota_tokens: int
    resets_at: str


class GetUsage:
    """The caller's token use and quota for the current day.

    Any principal with ``assistant:use``; raises PermissionDeniedError without it, DependencyUnavailableError
    when the quota store is down.
    """

    def __init__(self, quota: QuotaLedger, clock: Clock, policy: AssistantPolicy) -> None:
        self._quota = quota
        self._clock = clock
        self._policy = policy

    async def execute(self, principal: Principal) -> UsageReport:
        principal.require(Permission.ASSISTANT_USE)
        period = daily_period(self._clock.now())
        used = await self._quota.used(principal.user_id, period.key)
        return UsageReport(period.key, used, self._policy.daily_token_quota, period.resets_at.isoformat())
