"""Request rate limits on every route, shared by all API processes through Redis.

Each request is charged to one bucket per (policy, caller): the API key, else the signed-in user, else
the client address. Policies: ``read`` (GET/HEAD), ``write`` (other methods) and ``expensive`` (uploads
and model calls). With Redis unreachable every policy fails open (one warning per outage): what must
never go unlimited already fails closed on its own (sign-in throttles, email caps, the token quota of
metered models), and refusing everything else would turn a Redis outage into an API outage, including
the uploads the Postgres outbox keeps accepting and the offline answerer, which needs no Redis.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import HTTPScope, Scope
from redis.asyncio import Redis

from domain.identity.principal import Principal
from domain.shared.errors import AuthenticationError, RateLimitedError
from entrypoints.bootstrap.metrics import observe_rate_limited
from entrypoints.bootstrap.outages import OutageLog
from entrypoints.bootstrap.rate_limiting import RateDecision, RedisRateLimiter
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.permission_table import rule_for

logger = logging.getLogger("lore.http.rate_limits")

STATE_KEY = "rate_limit"
_EXPENSIVE = frozenset(
    {
        ("POST", "/api/v1/collections/{collection_id}/documents"),
        ("POST", "/api/v1/ask"),
        ("POST", "/api/v1/conversations/{conversation_id}/messages"),
        ("POST", "/api/v1/documents/{document_id}/summarize"),
    }
)
_UNLIMITED_PREFIXES = ("/health", "/metrics")  # probes and scrapers must never see 429
# charged by their handler through ``charge``: GraphQL charges each root field to the REST call it stands for
CHARGED_BY_HANDLER = frozenset({"/graphql"})
_outages = OutageLog(logger, "Rate-limit store (Redis); requests go on without limits while it is")


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Charged:
    policy: Policy
    decision: RateDecision


def policy_for(settings: Settings, method: str, path_template: str) -> Policy:
    window = settings.rate_limit_window_seconds
    if (method, path_template) in _EXPENSIVE:
        return Policy("expensive", settings.rate_limit_expensive, window)
    if method in ("GET", "HEAD"):
        return Policy("read", settings.rate_limit_read, window)
    return Policy("write", settings.rate_limit_write, window)


def policy_header(policy: Policy) -> str:
    """``RateLimit-Policy`` per draft-ietf-httpapi-ratelimit-headers-11."""
    return f'"{policy.name}";q={policy.limit};w={policy.window_seconds}'


def limit_header(charged: Charged) -> str:
    """``RateLimit`` per draft-ietf-httpapi-ratelimit-headers-11: remaining units and seconds to reset."""
    return f'"{charged.policy.name}";r={charged.decision.remaining};t={charged.decision.reset_seconds}'


def charged_of(scope: Scope) -> Charged | None:
    return cast("Charged | None", scope.get("state", {}).get(STATE_KEY))


def _limiter(connection: ASGIConnection[Any, Any, Any, Any], redis: Redis) -> RedisRateLimiter:
    state = connection.app.state
    if getattr(state, "rate_limiter", None) is None:
        state.rate_limiter = RedisRateLimiter(redis)
    return cast("RedisRateLimiter", state.rate_limiter)


async def _charge(connection: ASGIConnection[Any, Any, Any, Any], policy: Policy, caller: str) -> None:
    limiter = _limiter(connection, await connection.state.dishka_container.get(Redis))
    decision: RateDecision | None = None
    with _outages.redis_fail_open():
        decision = await limiter.acquire(
            f"{policy.name}:{caller}", limit=policy.limit, window_seconds=policy.window_seconds
        )
    if decision is None:
        return  # Redis unreachable: fail open
    connection.scope.setdefault("state", {})[STATE_KEY] = Charged(policy, decision)
    if not decision.allowed:
        observe_rate_limited(policy.name)
        raise RateLimitedError(
            decision.retry_after_seconds,
            f"Too many requests; try again in {decision.retry_after_seconds} s.",
        )


async def rate_limit(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """App-wide guard, before ``authorize``: charges the caller's bucket or answers 429."""
    settings: Settings = connection.app.state.settings
    scope = cast("HTTPScope", connection.scope)
    method, path = scope["method"], scope["path_template"]
    if not settings.rate_limit_enabled or method == "OPTIONS" or path.startswith(_UNLIMITED_PREFIXES):
        return
    if path in CHARGED_BY_HANDLER:
        return
    policy = policy_for(settings, method, path)
    address = f"ip:{connection.client.host if connection.client else 'unknown'}"
    rule = rule_for(method, path)
    if rule is None or rule.public or "authorization" not in connection.headers:
        await _charge(connection, policy, address)
        return
    try:
        principal: Principal = await connection.state.dishka_container.get(Principal)
    except AuthenticationError:
        await _charge(connection, policy, address)  # guessing credentials is limited per address
        raise
    caller = f"key:{principal.api_key_id}" if principal.api_key_id else f"user:{principal.user_id}"
    await _charge(connection, policy, caller)


async def charge(connection: ASGIConnection[Any, Any, Any, Any], policy: Policy, principal: Principal | None) -> None:
    """One unit of ``policy`` to the caller's bucket (the client address without a principal), as the guard does."""
    if not connection.app.state.settings.rate_limit_enabled:
        return
    if principal is None:
        caller = f"ip:{connection.client.host if connection.client else 'unknown'}"
    else:
        caller = f"key:{principal.api_key_id}" if principal.api_key_id else f"user:{principal.user_id}"
    await _charge(connection, policy, caller)
