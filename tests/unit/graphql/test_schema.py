"""The committed SDL is the schema; every root field stands for an operation of the permission table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from entrypoints.bootstrap.settings import Settings
from entrypoints.cli.main import cli
from entrypoints.graphql.operations import NESTED_FIELDS, ROOT_FIELDS, require_field_rules
from entrypoints.graphql.schema import build_schema, root_fields, schema_sdl
from entrypoints.http.permission_table import OPERATIONS


def test_the_committed_sdl_is_the_schema(repo_root: Path) -> None:
    committed = (repo_root / "docs" / "schema.graphql").read_text()
    assert committed == schema_sdl(), "the schema changed: run `uv run lore graphql-schema > docs/schema.graphql`"


def test_lore_graphql_schema_prints_the_sdl() -> None:
    result = CliRunner().invoke(cli, ["graphql-schema"])
    assert result.exit_code == 0, result.output
    assert result.output == schema_sdl()
    assert "type Query {" in result.output


def test_every_root_field_stands_for_an_operation_with_a_rule() -> None:
    fields = root_fields(build_schema(Settings()))
    assert sorted(fields) == sorted(ROOT_FIELDS)
    assert all(operation in OPERATIONS for operation in [*ROOT_FIELDS.values(), *NESTED_FIELDS.values()])


def test_every_nested_field_rule_is_checked_by_its_resolver(repo_root: Path) -> None:
    package = repo_root / "src" / "entrypoints" / "graphql"
    checked = {m for f in package.glob("*.py") for m in re.findall(r'\.nested\("([\w.]+)"\)', f.read_text())}
    assert checked == set(NESTED_FIELDS)  # a stale row would claim a check that never runs


def test_a_root_field_without_an_operation_stops_the_schema() -> None:
    with pytest.raises(RuntimeError, match=r"no operation for \['secrets'\]"):
        require_field_rules(["viewer", "secrets"], {"viewer": ("GET", "/api/v1/users/me")})
    with pytest.raises(RuntimeError, match=r"no field for \['gone'\]"):
        require_field_rules(["viewer"], {"viewer": ("GET", "/api/v1/users/me"), "gone": ("GET", "/api/v1/users")})
    with pytest.raises(RuntimeError, match=r"not in the permission table for \['viewer'\]"):
        require_field_rules(["viewer"], {"viewer": ("GET", "/api/v1/nowhere")})
