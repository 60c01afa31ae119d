"""Browser pages behind the links in emails, for when no FRONTEND_URL serves them (outside /api/v1).

``GET /verify-email`` confirms the address; ``GET /reset-password`` shows a form that posts to
``POST /reset-password``. They call the same use cases as the API's auth endpoints.
"""

from __future__ import annotations

from typing import Any

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.status_codes import HTTP_200_OK
from litestar.types import ExceptionHandlersMap

from application.identity.accounts import VerifyEmail
from application.identity.passwords import ResetPassword
from domain.identity.errors import InvalidOneTimeTokenError
from domain.shared.errors import ValidationError
from entrypoints.http.auth import client_ip
from entrypoints.http.html_pages import page, reset_form

AnyRequest = Request[Any, Any, Any]

RESET_PATH = "/reset-password"
# the same generous bounds as the API bodies; the policy gives the precise message
_MAX_TOKEN_LENGTH = 512
_MAX_PASSWORD_LENGTH = 1024


def _token(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_TOKEN_LENGTH:
        raise InvalidOneTimeTokenError()
    return value


def _invalid_link_page(_: AnyRequest, exc: Exception) -> Response[str]:
    assert isinstance(exc, InvalidOneTimeTokenError)
    return page(400, "This link cannot be used", f"{exc.message} Ask for a new one.")


class PagesController(Controller):
    include_in_schema = False
    # other errors keep the API's JSON envelope; the use cases here raise nothing else a client can cause
    exception_handlers: ExceptionHandlersMap = {InvalidOneTimeTokenError: _invalid_link_page}  # noqa: RUF012

    @get("/verify-email")
    @inject
    async def verify_email(self, verify: FromDishka[VerifyEmail], token: FromQuery[str | None] = None) -> Response[str]:
        await verify.execute(_token(token))
        return page(HTTP_200_OK, "Email address confirmed", "Thank you. You can now sign in to Lore.")

    @get(RESET_PATH)
    async def reset_password_form(self, token: FromQuery[str | None] = None) -> Response[str]:
        # showing the form spends nothing: mail scanners that prefetch links cannot burn the token
        return reset_form(RESET_PATH, _token(token))

    @post(RESET_PATH, status_code=HTTP_200_OK)
    @inject
    async def reset_password(self, request: AnyRequest, reset: FromDishka[ResetPassword]) -> Response[str]:
        form = await request.form()
        token = _token(form.get("token"))
        password, confirm = form.get("password"), form.get("confirm")
        if not isinstance(password, str) or not password:
            return reset_form(RESET_PATH, token, status_code=422, error="Enter a new password.")
        if len(password) > _MAX_PASSWORD_LENGTH:
            return reset_form(RESET_PATH, token, status_code=422, error="The password is too long.")
        if confirm is not None and confirm != password:
            return reset_form(RESET_PATH, token, status_code=422, error="The two passwords differ.")
        try:
            await reset.execute(token, password, ip_address=client_ip(request))
        except InvalidOneTimeTokenError:
            raise
        except ValidationError as exc:  # a weak password does not spend the token: let them try again
            return reset_form(RESET_PATH, token, status_code=422, error=exc.message)
        return page(HTTP_200_OK, "Password changed", "Sign in with your new password; other sessions were ended.")
