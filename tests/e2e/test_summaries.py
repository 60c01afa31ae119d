"""Document summaries through the worker, polled at /jobs/{id}."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.e2e.test_assistant import _handbook
from tests.support.api import Account, Client, assert_error, signed_in
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble


async def _wait(client: Client, account: Account, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = {}
    for _ in range(200):
        job = (await client.get(f"/api/v1/jobs/{job_id}", headers=account.headers)).json()["data"]
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job stuck: {job}")


async def test_summarize_a_document(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double = chat_doubles[0]
    editor, _, document_id = await _handbook(ask_client)
    response = await ask_client.post(f"/api/v1/documents/{document_id}/summarize", headers=editor.headers)
    assert response.status_code == 202, response.text
    job = response.json()["data"]
    assert job["status"] == "queued"
    assert response.headers["location"] == f"/api/v1/jobs/{job['job_id']}"

    done = await _wait(ask_client, editor, job["job_id"])
    assert done["status"] == "done"
    assert done["result"]["summary"] == openai_double.answer
    assert done["result"]["provider"] == "openai"
    prompt = openai_double.requests[-1]["messages"][-1]["content"]
    assert "twenty-five vacation days" in prompt

    usage = (await ask_client.get("/api/v1/usage", headers=editor.headers)).json()["data"]
    assert usage["used_tokens"] == done["result"]["usage"]["input_tokens"] + done["result"]["usage"]["output_tokens"]

    stranger = await signed_in(ask_client, "out@example.org")
    assert_error(await ask_client.get(f"/api/v1/jobs/{job['job_id']}", headers=stranger.headers), 404, "NOT_FOUND")
    assert_error(
        await ask_client.post(f"/api/v1/documents/{document_id}/summarize", headers=stranger.headers), 404, "NOT_FOUND"
    )


async def test_a_provider_outage_fails_the_job_visibly(
    ask_client: Client, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]
) -> None:
    openai_double, _, anthropic_double, _ = chat_doubles
    editor, _, document_id = await _handbook(ask_client)
    openai_double.script.append(401)
    anthropic_double.script.append(401)
    job = (await ask_client.post(f"/api/v1/documents/{document_id}/summarize", headers=editor.headers)).json()["data"]
    failed = await _wait(ask_client, editor, job["job_id"])
    assert failed["status"] == "failed"
    assert "language model" in failed["error"]
    usage = (await ask_client.get("/api/v1/usage", headers=editor.headers)).json()["data"]
    assert usage["used_tokens"] == 0  # the reservation is refunded when no model answered
