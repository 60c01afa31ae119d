"""``POST /graphql`` (and ``GET`` for queries): Strawberry's Litestar controller, answering errors in the envelope.

Transport errors (a body that is not a GraphQL request, a wrong content type, a mutation over GET) are HTTP
errors in the REST envelope; everything inside a well-formed request is a GraphQL ``errors[]`` entry.
"""

import json
from typing import Any, ClassVar

from cross_web import HTTPException
from litestar import Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException as LitestarHTTPException
from litestar.types import Dependencies
from strawberry.litestar import make_graphql_controller
from strawberry.litestar.controller import GraphQLController, GraphQLResource

from entrypoints.bootstrap.settings import Environment, Settings
from entrypoints.graphql.context import GraphQLContext
from entrypoints.graphql.ide import ide_page
from entrypoints.graphql.schema import build_schema

PATH = "/graphql"


async def _context(request: Request[Any, Any, Any]) -> GraphQLContext:
    return GraphQLContext(request=request, settings=request.app.state.settings)


def graphql_controller(settings: Settings) -> type[GraphQLController]:
    base = make_graphql_controller(
        build_schema(settings),
        path=PATH,
        # HTML GETs get the local GraphiQL page in development, else 404 (the value names no page: ours renders)
        graphql_ide="graphiql" if settings.lore_env is Environment.DEVELOPMENT else None,
        allow_queries_via_get=True,
        subscription_protocols=(),
    )

    class LoreGraphQLController(base):  # type: ignore[valid-type,misc]
        include_in_schema = False  # not a REST operation: the SDL (`lore graphql-schema`) documents it
        request_max_body_size = settings.graphql_max_body_bytes
        dependencies: ClassVar[Dependencies] = {**base.dependencies, "context": Provide(_context)}
        websocket_endpoint = None  # no subscriptions: the WebSocket route is not served

        async def render_graphql_ide(self, request: Request[Any, Any, Any]) -> Response[str]:
            return ide_page()

        def parse_json(self, data: str | bytes) -> Any:
            try:
                parsed = json.loads(data)
            except ValueError:  # bad syntax, and bytes that are not UTF-8
                raise HTTPException(400, "The body is not valid JSON.") from None
            if not isinstance(parsed, dict):  # batches are off; a bare string or number is no request
                raise HTTPException(400, "The body must be a JSON object with a `query`.")
            return parsed

        async def execute_request(
            self, request: Request[Any, Any, Any], context: Any, root_value: Any
        ) -> Response[GraphQLResource | str]:
            try:
                response: Response[GraphQLResource | str] = await self.run(
                    request, context=context, root_value=root_value
                )
            except HTTPException as exc:  # to the app's handlers: the REST envelope
                await context.charge_request()
                raise LitestarHTTPException(status_code=exc.status_code, detail=exc.reason) from None
            if context.charged == 0:
                await context.charge_request()
            return response

    return LoreGraphQLController
