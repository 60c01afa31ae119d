"""/api/v1/users/me/mfa: the caller's TOTP enrolment and recovery codes."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from application.identity.mfa import (
    ConfirmMfaEnrolment,
    DisableMfa,
    GetMfaStatus,
    RegenerateRecoveryCodes,
    StartMfaEnrolment,
)
from domain.identity.principal import Principal
from entrypoints.http.errors import error_responses
from entrypoints.http.identity_schemas import (
    DisableMfaBody,
    MfaCodeBody,
    MfaSetupOut,
    MfaStatusOut,
    RecoveryCodesOut,
    StartMfaBody,
)
from entrypoints.http.schemas import DataEnvelope


class MfaController(Controller):
    path = "/users/me/mfa"
    tags = ["mfa"]  # noqa: RUF012 - litestar's declared type

    @get(
        "/",
        summary="Whether the caller has MFA, and how many recovery codes are left",
        responses=error_responses(401, 403),
    )
    @inject
    async def status(
        self, principal: FromDishka[Principal], status: FromDishka[GetMfaStatus]
    ) -> DataEnvelope[MfaStatusOut]:
        return DataEnvelope(data=MfaStatusOut.of(await status.execute(principal)))

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="Start TOTP enrolment: a new secret and its otpauth:// URI, active once confirmed with a code",
        description="Needs the account's password; an account without one (made by an OIDC sign-in) needs a "
        "session that signed in within MFA_STEP_UP_SECONDS (401 RECENT_SIGN_IN_REQUIRED otherwise).",
        responses=error_responses(400, 401, 403, 409, 422, 429),
    )
    @inject
    async def start(
        self, data: JSONBody[StartMfaBody], principal: FromDishka[Principal], start: FromDishka[StartMfaEnrolment]
    ) -> DataEnvelope[MfaSetupOut]:
        return DataEnvelope(data=MfaSetupOut.of(await start.execute(principal, data.password)))

    @post(
        "/confirm",
        status_code=HTTP_200_OK,
        summary="Activate MFA with a first code; answers the recovery codes, shown only here",
        responses=error_responses(400, 401, 403, 409, 422, 429),
    )
    @inject
    async def confirm(
        self, data: JSONBody[MfaCodeBody], principal: FromDishka[Principal], confirm: FromDishka[ConfirmMfaEnrolment]
    ) -> DataEnvelope[RecoveryCodesOut]:
        return DataEnvelope(data=RecoveryCodesOut(recovery_codes=await confirm.execute(principal, data.code)))

    @post(
        "/recovery-codes",
        status_code=HTTP_200_OK,
        summary="New recovery codes for a current code; the old ones stop working",
        responses=error_responses(400, 401, 403, 409, 422, 429),
    )
    @inject
    async def regenerate(
        self,
        data: JSONBody[MfaCodeBody],
        principal: FromDishka[Principal],
        regenerate: FromDishka[RegenerateRecoveryCodes],
    ) -> DataEnvelope[RecoveryCodesOut]:
        return DataEnvelope(data=RecoveryCodesOut(recovery_codes=await regenerate.execute(principal, data.code)))

    @post(
        "/disable",
        status_code=HTTP_204_NO_CONTENT,
        summary="Turn MFA off; needs the password and a current code",
        responses=error_responses(400, 401, 403, 409, 422, 429),
    )
    @inject
    async def disable(
        self, data: JSONBody[DisableMfaBody], principal: FromDishka[Principal], disable: FromDishka[DisableMfa]
    ) -> None:
        await disable.execute(principal, data.password, data.code)
