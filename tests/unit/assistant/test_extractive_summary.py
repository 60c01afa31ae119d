"""The offline model's extractive summaries."""

from __future__ import annotations

from uuid import uuid4

from adapters.llm.extractive import EMPTY_DOCUMENT, SUMMARY_LABEL, ExtractiveChatModel
from adapters.llm.extractive_summary import split_sentences, summarize
from application.assistant.ports import StreamDelta, StreamDone
from application.assistant.summaries import stitch_chunks
from domain.assistant.models import Usage
from domain.assistant.prompt import build_prompt, build_summary_prompt, summary_source
from domain.knowledge.models import Chunk
from domain.knowledge.text import chunk_text

KEY = [
    "Employees may work remotely up to three days each week.",
    "Managers approve remote work schedules each quarter.",
    "The remote work policy applies to all full-time employees.",
]
DOCUMENT = (
    "Remote work policy\n\n"
    f"{KEY[0]} The office cafeteria serves lunch at noon.\n"
    f"{KEY[1]} Parking is free on weekends.\n"
    "- Bring your badge.\n"
    f"{KEY[2]}\n\n"
    f"{KEY[0]}"  # a chunk overlap repeats a sentence: it is picked once
)


def test_the_most_representative_sentences_in_document_order() -> None:
    assert summarize(DOCUMENT, max_sentences=3) == KEY


def test_sentences_split_at_ends_and_line_breaks_without_bullets() -> None:
    assert split_sentences("Title\n- One two. Three four!\n\n2) Five?") == ["Title", "One two.", "Three four!", "Five?"]


def test_the_budget_bounds_the_summary_and_short_documents_come_back_whole() -> None:
    assert summarize(DOCUMENT, max_sentences=5, max_tokens=12) == [KEY[0]]  # 12 tokens: only one fits
    assert summarize("Just one short note.") == ["Just one short note."]
    assert summarize("Hi") == ["Hi"]  # nothing long enough to be a statement: the short lines compete
    assert summarize("  \n\n ") == []


async def test_the_offline_model_summarises_a_summary_prompt_for_free() -> None:
    model = ExtractiveChatModel(summary_sentences=3)
    turns = build_summary_prompt("Remote work", DOCUMENT)
    assert summary_source(turns) == DOCUMENT
    completion = await model.complete(turns, 800)
    assert completion.text == SUMMARY_LABEL + "\n" + "\n".join(f"- {s}" for s in KEY)
    assert completion.usage == Usage()
    assert model.metered is False

    events = [event async for event in model.stream(turns, 800)]
    assert "".join(e.text for e in events if isinstance(e, StreamDelta)) == completion.text
    assert events[-1] == StreamDone(Usage(), "extractive", "extractive-v1")

    empty = await model.complete(build_summary_prompt("Blank", ""), 800)
    assert empty.text == EMPTY_DOCUMENT
    assert summary_source(build_prompt("Why?", [])) is None  # a question is answered, not summarised


def _chunks(text: str, max_tokens: int, overlap: int) -> list[Chunk]:
    ids = uuid4()
    return [
        Chunk(uuid4(), ids, ids, n, s.text, s.start, s.end, s.token_count)
        for n, s in enumerate(chunk_text(text, max_tokens=max_tokens, overlap=overlap))
    ]


def test_chunks_are_stitched_back_without_their_overlap_within_a_budget() -> None:
    text = " ".join(KEY * 3)
    assert stitch_chunks(_chunks(text, 12, 4), 10_000) == text
    assert stitch_chunks(_chunks(text, 12, 0), 10_000) == text  # neighbours that do not overlap are spaced
    first = _chunks(text, 12, 4)[0]
    assert stitch_chunks(_chunks(text, 12, 4), first.token_count) == first.text
