"""The offline provider: with no language model configured, answer by quoting the best passages.

It reads the numbered passages (and their heading paths) out of the grounded prompt (see
domain.assistant.prompt), picks the sentences that answer the question (see domain.assistant.quotes:
BM25 over the passages' sentences, headings and stop words ignored, a relevance bar, no repeats) and
returns them, each with its citation, labelled as an extractive answer so nobody mistakes it for
generated text. Asked for a summary, it returns the document's most representative sentences (see
extractive_summary). It spends no tokens: not metered.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence

from adapters.llm.extractive_summary import summarize
from application.assistant.ports import Completion, StreamDelta, StreamDone, StreamEvent
from domain.assistant.models import ChatTurn, TurnRole, Usage
from domain.assistant.prompt import CONTEXT_HEADER, NO_PASSAGES, QUESTION_HEADER, SECTION_OPEN, summary_source
from domain.assistant.quotes import Passage, select_quotes

LABEL = "Extractive answer (no language model is configured), quoting your documents:"
NOT_FOUND = "I could not find an answer in your documents."
SUMMARY_LABEL = "Extractive summary (no language model is configured): the document's key sentences, in order:"
EMPTY_DOCUMENT = "The document has no text to summarise."
_PASSAGE = re.compile(r"^\[(\d{1,4})\] (.*?)\n(.*?)(?=\n\n\[\d{1,4}\] |\Z)", re.S | re.M)  # see grounding


def passages(prompt_context: str) -> list[Passage]:
    found: list[Passage] = []
    for match in _PASSAGE.finditer(prompt_context):
        header, body = match.group(2), match.group(3)
        _, section, heading_path = header.rpartition(SECTION_OPEN)
        found.append(Passage(int(match.group(1)), body, heading_path.removesuffix(")") if section else ""))
    return found


class ExtractiveChatModel:
    def __init__(self, max_sentences: int = 3, summary_sentences: int = 5) -> None:
        self._max_sentences = max_sentences
        self._summary_sentences = summary_sentences

    @property
    def provider(self) -> str:
        return "extractive"

    @property
    def model(self) -> str:
        return "extractive-v1"

    @property
    def metered(self) -> bool:
        return False

    def reply(self, turns: Sequence[ChatTurn], max_tokens: int) -> str:
        source = summary_source(turns)
        if source is None:
            return self.answer(turns)
        sentences = summarize(source, max_sentences=self._summary_sentences, max_tokens=max_tokens)
        if not sentences:
            return EMPTY_DOCUMENT
        return SUMMARY_LABEL + "\n" + "\n".join(f"- {sentence}" for sentence in sentences)

    def answer(self, turns: Sequence[ChatTurn]) -> str:
        prompt = next((t.content for t in reversed(turns) if t.role is TurnRole.USER), "")
        context, _, question = prompt.partition(f"\n\n{QUESTION_HEADER}\n")
        passages_text = context.removeprefix(f"{CONTEXT_HEADER}\n")
        if not question or passages_text.strip() == NO_PASSAGES:
            return NOT_FOUND
        quotes = select_quotes(question, passages(passages_text), limit=self._max_sentences)
        if not quotes:
            return NOT_FOUND
        # whitespace folded so a sentence wrapped over lines reads as one; citations still find it verbatim
        lines = [f'- "{" ".join(q.sentence.text.split())}" [{q.number}]' for q in quotes]
        return LABEL + "\n" + "\n".join(lines)

    # Usage() throughout: no model tokens are spent, so none are reported or charged

    async def complete(self, turns: Sequence[ChatTurn], max_tokens: int) -> Completion:
        return Completion(self.reply(turns, max_tokens), Usage(), self.provider, self.model)

    async def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> AsyncIterator[StreamEvent]:
        for line in self.reply(turns, max_tokens).splitlines(keepends=True):
            yield StreamDelta(line)
        yield StreamDone(Usage(), self.provider, self.model)
