"""Conversations: history, streamed replies stored even when the client leaves, ownership."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from domain.identity.roles import Role
from tests.e2e.test_assistant import _handbook, sse
from tests.support.api import Account, Client, assert_error, signed_in
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble

CONVERSATIONS = "/api/v1/conversations"


async def _conversation(client: Client, account: Account, **body: Any) -> str:
    response = await client.post(CONVERSATIONS, json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def _messages(client: Client, account: Account, conversation_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{CONVERSATIONS}/{conversation_id}", headers=account.headers)
    assert response.status_code == 200
    messages: list[dict[str, Any]] = response.json()["data"]["messages"]
    return messages


async def test_conversation_with_history_in_json_and_sse(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double = chat_doubles[0]
    editor, collection, document_id = await _handbook(ask_client)
    conversation = await _conversation(ask_client, editor, title="Vacation", collection_ids=[collection])

    first = await ask_client.post(
        f"{CONVERSATIONS}/{conversation}/messages",
        json={"content": "How many vacation days?"},
        headers={**editor.headers, "Accept": "application/json"},
    )
    assert first.status_code == 200, first.text
    reply = first.json()["data"]
    assert (reply["role"], reply["status"], reply["content"]) == ("assistant", "complete", openai_double.answer)
    assert reply["citations"][0]["document_id"] == document_id

    streamed = await ask_client.post(
        f"{CONVERSATIONS}/{conversation}/messages", json={"content": "And expense reports?"}, headers=editor.headers
    )
    events = sse(streamed.text)
    assert "".join(e.get("content", "") for e in events[:-1]) == openai_double.answer
    assert events[-1]["done"] is True
    # the same last event as /ask's, plus the stored reply's id
    assert set(events[-1]) == {"done", "citations", "usage", "model", "provider", "cached", "retrieval", "message_id"}
    # the model saw the earlier exchange as history
    sent = openai_double.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[1]["content"] == "How many vacation days?"

    messages = await _messages(ask_client, editor, conversation)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[-1]["id"] == events[-1]["message_id"]
    assert messages[-1]["usage"]["output_tokens"] == len(openai_double.tokens())

    listed = (await ask_client.get(CONVERSATIONS, headers=editor.headers)).json()
    assert [c["id"] for c in listed["data"]] == [conversation]


async def test_reply_is_stored_when_the_client_disconnects(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double = chat_doubles[0]
    editor, _, _ = await _handbook(ask_client)
    conversation = await _conversation(ask_client, editor)
    openai_double.script.append("trickle")
    async with ask_client.stream(
        "POST", f"{CONVERSATIONS}/{conversation}/messages", json={"content": "Vacation days?"}, headers=editor.headers
    ) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:])["done"] is False
                break  # leave after the first token
    for _ in range(100):
        messages = await _messages(ask_client, editor, conversation)
        if len(messages) == 2:
            break
        await asyncio.sleep(0.1)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["status"] == "complete"
    assert messages[1]["content"] == openai_double.answer


async def test_a_broken_stream_keeps_the_partial_reply(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double = chat_doubles[0]
    editor, _, _ = await _handbook(ask_client)
    conversation = await _conversation(ask_client, editor)
    openai_double.script.append("malformed")
    events = sse(
        (
            await ask_client.post(
                f"{CONVERSATIONS}/{conversation}/messages", json={"content": "Vacation?"}, headers=editor.headers
            )
        ).text
    )
    assert events[-1]["error"]["code"] == "LLM_STREAM_FAILED"
    messages = await _messages(ask_client, editor, conversation)
    assert messages[-1]["status"] == "incomplete"
    assert messages[-1]["content"] == openai_double.tokens()[0]
    assert messages[-1]["id"] == events[-1]["message_id"]


async def test_conversations_are_private(ask_client: Client) -> None:
    owner = await signed_in(ask_client, "ann@example.org")
    other = await signed_in(ask_client, "bob@example.org", Role.ADMIN)
    conversation = await _conversation(ask_client, owner, title="Mine")
    for method, path in (
        ("GET", f"{CONVERSATIONS}/{conversation}"),
        ("DELETE", f"{CONVERSATIONS}/{conversation}"),
    ):
        assert_error(await ask_client.request(method, path, headers=other.headers), 404, "NOT_FOUND")
    posted = await ask_client.post(
        f"{CONVERSATIONS}/{conversation}/messages", json={"content": "hi"}, headers=other.headers
    )
    assert_error(posted, 404, "NOT_FOUND")
    assert (await ask_client.get(CONVERSATIONS, headers=other.headers)).json()["meta"]["total"] == 0
    assert_error(
        await ask_client.post(f"{CONVERSATIONS}/{conversation}/messages", json={"content": " "}, headers=owner.headers),
        422,
        "VALIDATION_ERROR",
    )
    assert (await ask_client.delete(f"{CONVERSATIONS}/{conversation}", headers=owner.headers)).status_code == 204
    assert_error(await ask_client.get(f"{CONVERSATIONS}/{conversation}", headers=owner.headers), 404, "NOT_FOUND")
