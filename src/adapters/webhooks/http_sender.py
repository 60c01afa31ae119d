"""The webhook POST: to the checked address only, no redirects, short timeouts, a small prefix of the answer read."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit, urlunsplit

import httpx

from application.webhooks.ports import Target
from domain.webhooks.models import RESPONSE_PREFIX_BYTES, AttemptOutcome

USER_AGENT = "Lore-Webhooks/1"


def pinned_url(target: Target) -> str:
    """The URL with its host replaced by the checked address, so no second lookup can lead elsewhere."""
    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    netloc = f"{address}:{parts.port}" if parts.port else address
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


class HttpWebhookSender:
    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_seconds),
            trust_env=False,  # no proxy from the environment: it would see (and could redirect) every event
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def post(self, target: Target, headers: dict[str, str], body: str) -> AttemptOutcome:
        parts = urlsplit(target.url)
        request = self._client.build_request(
            "POST",
            pinned_url(target),
            content=body.encode(),
            headers={**headers, "content-type": "application/json", "user-agent": USER_AGENT, "host": parts.netloc},
            # TLS checks the certificate against the name, not the pinned address
            extensions={"sni_hostname": target.host} if parts.scheme == "https" else {},
        )
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):  # the whole exchange, not each read
                response = await self._client.send(request, stream=True)
                try:
                    prefix = await _prefix(response)
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError):
            return AttemptOutcome(
                status_code=None, latency_ms=_since(started), error=f"timed out after {self._timeout:g} s"
            )
        except (httpx.HTTPError, OSError) as exc:
            error = _text(f"{type(exc).__name__}: {exc}")[:500]
            return AttemptOutcome(status_code=None, latency_ms=_since(started), error=error)
        return AttemptOutcome(status_code=response.status_code, latency_ms=_since(started), response_prefix=prefix)


async def _prefix(response: httpx.Response) -> str:
    kept = b""
    async for chunk in response.aiter_bytes():
        kept += chunk
        if len(kept) >= RESPONSE_PREFIX_BYTES:
            break
    return _text(kept[:RESPONSE_PREFIX_BYTES].decode("utf-8", errors="replace"))


def _text(value: str) -> str:
    """Postgres text holds no NUL: a receiver answering binary must not fail the attempt's record."""
    return value.replace("\x00", "\ufffd")


def _since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
