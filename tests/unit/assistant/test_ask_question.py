"""AskQuestion with fakes: the answer cache (hit, miss, fail-open) and the quota (reserve, then settle
to the real usage, or refund), for whole and streamed answers."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.assistant.answer import Answer, AnswerDelta, AskQuestion, GetUsage, Question
from application.assistant.policy import AssistantPolicy
from application.assistant.ports import AnswerCache, ProviderError
from application.knowledge.scope import CollectionScope
from application.knowledge.search import Search
from domain.assistant.errors import QuotaExceededError
from domain.assistant.models import Usage
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.text import count_tokens
from domain.shared.errors import ValidationError
from tests.support.assistant_fakes import (
    InMemoryAnswerCache,
    InMemoryQuotaLedger,
    MovableCorpusVersions,
    UnreachableAnswerCache,
)
from tests.support.chat_fakes import MID_STREAM_FAILURE, ScriptedChatModel, fatal
from tests.support.fakes import FixedClock
from tests.support.knowledge_fakes import FakeEmbedder, FakeReadableCollections, FakeSearchIndex, hit
from tests.support.rerank_fakes import no_reranking

CALLER = Principal(uuid4(), Role.MEMBER)
PASSAGE = "Every employee receives twenty-five vacation days each year."
QUESTION = Question("How many vacation days?")
USAGE = Usage(10, 5)  # what ScriptedChatModel reports for every answer


class World:
    def __init__(self, *steps: str | ProviderError, cache: AnswerCache | None = None, quota: int = 200_000) -> None:
        self.chat = ScriptedChatModel("openai", steps, answer="Twenty-five days [1].")
        self.cache = cache or InMemoryAnswerCache()
        self.ledger = InMemoryQuotaLedger()
        self.corpus = MovableCorpusVersions()
        self.policy = AssistantPolicy(daily_token_quota=quota)
        passage = hit(PASSAGE)
        search = Search(
            FakeSearchIndex(keyword=[passage], vector=[passage]),
            FakeEmbedder(),
            CollectionScope(FakeReadableCollections()),
            no_reranking(),
        )
        self.ask = AskQuestion(search, self.chat, self.cache, self.ledger, self.corpus, FixedClock(), self.policy)

    @property
    def charged(self) -> int:
        return sum(self.ledger.totals.values())

    async def streamed(self, question: Question = QUESTION) -> list[AnswerDelta | Answer]:
        return [event async for event in await self.ask.stream(CALLER, question)]


async def test_a_miss_is_answered_and_charged_and_the_same_question_is_then_a_free_hit() -> None:
    world = World()
    first = await world.ask.execute(CALLER, QUESTION)
    assert (first.cached, first.usage, first.text) == (False, USAGE, "Twenty-five days [1].")
    assert [c.snippet for c in first.citations] == [PASSAGE]
    assert world.charged == USAGE.total  # reserved before the call, settled to the real usage

    again = await world.ask.execute(CALLER, Question("  How many   vacation days? "))
    assert (again.cached, again.usage, again.text, again.citations) == (True, Usage(), first.text, first.citations)
    assert len(world.chat.calls) == 1
    assert world.charged == USAGE.total  # a hit costs nothing


async def test_a_changed_corpus_or_another_question_misses_the_cache() -> None:
    world = World()
    await world.ask.execute(CALLER, QUESTION)
    world.corpus.version = "v2"  # a document in the caller's corpus changed
    assert not (await world.ask.execute(CALLER, QUESTION)).cached
    assert not (await world.ask.execute(CALLER, Question("And sick days?"))).cached
    assert len(world.chat.calls) == 3


async def test_with_the_cache_unreachable_every_answer_is_computed_and_charged() -> None:
    world = World(cache=UnreachableAnswerCache())
    for _ in range(2):
        assert not (await world.ask.execute(CALLER, QUESTION)).cached
    assert world.charged == 2 * USAGE.total


async def test_a_question_over_the_quota_is_refused_before_the_model_is_called() -> None:
    world = World(quota=10)
    with pytest.raises(QuotaExceededError) as refused:
        await world.ask.execute(CALLER, QUESTION)
    assert refused.value.code == "QUOTA_EXCEEDED"
    assert world.chat.calls == []
    assert world.charged == 0


async def test_a_failed_call_refunds_the_reservation_and_caches_nothing() -> None:
    world = World(fatal("openai"))
    with pytest.raises(ProviderError):
        await world.ask.execute(CALLER, QUESTION)
    assert world.ledger.operations == ["reserve", "adjust"]
    assert world.charged == 0
    assert not (await world.ask.execute(CALLER, QUESTION)).cached  # the failure was not cached


async def test_an_empty_question_is_refused_and_nothing_is_reserved() -> None:
    world = World()
    with pytest.raises(ValidationError) as refused:
        await world.ask.execute(CALLER, Question(" \n "))
    assert refused.value.details == {"field": "question"}
    assert world.ledger.operations == []


async def test_a_stream_is_deltas_then_the_answer_charged_and_cached_and_then_replayed() -> None:
    world = World()
    events = await world.streamed()
    *deltas, final = events
    assert isinstance(final, Answer)
    assert "".join(d.text for d in deltas if isinstance(d, AnswerDelta)) == final.text == "Twenty-five days [1]."
    assert (final.cached, final.usage) == (False, USAGE)
    assert world.charged == USAGE.total

    replay = await world.streamed()
    assert replay[0] == AnswerDelta(final.text)
    assert isinstance(replay[1], Answer)
    assert replay[1].cached
    assert world.charged == USAGE.total


async def test_a_stream_that_breaks_charges_what_was_generated_and_caches_nothing() -> None:
    world = World(MID_STREAM_FAILURE)
    events = await world.ask.stream(CALLER, QUESTION)
    assert await anext(events) == AnswerDelta("Twenty-five")
    with pytest.raises(ProviderError):
        await anext(events)
    assert world.charged == count_tokens("Twenty-five")  # the output so far, estimated; no prompt tokens
    assert not (await world.ask.execute(CALLER, QUESTION)).cached


async def test_a_client_that_leaves_mid_stream_is_charged_for_what_it_was_sent() -> None:
    world = World()
    events = await world.ask.stream(CALLER, QUESTION)
    assert await anext(events) == AnswerDelta("Twenty-five")
    await events.aclose()  # type: ignore[attr-defined]
    assert world.charged == count_tokens("Twenty-five")


async def test_usage_reports_what_the_day_has_cost_so_far() -> None:
    world = World()
    await world.ask.execute(CALLER, QUESTION)
    report = await GetUsage(world.ledger, FixedClock(), world.policy).execute(CALLER)
    assert (report.period, report.used_tokens, report.quota_tokens) == ("2026-01-01", USAGE.total, 200_000)
    assert report.resets_at == "2026-01-02T00:00:00+00:00"


async def test_a_passage_in_two_collections_reaches_the_model_once_and_only_cited_passages_are_listed() -> None:
    copies = [hit(PASSAGE), hit(PASSAGE), hit("Expense reports are filed monthly.")]  # each in its own collection
    chat = ScriptedChatModel("openai", answer="Employees get twenty-five vacation days [1].")
    search = Search(
        FakeSearchIndex(keyword=copies, vector=copies),
        FakeEmbedder(),
        CollectionScope(FakeReadableCollections()),
        no_reranking(),
    )
    ask = AskQuestion(
        search,
        chat,
        InMemoryAnswerCache(),
        InMemoryQuotaLedger(),
        MovableCorpusVersions(),
        FixedClock(),
        AssistantPolicy(),
    )
    answer = await ask.execute(CALLER, QUESTION)
    prompt = chat.calls[0][-1].content
    assert prompt.count(PASSAGE) == 1
    assert "[2] Doc\nExpense reports are filed monthly." in prompt  # renumbered after the repeat
    assert [(c.number, c.snippet) for c in answer.citations] == [(1, PASSAGE)]  # [2] was never cited
