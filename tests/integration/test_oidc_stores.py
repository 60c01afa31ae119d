"""The OIDC stores on the real Postgres and Redis: one subject links once, a pending sign-in is taken once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis

from adapters.redis.pending_sign_ins import RedisPendingSignIns
from application.identity.accounts import NewAccount
from application.identity.ports import ExternalIdentityRepository, PendingSignIn, UserRepository
from application.identity.users import CreateUser
from application.shared.ports import UnitOfWork
from domain.identity.errors import IdentityTakenError
from domain.identity.models import ExternalIdentity
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.settings import Settings
from tests.support.api import PASSWORD, Client


def _identity(user_id: UUID, subject: str) -> ExternalIdentity:
    return ExternalIdentity(uuid4(), user_id, "idp", subject, "a@example.org", datetime.now(UTC))


async def test_a_provider_subject_links_to_one_user_and_goes_with_it(settings: Settings, client: Client) -> None:
    container = build_container(settings)
    try:
        async with container() as scope:
            user = await (await scope.get(CreateUser)).execute(NewAccount("a@example.org", PASSWORD, "A"))
            identities = await scope.get(ExternalIdentityRepository)
            first = _identity(user.id, "sub-1")
            await identities.add(first)
            with pytest.raises(IdentityTakenError):
                await identities.add(_identity(user.id, "sub-1"))
            # the refused insert rolled back to its savepoint: the transaction goes on
            await identities.add(_identity(user.id, "sub-2"))
            assert [i.subject for i in await identities.list_for_user(user.id)] == ["sub-1", "sub-2"]
            assert await identities.find("idp", "sub-1") == first
            await (await scope.get(UnitOfWork)).commit()
        async with container() as scope:
            await (await scope.get(UserRepository)).delete(user.id)
            await (await scope.get(UnitOfWork)).commit()
        async with container() as scope:
            assert await (await scope.get(ExternalIdentityRepository)).get(first.id) is None
    finally:
        await container.close()


async def test_a_pending_sign_in_is_taken_once(settings: Settings) -> None:
    redis = Redis.from_url(settings.require_redis_url)
    try:
        pending = RedisPendingSignIns(redis, prefix=f"test:{uuid4()}:")
        record = PendingSignIn("idp", "nonce", "verifier", "binding", link_user_id=uuid4())
        await pending.put("state", record, 60)
        assert await pending.take("state") == record
        assert await pending.take("state") is None
    finally:
        await redis.aclose()
