"""Started OpenID Connect sign-ins, kept in Redis until their callback: GETDEL makes each state single-use."""

from __future__ import annotations

import json
from uuid import UUID

from redis.asyncio import Redis

from adapters.outages import redis_outage_unavailable
from application.identity.ports import PendingSignIn


class RedisPendingSignIns:
    def __init__(self, redis: Redis, prefix: str = "lore:oidc:pending:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def put(self, state_digest: str, pending: PendingSignIn, ttl_seconds: int) -> None:
        value = json.dumps(
            {
                "provider": pending.provider,
                "nonce": pending.nonce,
                "code_verifier": pending.code_verifier,
                "binding_digest": pending.binding_digest,
                "link_user_id": None if pending.link_user_id is None else str(pending.link_user_id),
            }
        )
        with redis_outage_unavailable():
            await self._redis.set(self._prefix + state_digest, value, ex=ttl_seconds)

    async def take(self, state_digest: str) -> PendingSignIn | None:
        with redis_outage_unavailable():
            raw = await self._redis.getdel(self._prefix + state_digest)
        if raw is None:
            return None
        data = json.loads(raw)
        link = data.get("link_user_id")
        return PendingSignIn(
            provider=data["provider"],
            nonce=data["nonce"],
            code_verifier=data["code_verifier"],
            binding_digest=data["binding_digest"],
            link_user_id=None if link is None else UUID(link),
        )
