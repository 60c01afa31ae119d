"""Fixtures and helpers shared by the knowledge e2e tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.app import create_app
from tests.support.api import Account, Client
from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble
from tests.support.openai_double import EmbeddingsDouble


@pytest.fixture
def kb_settings(settings: Settings, embeddings_double: tuple[EmbeddingsDouble, str]) -> Settings:
    double, url = embeddings_double
    double.failures.clear()
    return msgspec.structs.replace(settings, embeddings_base_url=url, embeddings_model="double-embed")


@pytest.fixture
async def kb_client(kb_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(kb_settings, run_worker=True)) as client:
        yield client


async def new_collection(client: Client, owner: Account, name: str = "Handbook") -> str:
    response = await client.post("/api/v1/collections", json={"name": name}, headers=owner.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def add_text(client: Client, account: Account, collection_id: str, title: str, content: str, **extra: Any) -> Any:
    return await client.post(
        f"/api/v1/collections/{collection_id}/documents",
        json={"title": title, "content": content, **extra.pop("body", {})},
        headers={**account.headers, **extra.pop("headers", {})},
    )


async def wait_for_status(
    client: Client, account: Account, document_id: str, wanted: str = "ready", timeout: float = 20.0
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    document: dict[str, Any] = {}
    while asyncio.get_running_loop().time() < deadline:
        response = await client.get(f"/api/v1/documents/{document_id}", headers=account.headers)
        document = response.json()["data"]
        if document["status"] == wanted:
            return document
        await asyncio.sleep(0.05)
    raise AssertionError(f"document stayed {document.get('status')} (wanted {wanted}): {document}")


async def search(client: Client, account: Account, query: str, **body: Any) -> Any:
    return await client.post("/api/v1/search", json={"query": query, **body}, headers=account.headers)


@pytest.fixture
def llm_settings(kb_settings: Settings, chat_doubles: tuple[OpenAIChatDouble, str, AnthropicDouble, str]) -> Settings:
    openai_double, openai_url, anthropic_double, anthropic_url = chat_doubles
    for double in (openai_double, anthropic_double):
        double.script.clear()
        double.requests.clear()
    return msgspec.structs.replace(
        kb_settings,
        llm_providers="openai,anthropic",
        openai_base_url=openai_url,
        openai_api_key="test",
        openai_model="gpt-test",
        anthropic_base_url=anthropic_url,
        anthropic_api_key="test",
        anthropic_model="claude-test",
        llm_timeout_seconds=1.0,
        llm_max_output_tokens=300,
    )


@pytest.fixture
async def ask_client(llm_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(llm_settings, run_worker=True)) as client:
        yield client
