"""``GET /metrics``: every Lore process's metrics in the Prometheus text format.

Readable with ``Authorization: Bearer <METRICS_TOKEN>`` (a scraper) or as an admin (access token or
API key); anything else is refused like any protected route (401, 403).
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Controller, Request, Response, get
from opentelemetry.instrumentation.utils import suppress_instrumentation

from domain.identity.principal import Principal
from domain.shared.errors import AuthenticationError, PermissionDeniedError
from entrypoints.bootstrap.metrics import CONTENT_TYPE, MetricsHub
from entrypoints.bootstrap.settings import Settings


def _bearer(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def _require_reader(request: Request[Any, Any, Any], settings: Settings) -> None:
    token = _bearer(request)
    if token and settings.metrics_token and hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
        return
    if token is None:
        raise AuthenticationError("Send the metrics token or an admin's credentials as a Bearer token.")
    principal: Principal = await request.state.dishka_container.get(Principal)  # 401 on a bad token
    if not principal.acts_as_admin:
        raise PermissionDeniedError("Only admins and the metrics token may read metrics.")


class MetricsController(Controller):
    path = "/metrics"
    include_in_schema = False  # an operator's endpoint, not part of the API

    @get("/", summary="Prometheus metrics of every Lore process")
    async def scrape(self, request: Request[Any, Any, Any]) -> Response[str]:
        settings: Settings = request.app.state.settings
        with suppress_instrumentation():  # the request is not traced (see app.py), nor are its queries
            await _require_reader(request, settings)
            hub: MetricsHub = request.app.state.metrics_hub  # made at start-up (app.py), with its publisher
            text = await hub.scrape()
        return Response(text, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
