"""/ask end to end: retrieval with permissions, citations, the OpenAI/Anthropic doubles, failover,
cache, quota, streaming, the offline answerer, and GenAI spans."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.llm.extractive import LABEL
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.support.api import Account, Client, assert_error, bearer, signed_in
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble

HANDBOOK = (
    "Vacation policy: every employee receives twenty-five vacation days each year.\n\n"
    "Expense reports are filed monthly through the finance portal."
)


async def _handbook(client: Client) -> tuple[Account, str, str]:
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    document_id = (await add_text(client, editor, collection, "Handbook", HANDBOOK)).json()["data"]["id"]
    await wait_for_status(client, editor, document_id)
    return editor, collection, document_id


async def ask(client: Client, account: Account, question: str, **extra: Any) -> Any:
    return await client.post("/api/v1/ask", json={"question": question, **extra}, headers=account.headers)


def sse(body: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: ") :]) for line in body.splitlines() if line.startswith("data: ")]


async def test_answer_with_citations_cache_and_usage(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str], spans: InMemorySpanExporter
) -> None:
    openai_double = chat_doubles[0]
    editor, _, document_id = await _handbook(ask_client)

    response = await ask(ask_client, editor, "How many vacation days do employees get?")
    assert response.status_code == 200, response.text
    answer = response.json()["data"]
    assert answer["answer"] == openai_double.answer
    assert (answer["provider"], answer["model"], answer["cached"]) == ("openai", "gpt-test", False)
    assert answer["usage"] == {"input_tokens": 120, "output_tokens": len(openai_double.tokens())}
    first = answer["citations"][0]
    assert first["number"] == 1
    assert first["document_id"] == document_id
    assert "twenty-five vacation days" in first["snippet"]
    assert HANDBOOK[first["start"] : first["end"]] == first["snippet"]  # offsets point into the real text
    prompt = openai_double.requests[-1]["messages"][-1]["content"]
    assert "[1] Handbook" in prompt
    assert "twenty-five vacation days" in prompt

    llm_spans = [s for s in spans.get_finished_spans() if s.attributes and s.attributes.get("gen_ai.operation.name")]
    assert llm_spans
    attributes = llm_spans[-1].attributes or {}
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-test"
    assert attributes["gen_ai.usage.input_tokens"] == 120

    calls = len(openai_double.requests)
    again = (await ask(ask_client, editor, "How many vacation  days do employees get?")).json()["data"]
    assert again["cached"] is True
    assert again["answer"] == answer["answer"]
    assert again["usage"] == {"input_tokens": 0, "output_tokens": 0}
    assert len(openai_double.requests) == calls

    usage = (await ask_client.get("/api/v1/usage", headers=editor.headers)).json()["data"]
    assert usage["used_tokens"] == 120 + len(openai_double.tokens())
    assert usage["quota_tokens"] == 200_000


async def test_a_corpus_change_invalidates_the_cache(ask_client: Client) -> None:
    editor, collection, _ = await _handbook(ask_client)
    await ask(ask_client, editor, "What is the vacation policy?")
    new_doc = (await add_text(ask_client, editor, collection, "Update", "Vacation now carries over.")).json()
    await wait_for_status(ask_client, editor, new_doc["data"]["id"])
    assert (await ask(ask_client, editor, "What is the vacation policy?")).json()["data"]["cached"] is False


async def test_citations_never_cross_permissions(ask_client: Client) -> None:
    await _handbook(ask_client)
    outsider = await signed_in(ask_client, "out@example.org")
    answer = (await ask(ask_client, outsider, "How many vacation days do employees get?")).json()["data"]
    assert answer["citations"] == []


async def test_failover_to_the_next_provider(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double, _, anthropic_double, _ = chat_doubles
    editor, _, _ = await _handbook(ask_client)
    openai_double.script.extend([500, 503, 429])  # every attempt of the first provider fails
    answer = (await ask(ask_client, editor, "Expense reports?")).json()["data"]
    assert answer["provider"] == "anthropic"
    assert answer["model"] == "claude-test"
    assert answer["answer"] == anthropic_double.answer
    assert len(openai_double.requests) == 3


async def test_all_providers_down_is_503_not_500(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double, _, anthropic_double, _ = chat_doubles
    editor, _, _ = await _handbook(ask_client)
    openai_double.script.extend([401])
    anthropic_double.script.extend([400])
    assert_error(await ask(ask_client, editor, "Anything?"), 503, "LLM_UNAVAILABLE")


async def test_streaming_answer(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double = chat_doubles[0]
    editor, _, document_id = await _handbook(ask_client)
    response = await ask(ask_client, editor, "How many vacation days?", stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse(response.text)
    assert all(e["done"] is False for e in events[:-1])
    assert "".join(e["content"] for e in events[:-1]) == openai_double.answer
    done = events[-1]
    assert done["done"] is True
    assert done["citations"][0]["document_id"] == document_id
    assert done["usage"]["output_tokens"] == len(openai_double.tokens())
    # one documented shape: the JSON answer's fields but the text; /ask stores nothing, so no message_id
    assert set(done) == {"done", "citations", "usage", "model", "provider", "cached", "retrieval"}

    via_accept = await ask_client.post(
        "/api/v1/ask",
        json={"question": "How many vacation days?"},
        headers={**editor.headers, "Accept": "text/event-stream"},
    )
    replay = sse(via_accept.text)
    assert replay[-1]["cached"] is True
    assert "".join(e.get("content", "") for e in replay[:-1]) == openai_double.answer


async def test_stream_failover_before_first_token_and_error_after(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double, _, anthropic_double, _ = chat_doubles
    editor, _, _ = await _handbook(ask_client)
    openai_double.script.extend([503, 503, 503])
    events = sse((await ask(ask_client, editor, "Vacation?", stream=True)).text)
    assert events[-1]["provider"] == "anthropic"
    assert "".join(e.get("content", "") for e in events[:-1]) == anthropic_double.answer

    openai_double.script.append("malformed")
    broken = sse((await ask(ask_client, editor, "Expenses?", stream=True)).text)
    assert broken[0]["content"]  # a token was sent, so no failover...
    assert broken[-1] == {
        "error": {"code": "LLM_STREAM_FAILED", "message": broken[-1]["error"]["message"]},
        "done": True,
    }


async def test_quota_is_enforced_with_reset_time(llm_settings: Settings) -> None:
    tight = msgspec.structs.replace(llm_settings, token_quota_per_day=1500, llm_max_output_tokens=1000)
    async with AsyncTestClient(app=create_app(tight, run_worker=True)) as client:
        editor, _, _ = await _handbook(client)
        statuses = []
        for n in range(8):
            response = await ask(client, editor, f"Question number {n} about vacation?")
            statuses.append(response.status_code)
            if response.status_code == 429:
                error = assert_error(response, 429, "QUOTA_EXCEEDED")
                assert int(response.headers["retry-after"]) > 0
                assert error["details"]["limit"] == 1500
                assert "resets_at" in error["details"]
                break
        assert statuses[0] == 200
        assert statuses[-1] == 429
        usage = (await client.get("/api/v1/usage", headers=editor.headers)).json()["data"]
        assert usage["used_tokens"] <= 1500


async def test_offline_extractive_answer_when_no_model_is_configured(kb_client: Client) -> None:
    editor, _, _ = await _handbook(kb_client)
    answer = (await ask(kb_client, editor, "How many vacation days do employees receive?")).json()["data"]
    assert answer["provider"] == "extractive"
    assert answer["answer"].startswith(LABEL)
    assert "twenty-five vacation days" in answer["answer"]
    assert "[1]" in answer["answer"]


async def test_api_keys_need_the_assistant_scope(ask_client: Client) -> None:
    editor, _, _ = await _handbook(ask_client)
    created = await ask_client.post(
        "/api/v1/api-keys", json={"name": "ro", "scopes": ["documents:read"]}, headers=editor.headers
    )
    key = created.json()["data"]["secret"]
    response = await ask_client.post("/api/v1/ask", json={"question": "Vacation?"}, headers=bearer(key))
    assert_error(response, 403, "FORBIDDEN")
    assert_error(await ask(ask_client, editor, "  "), 422, "VALIDATION_ERROR")
