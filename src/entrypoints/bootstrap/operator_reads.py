"""A container for the operator's read commands (`lore users list`, `lore api-keys list`) without SQLAlchemy.

Importing SQLAlchemy was most of what `users list` cost to start (benchmarks/cli.py); these commands only
read, so they get the asyncpg directories behind the read ports of the same use cases the API runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, make_async_container, provide, provide_all

from adapters.persistence.identity.directory import PgApiKeyDirectory, PgUserDirectory, Reader, connected
from application.identity.api_keys import ListApiKeys
from application.identity.ports import ApiKeyDirectory, UserDirectory
from application.identity.users import ListUsers
from entrypoints.bootstrap.settings import Settings
from entrypoints.bootstrap.settings_provider import SettingsProvider


class OperatorReadsProvider(Provider):
    @provide(scope=Scope.APP)
    async def connection(self, settings: Settings) -> AsyncIterator[Reader]:
        async with connected(settings.require_database_url) as connection:  # one command, one connection
            yield connection

    users = provide(PgUserDirectory, provides=UserDirectory, scope=Scope.REQUEST)
    api_keys = provide(PgApiKeyDirectory, provides=ApiKeyDirectory, scope=Scope.REQUEST)
    use_cases = provide_all(ListUsers, ListApiKeys, scope=Scope.REQUEST)


def build_operator_reads_container(settings: Settings) -> AsyncContainer:
    return make_async_container(SettingsProvider(settings), OperatorReadsProvider())
