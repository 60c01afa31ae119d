"""Litestar application factory: the HTTP composition root."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from dishka import AsyncContainer
from dishka.integrations.litestar import setup_dishka
from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.types import ControllerRouterHandler
from opentelemetry.trace import Span

from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.logging import install_log_context
from entrypoints.bootstrap.settings import Settings
from entrypoints.bootstrap.telemetry import setup_tracing
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.errors import exception_handlers
from entrypoints.http.request_id import RequestIdMiddleware, request_id_from_scope

API_PREFIX = "/api/v1"


def _app_version() -> str:
    try:
        return version("lore")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"


def _tag_span(span: Span, scope: dict[str, Any]) -> None:
    if span.is_recording():
        span.set_attribute("http.request_id", request_id_from_scope(scope))  # type: ignore[arg-type]


def create_app(
    settings: Settings,
    *,
    container: AsyncContainer | None = None,
    extra_route_handlers: Sequence[ControllerRouterHandler] = (),
) -> Litestar:
    install_log_context()
    container = container or build_container(settings)
    api = Router(path=API_PREFIX, route_handlers=[])
    otel = OpenTelemetryConfig(
        tracer_provider=setup_tracing(settings),
        server_request_hook_handler=_tag_span,
        exclude=["/health/live"],
    )

    async def close_container() -> None:
        await container.close()

    app = Litestar(
        route_handlers=[HealthController, api, *extra_route_handlers],
        exception_handlers=exception_handlers(),
        plugins=[OpenTelemetryPlugin(otel)],
        openapi_config=OpenAPIConfig(title="Lore API", version=_app_version(), path="/schema"),
        on_shutdown=[close_container],
        logging_config=None,
        debug=False,
    )
    setup_dishka(container, app)
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    app.state.settings = settings
    return app
