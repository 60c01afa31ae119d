"""The rerank double served over real HTTP; import the fixture into the test modules that use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.rerank_double import RerankDouble
from tests.support.servers import serve


@pytest.fixture(scope="session")
def rerank_double() -> Iterator[tuple[RerankDouble, str]]:
    """The double and its base URL (TEI answers at ``{url}/rerank``, the Cohere shape at ``{url}/v1/rerank``)."""
    double = RerankDouble()
    with serve(double) as url:
        yield double, url


@pytest.fixture
def reranker_server(rerank_double: tuple[RerankDouble, str]) -> tuple[RerankDouble, str]:
    """The session's double with no failure left over from another test."""
    double, url = rerank_double
    double.reset()
    return double, url
