"""The HTTP layer's rate limiter, reached through the bootstrap like every adapter."""

from __future__ import annotations

from adapters.redis.rate_limiter import RateDecision, RedisRateLimiter

__all__ = ["RateDecision", "RedisRateLimiter"]
