"""Sentence segmentation with exact offsets, heading detection, terms, BM25 selection and grounding."""

from __future__ import annotations

from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.assistant.grounding import cite, claims, distinct, pinpoint
from domain.assistant.models import Citation
from domain.assistant.quotes import Passage, select_quotes
from domain.assistant.relevance import answers, bm25
from domain.assistant.sentences import segment, sentences
from domain.assistant.stop_words import STOP_WORDS
from domain.assistant.terms import fold, terms

_WORDS = st.sampled_from(["Passwords", "must", "be", "long", "e.g.", "Dr.", "the", "12", "days", "Hotels", "é"])
_PIECES = st.one_of(_WORDS, st.sampled_from([" ", ". ", "! ", "\n", "\n\n", "\n- ", "\n## ", "\n| a | b |\n", "? "]))
_TEXTS = st.lists(_PIECES, max_size=40).map("".join) | st.text(max_size=120)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(_TEXTS)
def test_every_segment_is_an_exact_ordered_span_and_no_letter_is_lost(text: str) -> None:
    found = segment(text, ["Hotels"])
    position = 0
    for s in found:
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
        assert s.start >= position
        position = s.end
    covered = {i for s in found for i in range(s.start, s.end)}
    assert all(i in covered for i, c in enumerate(text) if c.isalpha())


def test_sentences_split_at_full_stops_but_not_after_abbreviations_initials_or_decimals() -> None:
    text = "Pay e.g. by card. J. Smith approves 2.5 days! Is that all? Yes."
    assert [s.text for s in sentences(text)] == [
        "Pay e.g. by card.",
        "J. Smith approves 2.5 days!",
        "Is that all?",
        "Yes.",
    ]


def test_headings_are_recognised_and_never_returned_as_sentences() -> None:
    text = (
        "Security rules\n\nSecurity rules\n\nPasswords must be long.\n## Travel\nHotels are booked early.\n"
        "Hotels\nRooms are small.\n\nThe printer\nis on the second floor."
    )
    found = segment(text, ["Hotels"])
    assert [s.text for s in found if s.heading] == ["Security rules", "Security rules", "Travel", "Hotels"]
    # a wrapped line continues its sentence; only a line that names a known heading is one mid-paragraph
    assert [s.text for s in sentences(text, ["Hotels"])] == [
        "Passwords must be long.",
        "Hotels are booked early.",
        "Rooms are small.",
        "The printer\nis on the second floor.",
    ]


def test_statements_without_a_full_stop_list_items_and_table_rows_are_sentences() -> None:
    text = "Parking is free on weekends\n\n- Bring a badge\n- Sign in\n\n| Plan | Price |\n|---|---|\n| Pro | 5 |"
    assert [s.text for s in sentences(text)] == [
        "Parking is free on weekends",
        "Bring a badge",
        "Sign in",
        "| Plan | Price |",
        "| Pro | 5 |",
    ]


def test_terms_drop_stop_words_and_fold_plurals() -> None:
    assert terms("How many days must the employees get?") == ["day", "employee"]
    assert [fold(w) for w in ("policies", "passes", "status", "basis", "days")] == [
        "policy",
        "pass",
        "status",
        "basis",
        "day",
    ]
    assert {"the", "must", "long"} & STOP_WORDS == {"the", "must"}


def test_bm25_weighs_rare_terms_and_normalises_length() -> None:
    candidates = [["password", "long"], ["password", "expire"], ["password"] + ["filler"] * 20, ["weekend", "long"]]
    short, expire, padded, weekend = bm25(["password", "long"], candidates)
    assert short.score > max(expire.score, padded.score, weekend.score)
    assert expire.score > padded.score  # the same one match, in a far longer sentence
    assert short.coverage == 1.0
    assert (weekend.matched, answers(weekend, 2)) == (1, False)  # one shared word is not an answer
    assert answers(short, 2)
    assert answers(bm25(["parking"], [["parking", "free"]])[0], 1)
    assert bm25(["x"], []) == []


def test_selection_prefers_the_best_sentence_and_drops_weak_ones() -> None:
    passages = [
        Passage(1, "Security rules\n\nPasswords must be at least 12 characters long. Laptops are locked."),
        Passage(2, "The long weekend starts on Friday.", "Calendar"),
        Passage(3, "Passwords must be at least 12 characters long."),
    ]
    quotes = select_quotes("How long must passwords be?", passages)
    assert [(q.number, q.sentence.text) for q in quotes] == [(1, "Passwords must be at least 12 characters long.")]
    assert select_quotes("the and of?", passages) == []


def _passage(number: int, text: str, start: int = 100) -> Citation:
    return Citation(number, uuid4(), uuid4(), "Doc", text, start, start + len(text), 0.5, "Doc > Part")


def test_claims_belong_to_the_markers_after_them() -> None:
    answer = 'Intro line.\n- "A quote." [1]\nB is true [2][3]. C holds too [1]. [2]'
    # a marker group with no words before it ("... [1]. [2]") shares the claim before it
    assert claims(answer) == {
        1: ['- "A quote." ', ". C holds too "],
        2: ["B is true ", ". C holds too "],
        3: ["B is true "],
    }


def test_a_paraphrase_points_at_its_sentence_and_no_match_keeps_the_whole_chunk() -> None:
    text = "Hotels\n\nRooms are booked by the travel desk. Every employee receives twenty-five vacation days each year."
    passage = _passage(1, text)
    [narrowed] = pinpoint(passage, ["Employees get twenty five vacation days per year "])
    assert narrowed.snippet == "Every employee receives twenty-five vacation days each year."
    assert text[narrowed.start - 100 : narrowed.end - 100] == narrowed.snippet
    assert narrowed.chunk_span == (100, 100 + len(text))
    assert narrowed.heading_path == "Doc > Part"
    [whole] = pinpoint(passage, ["Something else entirely "])
    assert (whole.snippet, whole.start, whole.end, whole.chunk_span) == (
        text,
        100,
        100 + len(text),
        (100, 100 + len(text)),
    )


def test_only_cited_passages_are_listed_once_per_quoted_sentence() -> None:
    one = _passage(1, "Alpha beta gamma. Delta epsilon zeta.", start=0)
    two = _passage(2, "Unrelated text here.")
    answer = 'Quotes:\n- "Alpha beta gamma." [1]\n- "Delta epsilon zeta." [1]'
    assert [(c.number, c.snippet, c.start) for c in cite(answer, [one, two])] == [
        (1, "Alpha beta gamma.", 0),
        (1, "Delta epsilon zeta.", 18),
    ]
    assert cite("No markers at all.", [one, two]) == []


def test_repeated_passages_are_dropped_and_the_rest_renumbered() -> None:
    one = _passage(1, "Same text.")
    same_chunk = Citation(2, one.document_id, one.chunk_id, "Doc", "Other.", 0, 6, 0.4)
    copy = _passage(3, "same   TEXT.")
    other = _passage(4, "Different.")
    assert [(c.number, c.snippet) for c in distinct([one, same_chunk, copy, other])] == [
        (1, "Same text."),
        (2, "Different."),
    ]


def test_a_sentence_of_stop_words_is_no_verbatim_quote() -> None:
    passage = _passage(1, "Yes. Rooms are booked by the travel desk.")
    [narrowed] = pinpoint(passage, ["Yes. The travel desk books the rooms "])
    assert narrowed.snippet == "Rooms are booked by the travel desk."
