"""The offline provider: with no language model configured, answer by quoting the best passages.

It reads the numbered passages out of the grounded prompt (see domain.assistant.prompt), scores their
sentences by overlap with the question and returns the best ones, each with its citation, labelled as
an extractive answer so nobody mistakes it for generated text.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from application.assistant.ports import Completion, StreamDelta, StreamDone, StreamEvent
from domain.assistant.models import ChatTurn, TurnRole, Usage
from domain.assistant.prompt import CONTEXT_HEADER, NO_PASSAGES, QUESTION_HEADER
from domain.knowledge.text import count_tokens

LABEL = "Extractive answer (no language model is configured), quoting your documents:"
NOT_FOUND = "I could not find this in your documents."
_PASSAGE = re.compile(r"^\[(\d+)\] .*?\n(.*?)(?=\n\n\[\d+\] |\Z)", re.S | re.M)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"\w+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
    ]
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


class ExtractiveChatModel:
    def __init__(self, max_sentences: int = 3) -> None:
        self._max_sentences = max_sentences

    @property
    def provider(self) -> str:
        return "extractive"

    @property
    def model(self) -> str:
        return "extractive-v1"

    def answer(self, turns: Sequence[ChatTurn]) -> str:
        prompt = next((t.content for t in reversed(turns) if t.role is TurnRole.USER), "")
        context, _, question = prompt.partition(f"\n\n{QUESTION_HEADER}\n")
        passages_text = context.removeprefix(f"{CONTEXT_HEADER}\n")
        if not question or passages_text.strip() == NO_PASSAGES:
            return NOT_FOUND
        wanted = _words(question)
        scored: list[tuple[float, int, str]] = []
        for match in _PASSAGE.finditer(passages_text):
            number, body = int(match.group(1)), match.group(2)
            for sentence in _SENTENCE.split(body.strip()):
                overlap = len(wanted & _words(sentence))
                if overlap:
                    scored.append((overlap + 1.0 / number, number, sentence.strip()))
        if not scored:
            return NOT_FOUND
        best = sorted(scored, key=lambda item: item[0], reverse=True)[: self._max_sentences]
        quotes = [f'"{sentence}" [{number}]' for _, number, sentence in best]
        return LABEL + "\n" + "\n".join(f"- {quote}" for quote in quotes)

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion:
        text = self.answer(turns)
        return Completion(text, self._usage(turns, text), self.provider, self.model)

    async def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        text = self.answer(turns)
        for line in text.splitlines(keepends=True):
            yield StreamDelta(line)
        yield StreamDone(self._usage(turns, text), self.provider, self.model)

    @staticmethod
    def _usage(turns: Sequence[ChatTurn], text: str) -> Usage:
        return Usage(sum(count_tokens(t.content) for t in turns), count_tokens(text))
