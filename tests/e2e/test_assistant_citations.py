"""Citations over HTTP point at the quoted sentence (exact span in the document's text) and carry the
passage's heading path: for a model that paraphrases one sentence, for a stored conversation reply, and
for the offline answerer."""

from __future__ import annotations

from typing import Any

import pytest

from domain.identity.roles import Role
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.e2e.test_assistant import ask
from tests.support.api import Account, Client, signed_in
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble

HANDBOOK = (
    "# Handbook\n\n## Leave\n\n"
    "Every employee receives twenty-five vacation days each year. Unused vacation days carry over until March.\n\n"
    "## Expenses\n\nExpense reports are filed monthly through the finance portal."
)
SENTENCE = "Every employee receives twenty-five vacation days each year."
PARAPHRASE = "Each staff member gets twenty-five days of vacation every year [1]."


async def _handbook(client: Client) -> tuple[Account, list[dict[str, Any]]]:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    created = await add_text(client, editor, collection, "Handbook", HANDBOOK, body={"content_type": "text/markdown"})
    document_id = created.json()["data"]["id"]
    await wait_for_status(client, editor, document_id)
    chunks = (await client.get(f"/api/v1/documents/{document_id}/chunks", headers=editor.headers)).json()["data"]
    return editor, chunks


def _assert_points_at_the_sentence(citations: list[dict[str, Any]], chunks: list[dict[str, Any]]) -> None:
    assert len(citations) == 1, citations  # the expenses passage was retrieved too, but never cited
    [citation] = citations
    chunk = next(c for c in chunks if c["id"] == citation["chunk_id"])
    assert citation["snippet"] == SENTENCE
    assert (citation["chunk_start"], citation["chunk_end"]) == (chunk["start"], chunk["end"])
    # start/end index the document's text, like the chunk's own offsets
    assert chunk["text"][citation["start"] - chunk["start"] : citation["end"] - chunk["start"]] == SENTENCE
    assert citation["heading_path"] == "Handbook > Leave"


async def test_a_paraphrasing_model_is_cited_at_the_sentence_in_ask_and_in_a_conversation(
    ask_client: Client,
    chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chat_doubles[0], "answer", PARAPHRASE)
    editor, chunks = await _handbook(ask_client)

    answer = (await ask(ask_client, editor, "How many vacation days do employees get?")).json()["data"]
    assert answer["answer"] == PARAPHRASE
    _assert_points_at_the_sentence(answer["citations"], chunks)
    assert "(section: Handbook > Leave)" in chat_doubles[0].requests[-1]["messages"][-1]["content"]

    created = await ask_client.post("/api/v1/conversations", json={"title": "Leave"}, headers=editor.headers)
    conversation = created.json()["data"]["id"]
    reply = await ask_client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"content": "How many vacation days do employees get?"},
        headers={**editor.headers, "Accept": "application/json"},
    )
    assert reply.status_code == 200, reply.text
    _assert_points_at_the_sentence(reply.json()["data"]["citations"], chunks)
    stored = (await ask_client.get(f"/api/v1/conversations/{conversation}", headers=editor.headers)).json()["data"]
    _assert_points_at_the_sentence(stored["messages"][-1]["citations"], chunks)  # kept as answered


async def test_the_offline_answer_cites_the_sentence_it_quotes(kb_client: Client) -> None:
    editor, chunks = await _handbook(kb_client)
    answer = (await ask(kb_client, editor, "How many vacation days does every employee receive?")).json()["data"]
    assert f'"{SENTENCE}" [1]' in answer["answer"]
    assert "Leave" not in answer["answer"]  # the heading is never quoted
    _assert_points_at_the_sentence(answer["citations"], chunks)

    nothing = (await ask(kb_client, editor, "What is the capital of Mars?")).json()["data"]
    assert nothing["answer"] == "I could not find an answer in your documents."
    assert nothing["citations"] == []
