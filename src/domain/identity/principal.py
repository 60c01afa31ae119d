"""Who is calling, and what they may do: the single place permissions are decided."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.identity.errors import InteractiveSessionRequiredError, MfaEnrolmentRequiredError, MfaRequiredError
from domain.identity.roles import ADMIN_ONLY, Permission, Role, permissions_of, roles_granting
from domain.shared.errors import PermissionDeniedError

OPERATOR_ID = UUID(int=0)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    role: Role
    session_id: UUID | None = None
    api_key_id: UUID | None = None
    # an API key's scopes; None for a signed-in session (all of the role's permissions)
    scopes: frozenset[Permission] | None = None
    # the account has an active TOTP enrolment
    mfa_enrolled: bool = False
    # the session passed a second factor within the step-up window (always False for API keys)
    mfa_recent: bool = False
    # an admin without MFA while MFA_REQUIRED_FOR_ADMINS is on: admin-only permissions wait for enrolment
    mfa_enrolment_required: bool = False

    @property
    def permissions(self) -> frozenset[Permission]:
        granted = permissions_of(self.role)
        if self.mfa_enrolment_required:
            granted -= ADMIN_ONLY
        # a key never exceeds its owner's current rights, even after a demotion
        return granted if self.scopes is None else granted & self.scopes

    @property
    def acts_as_admin(self) -> bool:
        """An admin with full rights: sees every collection and job (an API key scoped below users:write does not)."""
        return self.role is Role.ADMIN and self.can(Permission.USERS_WRITE)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """403 that says what is missing: the role's permission, or else the API key's scope."""
        if self.can(permission):
            return
        if self.mfa_enrolment_required and permission in ADMIN_ONLY and permission in permissions_of(self.role):
            raise MfaEnrolmentRequiredError(details={"permission": permission.value})
        if permission in permissions_of(self.role):  # the role has it, so only the key's scopes lack it
            raise PermissionDeniedError(
                f"This API key lacks the '{permission.value}' scope.",
                details={"permission": permission.value, "missing_scope": permission.value},
            )
        roles = [role.value for role in roles_granting(permission)]
        raise PermissionDeniedError(
            f"You need the '{permission.value}' permission (roles: {', '.join(roles)}).",
            details={"permission": permission.value, "required_roles": roles},
        )

    def require_interactive(self) -> None:
        """Account management (passwords, sessions, keys) is for a person, never for an API key."""
        if self.api_key_id is not None:
            raise InteractiveSessionRequiredError()

    def require_recent_mfa(self) -> None:
        """Step-up for sensitive actions: a session of an account with MFA must have passed it recently.

        API keys are not asked (they have no session to step up, and creating one needed a recent MFA).
        """
        if self.session_id is not None and self.mfa_enrolled and not self.mfa_recent:
            raise MfaRequiredError()

    @classmethod
    def operator(cls) -> Principal:
        """The trusted operator at the CLI: acts with admin rights and is nobody's user."""
        return cls(user_id=OPERATOR_ID, role=Role.ADMIN)

    def is_self(self, user_id: UUID) -> bool:
        return self.user_id == user_id
