"""Adapters against the real embedded stores and the provider doubles."""

from __future__ import annotations

from tests.support.app_fixtures import (  # noqa: F401 - fixtures, found by name
    _isolate_stores,
    app,
    clean_stores,
    client,
    engine,
    mail_client,
    redis_client,
    settings,
    spans,
    stores,
)
from tests.support.double_fixtures import chat_doubles, embeddings_double  # noqa: F401 - fixtures
from tests.support.rerank_fixtures import rerank_double, reranker_server  # noqa: F401 - fixtures
