"""With no LLM_PROVIDERS: extractive answers and summaries that cost no tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.llm.extractive import SUMMARY_LABEL
from adapters.llm.extractive_summary import split_sentences
from domain.identity.roles import Role
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.e2e.knowledge_support import add_text, new_collection, wait_for_status
from tests.e2e.test_assistant import ask, sse
from tests.e2e.test_summaries import _wait
from tests.support.api import Client, signed_in

KEY = [
    "Employees may work remotely up to three days each week under the remote work policy.",
    "Managers approve remote work schedules for their employees every quarter.",
    "The remote work policy applies to all full-time employees from March 2026.",
]
FILLER = [
    "The office cafeteria serves lunch at noon.",
    "Parking is free on weekends.",
    "Visitors sign in at the front desk.",
    "The library closes early on Fridays.",
    "Printers on the second floor need toner.",
    "Fire drills happen twice a year.",
    "Bicycles belong in the basement rack.",
    "Coffee beans are delivered on Mondays.",
]
POLICY = " ".join([KEY[0], *FILLER[:2], KEY[1], *FILLER[2:5], KEY[2], *FILLER[5:]])


@pytest.fixture
async def small_chunks_client(kb_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Chunks of 40 tokens overlapping by 10: the summary must not repeat or cut sentences at the seams."""
    settings = msgspec.structs.replace(kb_settings, chunk_max_tokens=40, chunk_overlap_tokens=10)
    async with AsyncTestClient(app=create_app(settings, run_worker=True)) as client:
        yield client


async def test_an_offline_summary_keeps_the_key_sentences_in_order_for_free(small_chunks_client: Client) -> None:
    client = small_chunks_client
    editor = await signed_in(client, "ed@example.org", Role.EDITOR)
    collection = await new_collection(client, editor)
    document_id = (await add_text(client, editor, collection, "Remote work", POLICY)).json()["data"]["id"]
    document = await wait_for_status(client, editor, document_id)
    assert document["chunk_count"] > 3

    job = (await client.post(f"/api/v1/documents/{document_id}/summarize", headers=editor.headers)).json()["data"]
    done = await _wait(client, editor, job["job_id"])
    assert done["status"] == "done", done
    summary = done["result"]["summary"]
    assert summary.startswith(SUMMARY_LABEL)
    assert done["result"]["provider"] == "extractive"
    assert done["result"]["usage"] == {"input_tokens": 0, "output_tokens": 0}
    lines = [line.removeprefix("- ") for line in summary.splitlines()[1:]]
    assert [line for line in lines if line in KEY] == KEY  # all key sentences, in document order
    assert set(lines) <= set(split_sentences(POLICY))  # whole sentences of the document, each once
    assert len(lines) == len(set(lines))

    answer = (await ask(client, editor, "How many days may employees work remotely?")).json()["data"]
    assert KEY[0] in answer["answer"]
    assert answer["usage"] == {"input_tokens": 0, "output_tokens": 0}
    streamed = sse((await ask(client, editor, "Who approves remote work schedules?", stream=True)).text)
    assert streamed[-1]["usage"] == {"input_tokens": 0, "output_tokens": 0}
    usage = (await client.get("/api/v1/usage", headers=editor.headers)).json()["data"]
    assert usage["used_tokens"] == 0  # offline answers and summaries charge nothing
