"""The CLI's asyncpg directories answer as the SQLAlchemy repositories do (filters, escapes, order, paging)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from adapters.persistence.identity.api_keys import SqlApiKeyRepository
from adapters.persistence.identity.directory import PgApiKeyDirectory, PgUserDirectory, connected, plain_url
from adapters.persistence.identity.users import SqlUserRepository
from application.identity.ports import UserQuery
from application.shared.ports import PageRequest
from domain.identity.models import ApiKey, User
from domain.identity.roles import Permission, Role
from domain.shared.errors import DependencyUnavailableError
from entrypoints.bootstrap.settings import Settings
from tests.support.servers import free_port

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# names with LIKE's own wildcards and the escape character, so a pattern left unescaped would match more
PEOPLE = [
    ("ann@example.org", "Ann 100%", Role.ADMIN, True),
    ("bob@example.org", "Bob_Smith", Role.MEMBER, True),
    ("cy@example.org", "Cy\\Back", Role.EDITOR, False),
    ("dee@example.org", "Dee", Role.MEMBER, False),
    ("eve@example.org", "Bobby", Role.MEMBER, True),
]
QUERIES = [
    UserQuery(PageRequest(limit=100, sort="email")),
    UserQuery(PageRequest(limit=2, offset=1, sort="-created_at")),
    UserQuery(PageRequest(limit=10, sort="display_name"), role=Role.MEMBER),
    UserQuery(PageRequest(limit=10, sort="-role"), is_active=False),
    UserQuery(PageRequest(limit=10), q="100%"),
    UserQuery(PageRequest(limit=10), q="b_s"),
    UserQuery(PageRequest(limit=10), q="\\"),
    UserQuery(PageRequest(limit=10, sort="email"), q="BOB", is_active=True, role=Role.MEMBER),
    UserQuery(PageRequest(limit=10, sort="unknown")),
    UserQuery(PageRequest(limit=10, offset=50)),
]


@pytest.fixture
async def people(engine: AsyncEngine) -> list[User]:
    users = [
        User(uuid4(), email, name, "hash", role, active, T0 if active else None, T0 + timedelta(minutes=i), T0)
        for i, (email, name, role, active) in enumerate(PEOPLE)
    ]
    async with AsyncSession(engine) as session:
        repository = SqlUserRepository(session)
        for user in users:
            await repository.add(user)
        keys = SqlApiKeyRepository(session)
        for i in range(3):
            await keys.add(
                ApiKey(uuid4(), users[0].id, f"key {i}", f"p{i}x", "digest", frozenset({Permission.DOCUMENTS_WRITE}),
                       T0 + timedelta(days=i), revoked_at=T0 if i == 1 else None)
            )  # fmt: skip
        await session.commit()
    return users


async def test_users_and_keys_read_the_same_as_through_sqlalchemy(
    settings: Settings, engine: AsyncEngine, people: list[User]
) -> None:
    async with AsyncSession(engine) as session, connected(settings.require_database_url) as reader:
        orm, plain = SqlUserRepository(session), PgUserDirectory(reader)
        totals = []
        for query in QUERIES:
            page = await plain.list(query)
            assert page == await orm.list(query), query
            totals.append((page.total, len(page.items)))
        assert totals == [(5, 5), (5, 2), (3, 3), (2, 2), (1, 1), (1, 1), (1, 1), (2, 2), (5, 5), (5, 0)]
        assert await plain.get_by_email("bob@example.org") == people[1]
        assert await plain.get_by_email("nobody@example.org") is None
        keys = await PgApiKeyDirectory(reader).list_for_user(people[0].id)
        assert keys == await SqlApiKeyRepository(session).list_for_user(people[0].id)
        assert [key.name for key in keys] == ["key 2", "key 1", "key 0"]


async def test_an_unreachable_database_is_unavailable() -> None:
    with pytest.raises(DependencyUnavailableError):
        async with connected(f"postgresql+asyncpg://lore@127.0.0.1:{free_port()}/lore"):
            pass


def test_the_driver_name_is_dropped_and_the_rest_kept() -> None:
    assert plain_url("postgresql+asyncpg://u:p@h:5/db?sslmode=require") == "postgresql://u:p@h:5/db?sslmode=require"
