"""Request rate limits on every route, shared by all API processes through Redis.

Each request is charged to one bucket per (policy, caller): the API key, else the signed-in user, else
the client address. Policies: ``read`` (GET/HEAD), ``write`` (other methods) and ``expensive`` (uploads
and model calls). With Redis unreachable every policy fails open (one warning per outage): what must
never go unlimited already fails closed on its own (sign-in throttles, email caps, the token quota of
metered models), and refusing everything else would turn a Redis outage into an API outage, including
the uploads the Postgres outbox keeps accepting and the offline answerer, which needs no Redis.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from functools import cache
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
_UNLIMITED_PREFIX = "/health"  # probes must never see 429
METRICS_PATH = "/metrics"  # scrapers are never limited; failed credential checks are, per address
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


@cache
def policy_header(policy: Policy) -> str:
    """``RateLimit-Policy`` per draft-ietf-httpapi-ratelimit-headers-11."""
    return f'"{policy.name}";q={policy.limit};w={policy.window_seconds}'


def limit_header(charged: Charged) -> str:
    """``RateLimit`` per draft-ietf-httpapi-ratelimit-headers-11: remaining units and seconds to reset."""
    return f'"{charged.policy.name}";r={charged.decision.remaining};t={charged.decision.reset_seconds}'


def charged_of(scope: Scope) -> Charged | None:
    return cast("Charged | None", scope.get("state", {}).get(STATE_KEY))


async def _limiter(connection: ASGIConnection[Any, Any, Any, Any]) -> RedisRateLimiter:
    state = connection.app.state
    limiter = getattr(state, "rate_limiter", None)
    if limiter is None:  # made on the first request: the container's Redis client is app-wide
        limiter = state.rate_limiter = RedisRateLimiter(await connection.state.dishka_container.get(Redis))
    return cast("RedisRateLimiter", limiter)


def _is_metrics_token(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> bool:
    scheme, _, credential = connection.headers.get("authorization", "").partition(" ")
    token = settings.metrics_token
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credential.strip().encode(), token.encode())


async def _charge(connection: ASGIConnection[Any, Any, Any, Any], policy: Policy, caller: str) -> None:
    limiter = await _limiter(connection)
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
    if not settings.rate_limit_enabled or method == "OPTIONS" or path.startswith(_UNLIMITED_PREFIX):
        return
    if path == METRICS_PATH:
        await _charge_failed_scrape(connection, settings)
        return
    if path in CHARGED_BY_HANDLER:
        return
    policy = policy_for(settings, method, path)
    address = _address(connection)
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


async def _charge_failed_scrape(connection: ASGIConnection[Any, Any, Any, Any], settings: Settings) -> None:
    """Scrapers (the metrics token, an admin's credential) are never limited; guessing a credential, or trying
    with one that may not read metrics, is."""
    if _is_metrics_token(connection, settings):
        return
    policy = policy_for(settings, "GET", METRICS_PATH)
    if "authorization" not in connection.headers:
        await _charge(connection, policy, _address(connection))
        return
    try:
        principal: Principal = await connection.state.dishka_container.get(Principal)
    except AuthenticationError:
        await _charge(connection, policy, _address(connection))
        raise
    if not principal.acts_as_admin:  # the handler answers 403; each try still costs a session read
        await _charge(
            connection, policy, f"key:{principal.api_key_id}" if principal.api_key_id else f"user:{principal.user_id}"
        )


def _address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return f"ip:{connection.client.host if connection.client else 'unknown'}"


async def charge(connection: ASGIConnection[Any, Any, Any, Any], policy: Policy, principal: Principal | None) -> None:
    """One unit of ``policy`` to the caller's bucket (the client address without a principal), as the guard does."""
    if not connection.app.state.settings.rate_limit_enabled:
        return
    if principal is None:
        caller = _address(connection)
    else:
        caller = f"key:{principal.api_key_id}" if principal.api_key_id else f"user:{principal.user_id}"
    await _charge(connection, policy, caller)
