"""The guards: each route is rate limited, each API operation checked against the permission table before it runs."""

from __future__ import annotations

from typing import Any, cast

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers import BaseRouteHandler
from litestar.routes import HTTPRoute
from litestar.types import Guard, HTTPScope

from domain.identity.principal import Principal
from domain.shared.errors import PermissionDeniedError
from entrypoints.http.errors import error_responses
from entrypoints.http.openapi_contract import security_for
from entrypoints.http.permission_table import OPERATIONS, Operation, Rule, rule_for
from entrypoints.http.rate_limits import rate_limit

ACCESS_LABEL = "**Access:**"


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Runs before the body is read: a caller without the rule's rights learns nothing about the request."""
    scope = cast("HTTPScope", connection.scope)
    if scope["method"] == "OPTIONS":
        return
    rule = rule_for(scope["method"], scope["path_template"])
    if rule is None:  # require_rules keeps this from happening; fail closed if it ever does
        raise PermissionDeniedError("This operation has no access rule.")
    if rule.public:
        return
    # the request-scoped Principal: the handler gets the same instance, so the key is checked once
    principal: Principal = await connection.state.dishka_container.get(Principal)
    rule.check(principal)


def api_guard(prefix: str) -> Guard:
    """The app's one guard: the rate limit on every route, then the permission table on the API's.

    One guard rather than one per layer: Litestar copies the route handler for each guard it runs.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        if connection.scope["type"] == ScopeType.WEBSOCKET:
            # its handler charges the handshake to the address (and closes with 1013, not an HTTP 429),
            # authenticates (the credentials may come after the handshake) and checks WEBSOCKETS
            return
        await rate_limit(connection, handler)  # first: a refused caller still spends their bucket
        template = connection.scope["path_template"]
        if template == prefix or template.startswith(prefix + "/"):
            await authorize(connection, handler)

    return guard


def operations_of(app: Litestar, prefix: str = "") -> set[Operation]:
    """(method, path template) of every documented operation under ``prefix``."""
    found: set[Operation] = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_format.startswith(prefix):
            continue
        for handler in route.route_handlers:
            if handler.resolve_include_in_schema():
                found.update((method, route.path_format) for method in handler.http_methods)
    return found


def require_rules(app: Litestar, prefix: str, table: dict[Operation, Rule] = OPERATIONS) -> None:
    """Refuses to build an app whose API has an operation without a rule, or a rule without an operation."""
    served = operations_of(app, prefix)
    listed = {operation for operation in table if operation[1].startswith(prefix)}
    missing, stale = sorted(served - listed), sorted(listed - served)
    if missing or stale:
        raise RuntimeError(
            f"entrypoints/http/permission_table.py is out of date: no rule for {missing}; no route for {stale}"
        )


def document_rules(app: Litestar, prefix: str) -> None:
    """Each operation's OpenAPI entry states its rule and lists the 401 and 403 the guard can answer."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path_format.startswith(prefix):
            continue
        for handler in route.route_handlers:
            rules = [rule_for(method, route.path_format) for method in handler.http_methods]
            rule = next((r for r in rules if r is not None), None)
            if rule is None or rule.public:
                continue
            handler.security = security_for(interactive=rule.interactive)
            statuses = (401, 403) if rule.permissions or rule.interactive else (401,)
            handler.responses = {**error_responses(*statuses), **(handler.responses or {})}
            if ACCESS_LABEL not in (handler.description or ""):  # handlers may be shared by several apps
                handler.description = "\n\n".join(filter(None, [handler.description, f"{ACCESS_LABEL} {rule.access}"]))
