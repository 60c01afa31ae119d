"""``OPTIONS`` answers ``Allow`` with every method of the path.

Litestar builds a path's OPTIONS handler when it registers the path's first handler and keeps it as
the path gains more, so its ``Allow`` named only that first handler's methods (``OPTIONS, POST`` on
``/collections``, which also answers GET).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT


def allow_headers(app: Litestar) -> dict[str, str]:
    """Path template -> the ``Allow`` value of that path."""
    return {route.path_format: ", ".join(sorted(route.methods)) for route in app.routes if isinstance(route, HTTPRoute)}


def answer_options(request: Request[Any, Any, Any]) -> Response[None] | None:
    allow = request.app.state.allow.get(request.scope.get("path_template"))
    if allow is None:  # pragma: no cover - every HTTP route is in the map
        return None
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": allow})
