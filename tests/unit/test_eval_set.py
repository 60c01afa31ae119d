"""The retrieval evaluation set is well formed: every expected passage is quoted from its document."""

from __future__ import annotations

import html

from benchmarks.eval.generated import PDF, WORD, text_of
from benchmarks.eval.questions import CORPUS, load_questions, words


def _documents() -> dict[str, str]:
    texts = {path.name: path.read_text() for path in CORPUS.iterdir()}
    texts |= {name: text_of(name) for name in (*WORD, *PDF)}
    return {name: words(html.unescape(text)) for name, text in texts.items()}


def test_every_expected_passage_occurs_in_its_document() -> None:
    documents = _documents()
    questions = load_questions()
    assert len(questions) >= 30
    assert len({q.text for q in questions}) == len(questions)
    for question in questions:
        assert question.answers, question.text
        for expected in question.answers:
            assert expected.document in documents, expected.document
            quote = words(expected.quote)
            assert len(quote.split()) >= 3, expected.quote  # a passage, not one common word
            assert quote in documents[expected.document], (question.text, expected)


def test_the_corpus_spans_the_formats_and_every_document_is_asked_about() -> None:
    documents = _documents()
    assert {name.rsplit(".", 1)[1] for name in documents} >= {"md", "html", "txt", "docx", "pdf"}
    asked = {expected.document for question in load_questions() for expected in question.answers}
    assert asked == set(documents)
