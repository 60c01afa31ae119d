"""A root span per `lore` command, so an operator's action shows up in the traces like a request does.

The OpenTelemetry SDK (and its SQLAlchemy/Redis instrumentation) is set up only when spans are exported
(``OTEL_EXPORTER_OTLP_ENDPOINT``): without it the span is the API's no-op one and a command pays only for
importing the OTel API, not the SDK. Jobs a command queues (``lore ingest``, ``lore reindex``) carry its
``traceparent``, so the worker's spans for them join the command's trace.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

# servers run for days and their requests and jobs have traces of their own: a span around them would
# swallow those as children
LONG_RUNNING = frozenset({"dev", "serve", "worker"})
_ARGS = "lore.cli.args"


class TracedGroup(click.Group):
    """The root group: every subcommand it runs (but the servers) runs inside one root span."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = tuple(args)  # the whole command line, before the group consumes it
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        path = command_path(self, ctx, ctx.meta.get(_ARGS, ()))
        if not path or path[0] in LONG_RUNNING:
            return super().invoke(ctx)
        with command_span(" ".join((ctx.command_path, *path)), " ".join(path)):
            return super().invoke(ctx)


def command_path(group: click.Group, ctx: click.Context, args: Sequence[str]) -> list[str]:
    """The (sub)command names at the start of ``args``, e.g. ``["users", "list"]``; never their arguments."""
    names: list[str] = []
    command: click.Command = group
    for arg in args:
        if not isinstance(command, click.Group) or arg.startswith("-"):
            break
        sub = command.get_command(ctx, arg)
        if sub is None:
            break
        names.append(arg)
        command = sub
    return names


@contextmanager
def command_span(name: str, command: str) -> Iterator[None]:
    _setup_if_exporting()
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    tracer = trace.get_tracer("lore.cli")
    # a root even if some context is current: one trace per command
    with tracer.start_as_current_span(
        name,
        context=trace.set_span_in_context(trace.INVALID_SPAN),
        kind=SpanKind.INTERNAL,
        record_exception=False,  # a message may echo what the operator typed; the status names the failure
        set_status_on_exception=False,  # below: exit 0 is no error
    ) as span:
        span.set_attribute("lore.cli.command", command)
        try:
            yield
        except (SystemExit, click.exceptions.Exit) as exc:
            code = exc.code if isinstance(exc, SystemExit) else exc.exit_code
            if code not in (0, None):
                span.set_status(Status(StatusCode.ERROR, f"exit {code}"))
            raise
        except Exception as exc:  # a ClickException (one-line error) or a bug: the command failed
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise


def _setup_if_exporting() -> None:
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        return
    from entrypoints.bootstrap.settings import SettingsError, load_settings
    from entrypoints.bootstrap.telemetry import setup_tracing

    try:
        settings = load_settings()
    except SettingsError:
        return  # the command itself reports the configuration error
    setup_tracing(settings)
