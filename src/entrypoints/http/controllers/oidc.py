"""/api/v1/auth/oidc: sign-in with an OpenID Connect provider; /api/v1/users/me/identities: the linked ones.

The start sets a short-lived HttpOnly cookie (``lore_oidc``, SameSite=Lax so the provider's top-level
redirect back carries it); the callback answers only a state started with the same cookie, which binds the
sign-in to the browser that began it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK, HTTP_302_FOUND, HTTP_303_SEE_OTHER

from application.identity.oidc import (
    PENDING_SIGN_IN_SECONDS,
    Callback,
    FinishOidcSignIn,
    ListIdentities,
    ListOidcProviders,
    OidcOutcome,
    StartedSignIn,
    StartOidcSignIn,
    UnlinkIdentity,
)
from domain.identity.principal import Principal
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.auth import client_ip, user_agent
from entrypoints.http.errors import error_responses
from entrypoints.http.identity_schemas import (
    AuthorizationUrlOut,
    IdentityOut,
    MfaChallengeOut,
    OidcCallbackOut,
    OidcProviderOut,
)
from entrypoints.http.schemas import DataEnvelope
from entrypoints.http.text_rules import SINGLE_LINE

AnyRequest = Request[Any, Any, Any]
BINDING_COOKIE = "lore_oidc"
_COOKIE_PATH = "/api/v1/auth/oidc"
_BINDING = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
# a provider name as OIDC_PROVIDERS allows it
ProviderName = Annotated[str, PathParameter(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", max_length=32)]
_NO_STORE = {"Cache-Control": "no-store"}


def _binding(request: AnyRequest) -> str | None:
    value = request.cookies.get(BINDING_COOKIE)
    return value if value and _BINDING.match(value) else None


def _cookie(request: AnyRequest, started: StartedSignIn) -> Cookie:
    settings: Settings = request.app.state.settings
    return Cookie(
        key=BINDING_COOKIE,
        value=started.binding,
        path=_COOKIE_PATH,
        max_age=PENDING_SIGN_IN_SECONDS,
        httponly=True,
        secure=settings.public_url.startswith("https://"),
        samesite="lax",
    )


def _fragment(outcome: OidcOutcome) -> str:
    if outcome.challenge is not None:  # the account has MFA: the page sends a code to /auth/login/mfa
        return urlencode(
            {
                "mfa_required": "true",
                "mfa_token": outcome.challenge.token,
                "expires_in": outcome.challenge.expires_in,
                "account_created": str(outcome.account_created).lower(),
            }
        )
    if outcome.tokens is None:
        return urlencode({"linked": outcome.identity.provider})
    return urlencode(
        {
            "access_token": outcome.tokens.access_token,
            "refresh_token": outcome.tokens.refresh_token,
            "token_type": "Bearer",
            "expires_in": outcome.tokens.expires_in,
            "account_created": str(outcome.account_created).lower(),
        }
    )


class OidcController(Controller):
    path = "/auth/oidc"
    tags = ["auth"]  # noqa: RUF012 - litestar's declared type

    @get("/providers", summary="The OpenID Connect providers one can sign in with", responses=error_responses())
    @inject
    async def providers(self, list_providers: FromDishka[ListOidcProviders]) -> DataEnvelope[list[OidcProviderOut]]:
        return DataEnvelope(data=[OidcProviderOut.of(info) for info in await list_providers.execute()])

    @get(
        "/{provider:str}/start",
        status_code=HTTP_302_FOUND,
        summary="Sign in with a provider: redirects the browser to its authorization endpoint",
        responses=error_responses(404, 422),
    )
    @inject
    async def start(self, request: AnyRequest, provider: ProviderName, start: FromDishka[StartOidcSignIn]) -> Redirect:
        started = await start.execute(provider, binding=_binding(request))
        return Redirect(
            started.authorization_url,
            status_code=HTTP_302_FOUND,
            cookies=[_cookie(request, started)],
            headers=_NO_STORE,
        )

    @post(
        "/{provider:str}/link",
        status_code=HTTP_200_OK,
        summary="Link a provider to the caller's account: the URL to send the browser to",
        responses=error_responses(401, 403, 404, 422),
    )
    @inject
    async def link(
        self,
        request: AnyRequest,
        provider: ProviderName,
        principal: FromDishka[Principal],
        start: FromDishka[StartOidcSignIn],
    ) -> Response[DataEnvelope[AuthorizationUrlOut]]:
        started = await start.execute(provider, binding=_binding(request), principal=principal)
        return Response(
            DataEnvelope(data=AuthorizationUrlOut(authorization_url=started.authorization_url)),
            cookies=[_cookie(request, started)],
            headers=_NO_STORE,
        )

    @get(
        "/{provider:str}/callback",
        status_code=HTTP_200_OK,
        summary="Where the provider sends the browser back: signs in (or links) and gives the token pair",
        description="Answers JSON, or with OIDC_SUCCESS_URL set redirects there (303) with the tokens in the "
        "URL fragment. An account with MFA gets the MFA challenge of /auth/login instead (`mfa_required`, "
        "`mfa_token`, `expires_in`), for the code step at /auth/login/mfa. Errors always answer the error "
        "envelope.",
        responses=error_responses(400, 401, 403, 404, 409, 422),
    )
    @inject
    async def callback(
        self,
        request: AnyRequest,
        provider: ProviderName,
        finish: FromDishka[FinishOidcSignIn],
        oauth_state: Annotated[
            str | None, QueryParameter(name="state", max_length=512, pattern=SINGLE_LINE)
        ] = None,  # `state` is Litestar's
        code: Annotated[str | None, QueryParameter(max_length=4096, pattern=SINGLE_LINE)] = None,
        error: Annotated[str | None, QueryParameter(max_length=256, pattern=SINGLE_LINE)] = None,
        error_description: Annotated[str | None, QueryParameter(max_length=1024, pattern=SINGLE_LINE)] = None,
        iss: Annotated[str | None, QueryParameter(max_length=2048, pattern=SINGLE_LINE)] = None,
    ) -> Response[DataEnvelope[OidcCallbackOut | MfaChallengeOut]]:
        outcome = await finish.execute(
            provider,
            Callback(
                state=oauth_state,
                code=code,
                error=error,
                error_description=error_description,
                issuer=iss,
                binding=_binding(request),
                ip_address=client_ip(request),
                user_agent=user_agent(request),
            ),
        )
        settings: Settings = request.app.state.settings
        if settings.oidc_success_url:
            return Redirect(
                f"{settings.oidc_success_url}#{_fragment(outcome)}", status_code=HTTP_303_SEE_OTHER, headers=_NO_STORE
            )
        if outcome.challenge is not None:
            return Response(DataEnvelope(data=MfaChallengeOut.of(outcome.challenge)), headers=_NO_STORE)
        return Response(DataEnvelope(data=OidcCallbackOut.of(outcome)), headers=_NO_STORE)


class IdentitiesController(Controller):
    path = "/users/me/identities"
    tags = ["users"]  # noqa: RUF012 - litestar's declared type

    @get("/", summary="The provider identities linked to the caller's account", responses=error_responses(401, 403))
    @inject
    async def list_identities(
        self, principal: FromDishka[Principal], list_identities: FromDishka[ListIdentities]
    ) -> DataEnvelope[list[IdentityOut]]:
        return DataEnvelope(data=[IdentityOut.of(i) for i in await list_identities.execute(principal)])

    @delete(
        "/{identity_id:uuid}",
        summary="Unlink a provider identity (refused when it is the last way to sign in)",
        responses=error_responses(401, 403, 404, 409),
    )
    @inject
    async def unlink(
        self, identity_id: FromPath[UUID], principal: FromDishka[Principal], unlink: FromDishka[UnlinkIdentity]
    ) -> None:
        await unlink.execute(principal, identity_id)
