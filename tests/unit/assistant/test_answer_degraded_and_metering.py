"""AskQuestion with fakes: answers from keyword retrieval when the embedder is down, and the offline
model is never metered while a real provider is."""

from __future__ import annotations

from uuid import uuid4

import pytest

from adapters.llm.extractive import LABEL, ExtractiveChatModel
from application.assistant.answer import Answer, AskQuestion, Question
from application.assistant.policy import AssistantPolicy
from application.assistant.ports import ChatModel
from application.knowledge.scope import CollectionScope
from application.knowledge.search import Degradation, Retrieval, Search
from domain.assistant.errors import QuotaExceededError
from domain.assistant.models import Usage
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.knowledge.models import SearchMode
from tests.support.assistant_fakes import FixedCorpusVersions, InMemoryAnswerCache, InMemoryQuotaLedger
from tests.support.chat_fakes import ScriptedChatModel
from tests.support.fakes import FixedClock
from tests.support.knowledge_fakes import FakeEmbedder, FakeReadableCollections, FakeSearchIndex, hit
from tests.support.rerank_fakes import no_reranking

CALLER = Principal(uuid4(), Role.MEMBER)
PASSAGE = "Every employee receives twenty-five vacation days each year."


def _ask(chat: ChatModel, embedder: FakeEmbedder, ledger: InMemoryQuotaLedger) -> AskQuestion:
    index = FakeSearchIndex(keyword=[hit(PASSAGE)], vector=[hit(PASSAGE)])
    search = Search(index, embedder, CollectionScope(FakeReadableCollections()), no_reranking())
    return AskQuestion(
        search, chat, InMemoryAnswerCache(), ledger, FixedCorpusVersions(), FixedClock(), AssistantPolicy()
    )


async def test_an_offline_answer_from_keyword_retrieval_when_the_embedder_is_down() -> None:
    ledger = InMemoryQuotaLedger()
    answer = await _ask(ExtractiveChatModel(), FakeEmbedder(down=True), ledger).execute(
        CALLER, Question("How many vacation days?")
    )
    assert answer.retrieval == Retrieval(SearchMode.KEYWORD, SearchMode.HYBRID, Degradation.EMBEDDINGS_UNAVAILABLE)
    assert answer.text.startswith(LABEL)
    assert "twenty-five vacation days" in answer.text
    assert answer.usage == Usage()
    assert ledger.operations == []  # offline: nothing reserved, nothing charged
    assert ledger.totals == {}


async def test_a_streamed_offline_answer_is_not_metered_either() -> None:
    ledger = InMemoryQuotaLedger()
    events = await _ask(ExtractiveChatModel(), FakeEmbedder(), ledger).stream(CALLER, Question("Vacation days?"))
    final = [event async for event in events][-1]
    assert isinstance(final, Answer)
    assert final.retrieval == Retrieval(SearchMode.HYBRID, SearchMode.HYBRID, None)
    assert final.usage == Usage()
    assert ledger.operations == []


async def test_a_provider_answer_is_reserved_then_settled_to_its_usage() -> None:
    ledger = InMemoryQuotaLedger()
    answer = await _ask(ScriptedChatModel("openai"), FakeEmbedder(down=True), ledger).execute(
        CALLER, Question("How many vacation days?")
    )
    assert answer.retrieval.degraded is Degradation.EMBEDDINGS_UNAVAILABLE
    assert ledger.operations == ["reserve", "adjust"]
    assert sum(ledger.totals.values()) == Usage(10, 5).total


async def test_a_streamed_answer_over_quota_is_refused_before_the_stream_starts() -> None:
    ledger = InMemoryQuotaLedger()
    ask = AskQuestion(
        Search(
            FakeSearchIndex(keyword=[hit(PASSAGE)]),
            FakeEmbedder(),
            CollectionScope(FakeReadableCollections()),
            no_reranking(),
        ),
        ScriptedChatModel("openai"),
        InMemoryAnswerCache(),
        ledger,
        FixedCorpusVersions(),
        FixedClock(),
        AssistantPolicy(daily_token_quota=10),
    )
    with pytest.raises(QuotaExceededError):
        await ask.stream(CALLER, Question("Vacation days?"))  # raised here, so the caller can answer 429
    assert ledger.operations == ["reserve"]
