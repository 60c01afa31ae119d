"""Every root field enters like its REST call, whatever its resolver does: a field extension charges and checks it.

The extension is attached to each field of ``Query`` and ``Mutation`` when the schema is built, so a new
root field cannot forget it; its resolver reads the caller with ``info.context.caller()``.
"""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import AsyncExtensionResolver, FieldExtension
from strawberry.types import Info
from strawberry.types.base import get_object_definition


class EnterRootField(FieldExtension):
    """Rate-limits the field by its REST call's policy, then checks that call's access rule."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        await info.context.enter(info.field_name)
        return await next_(source, info, **kwargs)


def enter_every_root_field(*roots: type) -> None:
    """Attaches ``EnterRootField`` to every field of the root types (once: the schema may be built again)."""
    for root in roots:
        definition = get_object_definition(root, strict=True)
        for field in definition.fields:
            if not any(isinstance(extension, EnterRootField) for extension in field.extensions):
                field.extensions.append(EnterRootField())
