"""Which command a `lore` command line names: the span's name, never the arguments."""

from __future__ import annotations

import click
import pytest

from entrypoints.cli.main import cli
from entrypoints.cli.tracing import command_path, command_span


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["users", "list", "--role", "admin"], ["users", "list"]),
        (["users", "set-role", "ann@example.org", "admin"], ["users", "set-role"]),  # arguments are not names
        (["ingest", "docs/", "--collection", "Handbook"], ["ingest"]),
        (["users", "--help"], ["users"]),
        (["nonsense", "list"], []),
        ([], []),
    ],
)
def test_the_path_stops_at_the_first_argument_or_option(args: list[str], path: list[str]) -> None:
    with click.Context(cli) as ctx:
        assert command_path(cli, ctx, args) == path


def test_a_configuration_error_leaves_the_command_to_report_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "no-such-sampler")
    ran = []
    with command_span("lore users list", "users list"):
        ran.append(True)
    assert ran == [True]
