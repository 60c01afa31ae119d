"""The provider doubles (embeddings, OpenAI and Anthropic chat) served over real HTTP for a test run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.chat_doubles import AnthropicDouble, OpenAIChatDouble
from tests.support.openai_double import EmbeddingsDouble
from tests.support.servers import serve


@pytest.fixture(scope="session")
def embeddings_double() -> Iterator[tuple[EmbeddingsDouble, str]]:
    double = EmbeddingsDouble()
    with serve(double) as url:
        yield double, f"{url}/v1"


@pytest.fixture(scope="session")
def chat_doubles() -> Iterator[tuple[OpenAIChatDouble, str, AnthropicDouble, str]]:
    openai_double, anthropic_double = OpenAIChatDouble(), AnthropicDouble()
    with serve(openai_double) as openai_url, serve(anthropic_double) as anthropic_url:
        yield openai_double, f"{openai_url}/v1", anthropic_double, anthropic_url
