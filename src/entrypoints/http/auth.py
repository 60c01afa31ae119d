"""Resolves the caller (``Principal``) from ``Authorization: Bearer ...`` for each request."""

from __future__ import annotations

from typing import Any

from dishka import Provider, Scope, provide
from litestar import Request

from application.identity.authenticate import Authenticate, AuthenticateAccessToken, is_api_key
from domain.identity.errors import InvalidTokenError
from domain.identity.principal import Principal
from domain.shared.errors import AuthenticationError
from entrypoints.bootstrap.logging import caller_var


class AuthProvider(Provider):
    @provide(scope=Scope.REQUEST)
    async def principal(
        self,
        request: Request,  # type: ignore[type-arg]  # dishka's LitestarProvider registers the bare class
        access_tokens: AuthenticateAccessToken,
    ) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise AuthenticationError("Authentication is required: send 'Authorization: Bearer <token>'.")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise InvalidTokenError("Use the Bearer scheme with an access token or API key.")
        credential = credential.strip()
        if is_api_key(credential):  # only keys need the full use case (a repository, the unit of work)
            authenticate: Authenticate = await request.state.dishka_container.get(Authenticate)
            principal = await authenticate.execute(credential)
        else:
            principal = await access_tokens.execute(credential)
        caller = caller_var.get()
        if caller is not None:  # the request's log lines and its access-log line name the caller from here on
            caller.user_id = str(principal.user_id)
            caller.api_key_id = str(principal.api_key_id) if principal.api_key_id else None
        return principal


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def user_agent(request: Request[Any, Any, Any]) -> str | None:
    """As sent, less control characters (NUL would not even store); only for showing in the session list."""
    raw = request.headers.get("user-agent")
    return "".join(char for char in raw if char.isprintable()) if raw else raw
