"""/api/v1/users: the caller's profile and, for admins, user management."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from application.identity.mfa import ResetUserMfa
from application.identity.passwords import ChangePassword
from application.identity.ports import USER_SORTS, UserQuery
from application.identity.users import DeleteUser, GetMe, GetUser, ListUsers, UpdateMe, UpdateUser, UserChanges
from domain.identity.principal import Principal
from domain.identity.roles import Role
from entrypoints.http.errors import error_responses
from entrypoints.http.identity_schemas import ChangePasswordBody, UpdateMeBody, UpdateUserBody, UserOut
from entrypoints.http.pagination import Limit, ListEnvelope, Offset, meta, page_request, sort_by
from entrypoints.http.request_mapping import USER_Q_MAX
from entrypoints.http.schemas import DataEnvelope
from entrypoints.http.text_rules import SINGLE_LINE


class UsersController(Controller):
    path = "/users"
    tags = ["users"]  # noqa: RUF012 - litestar's declared type

    @get("/me", summary="The caller's profile", responses=error_responses(401))
    @inject
    async def me(self, principal: FromDishka[Principal], get_me: FromDishka[GetMe]) -> DataEnvelope[UserOut]:
        return DataEnvelope(data=UserOut.of(await get_me.execute(principal), principal))

    @patch("/me", summary="Update the caller's display name", responses=error_responses(400, 401, 403, 422))
    @inject
    async def update_me(
        self, data: JSONBody[UpdateMeBody], principal: FromDishka[Principal], update: FromDishka[UpdateMe]
    ) -> DataEnvelope[UserOut]:
        user = await update.execute(principal, display_name=data.display_name)
        return DataEnvelope(data=UserOut.of(user, principal))

    @post(
        "/me/password",
        status_code=HTTP_204_NO_CONTENT,
        summary="Change the password; the caller's other sessions end",
        responses=error_responses(400, 401, 403, 422, 429),
    )
    @inject
    async def change_password(
        self, data: JSONBody[ChangePasswordBody], principal: FromDishka[Principal], change: FromDishka[ChangePassword]
    ) -> None:
        await change.execute(principal, data.current_password, data.new_password)

    @get("/", summary="List users (admin)", responses=error_responses(401, 403, 422))
    @inject
    async def list_users(
        self,
        principal: FromDishka[Principal],
        list_users: FromDishka[ListUsers],
        limit: Limit = 20,
        offset: Offset = 0,
        sort: Annotated[str, sort_by(USER_SORTS)] = "-created_at",
        role: FromQuery[Role | None] = None,
        is_active: Annotated[bool | None, QueryParameter(name="active")] = None,
        q: str | None = Parameter(default=None, max_length=USER_Q_MAX, pattern=SINGLE_LINE),
    ) -> ListEnvelope[UserOut]:
        query = UserQuery(page=page_request(limit, offset, sort, USER_SORTS), role=role, is_active=is_active, q=q)
        page = await list_users.execute(principal, query)
        return ListEnvelope(data=[UserOut.of(user, principal) for user in page.items], meta=meta(page))

    @get("/{user_id:uuid}", summary="One user (admin)", responses=error_responses(401, 403, 404))
    @inject
    async def get_user(
        self, user_id: FromPath[UUID], principal: FromDishka[Principal], get_user: FromDishka[GetUser]
    ) -> DataEnvelope[UserOut]:
        return DataEnvelope(data=UserOut.of(await get_user.execute(principal, user_id), principal))

    @patch(
        "/{user_id:uuid}",
        summary="Change role, active state or name (admin); deactivation ends sessions and keys",
        responses=error_responses(400, 401, 403, 404, 409, 422),
    )
    @inject
    async def update_user(
        self,
        user_id: FromPath[UUID],
        data: JSONBody[UpdateUserBody],
        principal: FromDishka[Principal],
        update: FromDishka[UpdateUser],
    ) -> DataEnvelope[UserOut]:
        changes = UserChanges(role=data.role, is_active=data.is_active, display_name=data.display_name)
        return DataEnvelope(data=UserOut.of(await update.execute(principal, user_id, changes), principal))

    @delete("/{user_id:uuid}", summary="Delete a user (admin)", responses=error_responses(401, 403, 404, 409))
    @inject
    async def delete_user(
        self, user_id: FromPath[UUID], principal: FromDishka[Principal], delete_user: FromDishka[DeleteUser]
    ) -> None:
        await delete_user.execute(principal, user_id)

    @delete(
        "/{user_id:uuid}/mfa",
        summary="Remove a user's MFA (admin), e.g. after a lost device; audited",
        responses=error_responses(401, 403, 404, 409),
    )
    @inject
    async def reset_mfa(
        self, user_id: FromPath[UUID], principal: FromDishka[Principal], reset: FromDishka[ResetUserMfa]
    ) -> None:
        await reset.execute(principal, user_id)
