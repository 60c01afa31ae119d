"""A root field enters (rate limit + access rule) even when its resolver does nothing about it."""

from __future__ import annotations

from typing import Any, cast

import pytest
import strawberry

from entrypoints.bootstrap.settings import Settings
from entrypoints.graphql.context import GraphQLContext
from entrypoints.graphql.entry import EnterRootField, enter_every_root_field
from entrypoints.graphql.mutations import Mutation
from entrypoints.graphql.schema import Query, build_schema


class _RecordingContext:
    def __init__(self) -> None:
        self.entered: list[str] = []

    async def enter(self, root_field: str) -> None:
        self.entered.append(root_field)


@strawberry.type
class _Forgetful:
    @strawberry.field
    async def viewer(self) -> str:  # never calls enter
        return "me"

    @strawberry.field
    async def audit_events(self) -> int:
        return 0


async def test_a_root_field_that_skips_enter_still_enters() -> None:
    enter_every_root_field(_Forgetful)
    enter_every_root_field(_Forgetful)  # building twice attaches it once
    context = _RecordingContext()
    result = await strawberry.Schema(query=_Forgetful).execute("{ viewer auditEvents }", context_value=context)
    assert result.errors is None
    assert sorted(context.entered) == ["auditEvents", "viewer"]


def test_every_root_field_of_the_schema_enters() -> None:
    build_schema(Settings())
    for root in (Query, Mutation):
        for field in strawberry.types.base.get_object_definition(root, strict=True).fields:
            assert [type(e) for e in field.extensions].count(EnterRootField) == 1, field.name


async def test_no_use_case_and_no_caller_before_a_root_field_entered() -> None:
    context = GraphQLContext(request=cast("Any", None), settings=Settings())
    with pytest.raises(RuntimeError, match="entered"):
        await context.run(object, lambda _: _never())
    with pytest.raises(RuntimeError, match="without entering"):
        await context.caller()


async def _never() -> None:
    raise AssertionError("the use case must not run")
