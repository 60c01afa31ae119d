"""A lean container for `lore users`, `lore api-keys` and `lore keys`: the database and the identity store.

The full container (container.py) imports Redis, SAQ and every module's adapters; a command that lists
users needs none of them, and importing them was most of its start-up time (benchmarks/cli.py).
"""

from __future__ import annotations

from dishka import AsyncContainer, make_async_container

from entrypoints.bootstrap.database import DatabaseProvider
from entrypoints.bootstrap.identity_store import IdentityStoreProvider
from entrypoints.bootstrap.request_context import RequestContextProvider
from entrypoints.bootstrap.settings import Settings
from entrypoints.bootstrap.settings_provider import SettingsProvider
from entrypoints.bootstrap.signing_keys import SigningKeysProvider


def build_operator_container(settings: Settings) -> AsyncContainer:
    return make_async_container(
        SettingsProvider(settings),
        DatabaseProvider(),
        IdentityStoreProvider(),
        RequestContextProvider(),
        SigningKeysProvider(),
    )
