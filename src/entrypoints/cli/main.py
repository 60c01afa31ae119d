"""The ``lore`` command."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

import click

from entrypoints.cli.audit import audit
from entrypoints.cli.identity import api_keys, users
from entrypoints.cli.keys import keys
from entrypoints.cli.knowledge import ingest, jobs, reindex
from entrypoints.cli.ports import port_problem
from entrypoints.cli.status import status
from entrypoints.cli.storage import storage
from entrypoints.cli.tracing import TracedGroup
from entrypoints.cli.webhooks import webhooks

if TYPE_CHECKING:
    from entrypoints.bootstrap.settings import Settings

# The web stack, the SDKs and SQLAlchemy are imported inside the commands that use them: importing them
# up front made every command, `--help` included, take seconds (tests/integration/test_cli_imports.py).


def _fail(message: str) -> NoReturn:
    click.echo(f"lore: {message}", err=True)
    sys.exit(2)


def _settings() -> Settings:
    from entrypoints.bootstrap.logging import configure_logging
    from entrypoints.bootstrap.settings import SettingsError, load_settings

    configure_logging(
        os.environ.get("LOG_LEVEL", "INFO").upper()
        if os.environ.get("LOG_LEVEL", "INFO").upper() in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        else "INFO"
    )
    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")
    configure_logging(settings.log_level)
    return settings


def _stop_requested(_signum: int, _frame: FrameType | None) -> NoReturn:
    # a stop that was asked for and carried out is a success: exit 0, as after Ctrl-C
    raise SystemExit(0)


def _require_free_port(host: str, port: int) -> None:
    if problem := port_problem(host, port):
        _fail(problem)


@contextmanager
def _graceful_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C so embedded stores are stopped (the default would just die).

    uvicorn handles SIGTERM itself while it serves, then raises it again once it has
    shut down; that lands here too, so a clean stop by SIGTERM exits 0.
    """
    previous = signal.signal(signal.SIGTERM, _stop_requested)
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.group(name="lore", cls=TracedGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Lore: a self-hostable backend for AI knowledge apps."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
def dev(host: str, port: int) -> None:
    """Run API and worker together, on embedded stores unless DATABASE_URL / REDIS_URL are set."""
    import asyncio

    from entrypoints.bootstrap.runtime import migrate
    from entrypoints.bootstrap.settings import serving_at
    from entrypoints.bootstrap.stores import resolved_stores

    base = serving_at(_settings(), host, port)  # links in emails follow --host/--port unless PUBLIC_URL is set
    _require_free_port(host, port)
    with _graceful_sigterm(), resolved_stores(base) as settings:
        migrate(settings)
        click.echo(f"Lore is up on http://{host}:{port}  (docs: /schema, data: {settings.lore_data_dir})", err=True)
        if not settings.smtp_host:
            click.echo(f"Emails (verification, password reset) are written to {settings.mailbox_dir}/", err=True)
        asyncio.run(_serve_with_worker(settings, host, port))


async def _serve_with_worker(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from entrypoints.http.app import create_app

    app = create_app(settings, run_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            lifespan="on",
            server_header=False,
            proxy_headers=False,
            access_log=False,  # the app writes its own access-log line (route template, caller, duration)
        )
    )
    await server.serve()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to bind.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help="HTTP worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Run the HTTP API (no background worker)."""
    import uvicorn

    from entrypoints.bootstrap.stores import resolved_stores

    base = _settings()
    _require_free_port(host, port)
    with _graceful_sigterm(), resolved_stores(base) as settings:
        # worker processes rebuild settings from the environment, so hand them the resolved stores
        os.environ["DATABASE_URL"] = settings.require_database_url
        os.environ["REDIS_URL"] = settings.require_redis_url
        uvicorn.run(
            "entrypoints.http.asgi:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            # no version banner; and the client address comes from TRUSTED_PROXIES, never uvicorn's defaults
            server_header=False,
            proxy_headers=False,
            access_log=False,  # the app writes its own access-log line (route template, caller, duration)
        )


@cli.command()
def worker() -> None:
    """Run the background worker."""
    import asyncio

    from entrypoints.bootstrap.stores import resolved_stores

    base = _settings()
    with _graceful_sigterm(), resolved_stores(base) as settings:
        asyncio.run(_run_worker(settings))


async def _run_worker(settings: Settings) -> None:
    from redis.asyncio import Redis

    from entrypoints.bootstrap.container import build_container
    from entrypoints.bootstrap.metrics import MetricsHub, Publishing, setup_metrics
    from entrypoints.bootstrap.telemetry import setup_tracing
    from entrypoints.worker.app import build_worker

    setup_tracing(settings)
    setup_metrics(settings)
    container = build_container(settings)
    publishing = Publishing(MetricsHub(await container.get(Redis), settings))  # job metrics reach /metrics
    publishing.start()
    try:
        await build_worker(settings, container).start()
    finally:
        await publishing.stop()
        await container.close()


@cli.command(name="migrate")
@click.option("--to", "revision", default="head", show_default=True, help="Revision to upgrade to.")
@click.option("--down", "down_to", default=None, help="Downgrade to this revision instead (e.g. base).")
def migrate_command(revision: str, down_to: str | None) -> None:
    """Apply database migrations."""
    from entrypoints.bootstrap.runtime import downgrade, migrate
    from entrypoints.bootstrap.stores import resolved_stores

    base = _settings()
    with resolved_stores(base) as settings:
        if down_to is not None:
            try:
                downgrade(settings, down_to)
            except RuntimeError as exc:  # a revision that refuses to lose data says what to run first
                raise click.ClickException(str(exc)) from None
            click.echo(f"downgraded to {down_to}", err=True)
        else:
            migrate(settings, revision)
            click.echo(f"upgraded to {revision}", err=True)


@cli.command()
def openapi() -> None:
    """Print the OpenAPI schema as JSON."""
    import msgspec
    from litestar.serialization import encode_json

    from entrypoints.http.app import create_app

    settings = _settings()
    app = create_app(settings)
    schema = msgspec.json.decode(encode_json(app.openapi_schema.to_schema()))
    click.echo(json.dumps(schema, indent=2, sort_keys=True))


@cli.command(name="graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL) of POST /graphql."""
    from entrypoints.graphql.schema import schema_sdl

    click.echo(schema_sdl(), nl=False)


cli.add_command(users)
cli.add_command(api_keys)
cli.add_command(keys)
cli.add_command(ingest)
cli.add_command(jobs)
cli.add_command(reindex)
cli.add_command(audit)
cli.add_command(status)
cli.add_command(webhooks)
cli.add_command(storage)
