"""A fixed question set for the offline answerer: for each question, the sentence it must quote, and the
citation must span exactly that sentence in the document's text."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from adapters.llm.extractive import LABEL, NOT_FOUND, ExtractiveChatModel
from domain.assistant.grounding import cite, distinct
from domain.assistant.models import Citation
from domain.assistant.prompt import build_prompt

# (title, heading path, chunk text): chunks as retrieval returns them, some with heading lines inside the text
CORPUS = [
    (
        "Handbook",
        "Handbook > Security rules",
        "Security rules\n\nPasswords must be at least 12 characters long. Passwords expire every 90 days.\n\n"
        "Laptops must be locked when you leave your desk.",
    ),
    (
        "Handbook",
        "Handbook > Travel > Hotels",
        "Hotels\n\nHotel rooms are booked through the travel desk at least two weeks ahead. "
        "The long weekend in May is not a travel day.",
    ),
    (
        "Handbook",
        "Handbook > Leave",
        "Every employee receives twenty-five vacation days each year.\n"
        "Unused vacation days carry over until the end of March.\n"
        "Sick leave must be reported to your manager before 9 am.",
    ),
    (
        "Expenses",
        "Expenses",
        "## Filing expenses\n\nExpense reports are filed monthly through the finance portal. "
        "Receipts over 25 euros must be attached as scans.",
    ),
    (
        "Office",
        "",
        "Office life\n\nThe office cafeteria serves lunch at noon. Parking is free on weekends. "
        "Visitors sign in at the front desk and wear a badge.",
    ),
    (
        "IT",
        "IT > Support",
        "- Broken laptops are replaced within three working days.\n"
        "- The IT helpdesk answers tickets from 8 am to 6 pm on weekdays.",
    ),
]

QUESTIONS = [
    ("How long must passwords be?", "Passwords must be at least 12 characters long."),
    ("How many vacation days do employees get?", "Every employee receives twenty-five vacation days each year."),
    ("When do unused vacation days expire?", "Unused vacation days carry over until the end of March."),
    ("How are hotel rooms booked?", "Hotel rooms are booked through the travel desk at least two weeks ahead."),
    ("How often are expense reports filed?", "Expense reports are filed monthly through the finance portal."),
    ("Which receipts must be attached?", "Receipts over 25 euros must be attached as scans."),
    ("When does the cafeteria serve lunch?", "The office cafeteria serves lunch at noon."),
    ("How fast are broken laptops replaced?", "Broken laptops are replaced within three working days."),
    ("When does the IT helpdesk answer tickets?", "The IT helpdesk answers tickets from 8 am to 6 pm on weekdays."),
]


def _passages() -> tuple[list[Citation], dict[int, str]]:
    """The corpus as numbered passages at made-up offsets in their documents, and each document's text."""
    passages: list[Citation] = []
    documents: dict[int, str] = {}
    for number, (title, heading_path, text) in enumerate(CORPUS, start=1):
        prefix = "x" * (17 * number)  # the chunk sits somewhere inside its document
        documents[number] = prefix + text + "\n\ntrailing text"
        start = len(prefix)
        passages.append(
            Citation(number, uuid4(), uuid4(), title, text, start, start + len(text), 1.0 / number, heading_path)
        )
    return passages, documents


def _quotes(answer: str) -> list[str]:
    return [line.removeprefix('- "').rsplit('" [', 1)[0] for line in answer.splitlines()[1:]]


@pytest.mark.parametrize(("question", "expected"), QUESTIONS)
def test_the_offline_answerer_quotes_the_sentence_that_answers(question: str, expected: str) -> None:
    passages, documents = _passages()
    answer = ExtractiveChatModel().answer(build_prompt(question, passages))
    assert answer.startswith(LABEL)
    quotes = _quotes(answer)
    assert quotes[0] == expected, answer
    assert not any(q in {"Security rules", "Hotels", "Office life", "Filing expenses"} for q in quotes)
    citations = cite(answer, passages)
    first = next(c for c in citations if c.snippet == expected)
    assert documents[first.number][first.start : first.end] == expected  # the exact span of the quote
    assert first.chunk_span == (passages[first.number - 1].start, passages[first.number - 1].end)
    assert first.heading_path == passages[first.number - 1].heading_path
    cited = {int(line.rsplit("[", 1)[1].rstrip("]")) for line in answer.splitlines()[1:]}
    assert {c.number for c in citations} == cited  # only the sources the answer cites


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Mars?", "How long is the lunch break?", "Must we?", "What does the printer cost?"],
)
def test_a_question_the_corpus_does_not_answer_is_not_answered(question: str) -> None:
    passages, _ = _passages()
    answer = ExtractiveChatModel().answer(build_prompt(question, passages))
    assert answer == NOT_FOUND
    assert cite(answer, passages) == []


def test_a_document_in_two_collections_is_quoted_once() -> None:
    passages, _ = _passages()
    copy = Citation(99, uuid4(), uuid4(), "Handbook (copy)", passages[0].snippet, 0, len(passages[0].snippet), 0.9)
    unique = distinct([passages[0], copy, *passages[1:]])
    assert [p.number for p in unique] == list(range(1, len(passages) + 1))
    assert unique[1:] == passages[1:]  # the copy is gone, the rest keep their numbers
    question = "How long must passwords be, and when do they expire?"
    wanted = {"Passwords must be at least 12 characters long.", "Passwords expire every 90 days."}
    for prompt_passages in (unique, [passages[0], copy, *passages[1:]]):  # deduplicated or not, one quote each
        answer = ExtractiveChatModel().answer(build_prompt(question, prompt_passages))
        quotes = _quotes(answer)
        assert set(quotes) == wanted, answer
        assert len(quotes) == len(set(quotes))
        assert "[99]" not in answer


def test_a_huge_bracketed_number_in_a_passage_or_an_answer_is_just_text() -> None:
    # int() refuses strings over 4300 digits: a document line like this once broke every /ask that found it
    huge = "[" + "9" * 5000 + "]"
    passages, _ = _passages()
    tampered = [replace(passages[0], snippet=f"{passages[0].snippet}\n\n{huge} x"), *passages[1:]]
    answer = ExtractiveChatModel().answer(build_prompt("How many vacation days do employees get?", tampered))
    assert answer.startswith(LABEL)
    assert {c.number for c in cite(f"Twenty five days {huge}. [1]", tampered)} == {1}
