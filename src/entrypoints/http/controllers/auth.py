"""/api/v1/auth: registration, sign-in, tokens, sessions, passwords."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from application.identity.accounts import NewAccount, RegisterUser, ResendVerification, VerifyEmail
from application.identity.login import Credentials, Login, Logout, LogoutAll, MfaChallenge, RefreshTokens
from application.identity.mfa import StepUp
from application.identity.mfa_login import CompleteMfaLogin, MfaAnswer
from application.identity.passwords import ForgotPassword, ResetPassword
from application.identity.policy import IdentityPolicy
from application.identity.sessions import ListSessions, RevokeSession
from domain.identity.principal import Principal
from entrypoints.http.auth import client_ip, user_agent
from entrypoints.http.errors import error_responses
from entrypoints.http.identity_schemas import (
    EmailBody,
    LoginBody,
    MfaChallengeOut,
    MfaCodeBody,
    MfaLoginBody,
    RefreshBody,
    RegisterBody,
    ResetPasswordBody,
    SessionOut,
    StepUpOut,
    TokenBody,
    TokenPairOut,
    UserOut,
)
from entrypoints.http.schemas import DataEnvelope

AnyRequest = Request[Any, Any, Any]


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 - litestar's declared type

    @post("/register", summary="Create an account", responses=error_responses(400, 409, 422, 429))
    @inject
    async def register(
        self, request: AnyRequest, data: JSONBody[RegisterBody], register: FromDishka[RegisterUser]
    ) -> Response[DataEnvelope[UserOut]]:
        user = await register.execute(
            NewAccount(email=data.email, password=data.password, display_name=data.display_name),
            ip_address=client_ip(request),
        )
        return Response(
            DataEnvelope(data=UserOut.of(user, viewer=None)),
            status_code=201,
            headers={"Location": f"/api/v1/users/{user.id}"},
        )

    @post(
        "/verify-email",
        status_code=HTTP_200_OK,
        summary="Confirm an email address",
        responses=error_responses(400, 422),
    )
    @inject
    async def verify_email(self, data: JSONBody[TokenBody], verify: FromDishka[VerifyEmail]) -> DataEnvelope[UserOut]:
        user = await verify.execute(data.token)
        return DataEnvelope(data=UserOut.of(user, viewer=None))

    @post(
        "/verify-email/resend",
        status_code=HTTP_202_ACCEPTED,
        summary="Send the verification email again (202 whether or not the account exists)",
        responses=error_responses(400, 422, 429),
    )
    @inject
    async def resend_verification(
        self, request: AnyRequest, data: JSONBody[EmailBody], resend: FromDishka[ResendVerification]
    ) -> None:
        await resend.execute(data.email, ip_address=client_ip(request))

    @post(
        "/login",
        status_code=HTTP_200_OK,
        summary="Sign in; an account with MFA gets an MFA challenge for /auth/login/mfa instead of tokens",
        responses=error_responses(400, 401, 403, 422, 429),
    )
    @inject
    async def login(
        self, request: AnyRequest, data: JSONBody[LoginBody], login: FromDishka[Login]
    ) -> DataEnvelope[TokenPairOut | MfaChallengeOut]:
        result = await login.execute(
            Credentials(data.email, data.password, ip_address=client_ip(request), user_agent=user_agent(request))
        )
        if isinstance(result, MfaChallenge):
            return DataEnvelope(data=MfaChallengeOut.of(result))
        return DataEnvelope(data=TokenPairOut.of(result))

    @post(
        "/login/mfa",
        status_code=HTTP_200_OK,
        summary="Second sign-in step: the MFA challenge and a TOTP or recovery code for the token pair",
        responses=error_responses(400, 401, 422, 429),
    )
    @inject
    async def login_mfa(
        self, request: AnyRequest, data: JSONBody[MfaLoginBody], complete: FromDishka[CompleteMfaLogin]
    ) -> DataEnvelope[TokenPairOut]:
        pair = await complete.execute(
            MfaAnswer(data.mfa_token, data.code, ip_address=client_ip(request), user_agent=user_agent(request))
        )
        return DataEnvelope(data=TokenPairOut.of(pair))

    @post(
        "/step-up",
        status_code=HTTP_200_OK,
        summary="Verify a code for the current session, so sensitive actions are allowed for a while",
        responses=error_responses(400, 401, 403, 409, 422, 429),
    )
    @inject
    async def step_up(
        self,
        data: JSONBody[MfaCodeBody],
        principal: FromDishka[Principal],
        step_up: FromDishka[StepUp],
        policy: FromDishka[IdentityPolicy],
    ) -> DataEnvelope[StepUpOut]:
        at = await step_up.execute(principal, data.code)
        valid_for = int(policy.mfa_step_up_max_age.total_seconds())
        return DataEnvelope(data=StepUpOut(mfa_at=at, valid_for=valid_for))

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        summary="Rotate a refresh token; a reused token revokes its whole session",
        responses=error_responses(400, 401, 422),
    )
    @inject
    async def refresh(
        self, request: AnyRequest, data: JSONBody[RefreshBody], refresh: FromDishka[RefreshTokens]
    ) -> DataEnvelope[TokenPairOut]:
        pair = await refresh.execute(data.refresh_token, ip_address=client_ip(request))
        return DataEnvelope(data=TokenPairOut.of(pair))

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        summary="End the session of a refresh token",
        responses=error_responses(400, 422),
    )
    @inject
    async def logout(self, data: JSONBody[RefreshBody], logout: FromDishka[Logout]) -> None:
        await logout.execute(data.refresh_token)

    @post(
        "/logout-all",
        status_code=HTTP_204_NO_CONTENT,
        summary="End every session of the caller",
        responses=error_responses(401, 403),
    )
    @inject
    async def logout_all(self, principal: FromDishka[Principal], logout_all: FromDishka[LogoutAll]) -> None:
        await logout_all.execute(principal)

    @get("/sessions", summary="The caller's active sessions", responses=error_responses(401, 403))
    @inject
    async def sessions(
        self, principal: FromDishka[Principal], list_sessions: FromDishka[ListSessions]
    ) -> DataEnvelope[list[SessionOut]]:
        return DataEnvelope(data=[SessionOut.of(view) for view in await list_sessions.execute(principal)])

    @delete(
        "/sessions/{session_id:uuid}",
        summary="End one of the caller's sessions",
        responses=error_responses(401, 403, 404),
    )
    @inject
    async def revoke_session(
        self, session_id: FromPath[UUID], principal: FromDishka[Principal], revoke: FromDishka[RevokeSession]
    ) -> None:
        await revoke.execute(principal, session_id)

    @post(
        "/password/forgot",
        status_code=HTTP_202_ACCEPTED,
        summary="Email a reset link (202 whether or not the account exists)",
        responses=error_responses(400, 422, 429),
    )
    @inject
    async def forgot_password(
        self, request: AnyRequest, data: JSONBody[EmailBody], forgot: FromDishka[ForgotPassword]
    ) -> None:
        await forgot.execute(data.email, ip_address=client_ip(request))

    @post(
        "/password/reset",
        status_code=HTTP_204_NO_CONTENT,
        summary="Set a new password with a reset token; ends every session",
        responses=error_responses(400, 422),
    )
    @inject
    async def reset_password(
        self, request: AnyRequest, data: JSONBody[ResetPasswordBody], reset: FromDishka[ResetPassword]
    ) -> None:
        await reset.execute(data.token, data.password, ip_address=client_ip(request))
