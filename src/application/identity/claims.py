"""An account whose address Lore never verified, once its address is proved (a provider-verified email,
a password reset link): whoever registered it could not prove the address, so what they set up goes.

Without this, someone who registered `victim@example.org` first (pre-account takeover) would keep a way in
after the victim claims the account: a linked provider identity, an API key, or a TOTP enrolment the
victim cannot pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.identity.ports import ApiKeyRepository, ExternalIdentityRepository, MfaRepository, SessionRepository


@dataclass(frozen=True, slots=True)
class Forfeited:
    sessions: int
    identities: int
    api_keys: int
    mfa: bool


class UnprovenAccess:
    """Ends every way into an account that its unproven holder could have set up, in the caller's unit of work."""

    def __init__(
        self,
        sessions: SessionRepository,
        identities: ExternalIdentityRepository,
        api_keys: ApiKeyRepository,
        mfa: MfaRepository,
    ) -> None:
        self._sessions = sessions
        self._identities = identities
        self._api_keys = api_keys
        self._mfa = mfa

    async def forfeit(self, user_id: UUID, now: datetime, reason: str) -> Forfeited:
        sessions = await self._sessions.revoke_all(user_id, now, reason)
        identities = await self._identities.list_for_user(user_id)
        for identity in identities:
            await self._identities.delete(identity.id)
        api_keys = await self._api_keys.revoke_all(user_id, now)
        mfa = await self._mfa.delete(user_id)
        return Forfeited(sessions, len(identities), api_keys, mfa)
