"""The composition root: builds the dishka container from settings."""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container

from entrypoints.bootstrap.providers import default_providers
from entrypoints.bootstrap.settings import Settings


def build_container(settings: Settings, *overrides: Provider) -> AsyncContainer:
    """Later providers win, so tests pass fakes as ``overrides``."""
    return make_async_container(*default_providers(settings), *overrides)
