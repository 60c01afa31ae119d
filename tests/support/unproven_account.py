"""An account whose address Lore never verified, holding a provider identity and an API key: what someone who
typed a victim's address first could hold (pre-account takeover), made directly in the stores."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from litestar import Litestar

from application.identity.accounts import NewAccount
from application.identity.api_keys import CreateApiKey, NewApiKey
from application.identity.ports import ExternalIdentityRepository
from application.identity.users import CreateUser
from domain.identity.models import ExternalIdentity
from domain.identity.principal import Principal
from domain.identity.roles import Permission
from entrypoints.bootstrap.container import build_container
from tests.support.api import PASSWORD, Client


async def unproven_holder(client: Client, email: str, subject: str, provider: str = "test") -> str:
    """The holder's API key secret; the account (unverified, with a password) has identity ``provider``/``subject``."""
    app = client.app
    assert isinstance(app, Litestar)
    container = build_container(app.state.settings)
    try:
        async with container() as scope:
            user = await (await scope.get(CreateUser)).execute(NewAccount(email, PASSWORD, "Holder", verified=False))
            identity = ExternalIdentity(uuid4(), user.id, provider, subject, email, datetime.now(UTC))
            await (await scope.get(ExternalIdentityRepository)).add(identity)
            created = await (await scope.get(CreateApiKey)).execute(  # commits the identity too
                Principal(user.id, user.role, session_id=uuid4()),
                NewApiKey("holder", frozenset({Permission.DOCUMENTS_READ})),
            )
    finally:
        await container.close()
    return created.secret
