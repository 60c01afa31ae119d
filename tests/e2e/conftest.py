"""The real app over HTTP on the embedded stores, with the provider doubles."""

from __future__ import annotations

from tests.e2e.knowledge_support import ask_client, kb_client, kb_settings, llm_settings  # noqa: F401 - fixtures
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
from tests.support.log_capture import json_log  # noqa: F401 - a fixture
