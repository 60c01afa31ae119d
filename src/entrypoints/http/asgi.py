"""ASGI entry for ``uvicorn --factory`` (used by ``lore serve`` with several workers)."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.bootstrap.logging import configure_logging
from entrypoints.bootstrap.settings import load_settings
from entrypoints.http.app import create_app


def app_from_env() -> Litestar:
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
