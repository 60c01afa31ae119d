"""Litestar application factory: the HTTP composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from dishka import Provider
from dishka.integrations.litestar import LitestarProvider, setup_dishka
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler
from redis.asyncio import Redis

from application.shared.events import LiveEventStream
from entrypoints.bootstrap.container import build_container
from entrypoints.bootstrap.logging import install_log_context
from entrypoints.bootstrap.metrics import MetricsHub, Publishing, setup_metrics
from entrypoints.bootstrap.settings import Environment, Settings
from entrypoints.bootstrap.signing_keys import KeyRingRefresh
from entrypoints.bootstrap.telemetry import setup_tracing
from entrypoints.graphql.controller import graphql_controller
from entrypoints.graphql.ide import ide_assets
from entrypoints.http.auth import AuthProvider
from entrypoints.http.background import BackgroundTasks
from entrypoints.http.compression import with_compression
from entrypoints.http.conditional import ConditionalRequestsMiddleware
from entrypoints.http.controllers.api_keys import ApiKeysController
from entrypoints.http.controllers.assistant import AssistantController
from entrypoints.http.controllers.audit import AuditController
from entrypoints.http.controllers.auth import AuthController
from entrypoints.http.controllers.collections import CollectionsController
from entrypoints.http.controllers.conversations import ConversationsController
from entrypoints.http.controllers.documents import CollectionDocumentsController, DocumentsController
from entrypoints.http.controllers.events import events_socket
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.controllers.jwks import JwksController
from entrypoints.http.controllers.metrics import MetricsController
from entrypoints.http.controllers.mfa import MfaController
from entrypoints.http.controllers.oidc import IdentitiesController, OidcController
from entrypoints.http.controllers.pages import PagesController
from entrypoints.http.controllers.search import SearchController
from entrypoints.http.controllers.status import StatusController
from entrypoints.http.controllers.summary_tasks import SummaryTasksController
from entrypoints.http.controllers.users import UsersController
from entrypoints.http.controllers.webhooks import WebhooksController
from entrypoints.http.docs_page import docs_assets, docs_plugin
from entrypoints.http.edge import EdgeMiddleware
from entrypoints.http.errors import exception_handlers
from entrypoints.http.guards import api_guard, document_rules, require_rules
from entrypoints.http.live_events import LiveHub
from entrypoints.http.live_probe import LIVE_PATH, LiveProbe
from entrypoints.http.openapi_contract import SECURITY_SCHEMES, StrictStructSchemaPlugin, document_contract
from entrypoints.http.options import allow_headers
from entrypoints.http.platform_headers import PlatformHeadersMiddleware
from entrypoints.http.request_rules import screen_request
from entrypoints.worker.app import build_worker

API_PREFIX = "/api/v1"


def _app_version() -> str:
    try:
        return version("lore")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"


EXPOSED_HEADERS = ["X-Request-ID", "RateLimit", "RateLimit-Policy", "Retry-After", "Location", "ETag"]


def _cors(settings: Settings) -> CORSConfig | None:
    if not settings.cors_origin_list:
        return None
    return CORSConfig(
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID", "If-Match", "If-None-Match"],
        allow_credentials=settings.cors_allow_credentials,
        expose_headers=EXPOSED_HEADERS,
        max_age=settings.cors_max_age_seconds,
    )


def create_app(
    settings: Settings,
    *,
    overrides: Sequence[Provider] = (),
    extra_route_handlers: Sequence[ControllerRouterHandler] = (),
    run_worker: bool = False,
) -> Litestar:
    """The API; with ``run_worker`` the background worker shares its process and container (``lore dev``)."""
    install_log_context()
    container = build_container(settings, LitestarProvider(), AuthProvider(), *overrides)
    api = Router(
        path=API_PREFIX,
        route_handlers=[
            AuthController,
            OidcController,
            UsersController,
            MfaController,
            IdentitiesController,
            ApiKeysController,
            AuditController,
            StatusController,
            CollectionsController,
            CollectionDocumentsController,
            DocumentsController,
            SearchController,
            AssistantController,
            ConversationsController,
            SummaryTasksController,
            WebhooksController,
        ],
    )
    setup_metrics(settings)
    tracer = setup_tracing(settings).get_tracer("lore.http")

    worker = build_worker(settings, container, handle_signals=False) if run_worker else None
    worker_task: list[asyncio.Task[None]] = []

    publishers: list[Publishing] = []  # one, made at start-up: the hub needs the container's Redis client

    async def start_metrics() -> None:
        app.state.metrics_hub = MetricsHub(await container.get(Redis), settings)
        publishers.append(Publishing(app.state.metrics_hub))
        publishers[0].start()

    async def start_live_events() -> None:
        # the stream reader itself starts with the first WebSocket client (live_events.LiveHub)
        app.state.live_hub = LiveHub(await container.get(LiveEventStream), settings.live_events_queue_size)

    key_ring = KeyRingRefresh(container, settings)

    async def start_worker() -> None:
        if worker is not None:
            worker_task.append(asyncio.create_task(worker.start()))

    background = BackgroundTasks()

    async def stop_worker_then_container() -> None:
        await background.drain(timeout_seconds=30)  # replies still streaming from a model get stored
        # the worker goes first: its jobs still need the container's pools
        if worker is not None:
            await worker.stop()
            await asyncio.gather(*worker_task)
        for publisher in publishers:
            await publisher.stop()
        if isinstance(hub := app.state.get("live_hub"), LiveHub):
            await hub.stop()
        await key_ring.stop()
        await container.close()

    app = Litestar(
        route_handlers=[
            HealthController,
            JwksController,
            MetricsController,
            PagesController,
            api,
            events_socket,  # WebSocket, at /api/v1/events (outside the router: its guard is for HTTP)
            graphql_controller(settings),
            *([ide_assets()] if settings.lore_env is Environment.DEVELOPMENT else []),
            docs_assets(),
            *extra_route_handlers,
        ],
        exception_handlers=exception_handlers(),
        guards=[api_guard(API_PREFIX)],  # the rate limit everywhere, then the API's permission table
        cors_config=_cors(settings),
        before_request=screen_request,
        plugins=[StrictStructSchemaPlugin()],
        openapi_config=OpenAPIConfig(
            title="Lore API",
            version=_app_version(),
            path="/schema",
            components=SECURITY_SCHEMES,
            render_plugins=[docs_plugin()],
        ),
        on_startup=[key_ring.start, start_metrics, start_live_events, start_worker],
        on_shutdown=[stop_worker_then_container],
        logging_config=None,
        # room for the largest document plus multipart framing; larger bodies get 413 before parsing
        request_max_body_size=settings.max_upload_bytes + 64 * 1024,
        debug=False,
    )
    require_rules(app, API_PREFIX)
    document_rules(app, API_PREFIX)
    document_contract(app, API_PREFIX)
    setup_dishka(container, app)
    handler = with_compression(ConditionalRequestsMiddleware(app.asgi_handler), settings)
    edge = EdgeMiddleware(
        PlatformHeadersMiddleware(handler, settings),
        tracer,
        untraced_paths=frozenset({LIVE_PATH, "/metrics"}),  # probes and scrapers every few seconds would flood traces
    )
    app.asgi_handler = LiveProbe(edge, settings)  # outermost: the probe costs one precomputed answer
    app.state.settings = settings
    app.state.allow = allow_headers(app)
    app.state.background = background
    return app
