"""One span per GraphQL operation, named after it; a span per resolver only when configured.

The request's server span (the edge) is the parent. Arguments and the document are not recorded: they
are client input (search text, names) that the trace backend has no business keeping.
"""

from collections.abc import Callable, Iterator
from inspect import isawaitable
from typing import Any

from graphql import GraphQLResolveInfo
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing.utils import should_skip_tracing

_tracer = trace.get_tracer("lore.graphql")


class TracingExtension(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        with _tracer.start_as_current_span("graphql") as span:
            yield
            context = self.execution_context
            name = context.operation_name
            try:
                kind = context.operation_type.value
            except RuntimeError:  # the document did not parse: no operation
                kind = "operation"
            span.update_name(f"{kind} {name}" if name else kind)
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name[:200])
            result = context.result
            if result is not None and result.errors:
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute("graphql.errors", len(result.errors))


class ResolverTracingExtension(TracingExtension):
    """Adds a span per resolved field that has a resolver of its own (``GRAPHQL_TRACE_RESOLVERS``)."""

    async def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        if should_skip_tracing(_next, info):
            result = _next(root, info, *args, **kwargs)
            return await result if isawaitable(result) else result
        with _tracer.start_as_current_span(f"resolve {info.parent_type.name}.{info.field_name}"):
            result = _next(root, info, *args, **kwargs)
            return await result if isawaitable(result) else result


def tracing_extension(trace_resolvers: bool) -> type[TracingExtension]:
    return ResolverTracingExtension if trace_resolvers else TracingExtension
