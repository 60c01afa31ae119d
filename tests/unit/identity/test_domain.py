from __future__ import annotations

from uuid import uuid4

import pytest

from domain.identity.errors import InteractiveSessionRequiredError, WeakPasswordError
from domain.identity.models import normalize_display_name, normalize_email
from domain.identity.passwords import PasswordPolicy
from domain.identity.principal import Principal
from domain.identity.roles import Permission, Role, permissions_of, roles_granting
from domain.shared.errors import PermissionDeniedError, ValidationError

POLICY = PasswordPolicy(frozenset({"password123", "qwertyuiop"}))


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short12", "too_short"), ("x" * 129, "too_long"), ("PASSWORD123", "common"), ("ann@example.org", "is_email")],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPasswordError) as caught:
        POLICY.check(password, email="ann@example.org")
    assert caught.value.code == "WEAK_PASSWORD"
    assert caught.value.details == {"reason": reason}


@pytest.mark.parametrize("password", ["8 chars!", "y" * 128, "ünïcödé pässwörd"])
def test_acceptable_passwords(password: str) -> None:
    POLICY.check(password, email="ann@example.org")


def test_email_is_normalised_and_validated() -> None:
    assert normalize_email("  Ann@Example.ORG ") == "ann@example.org"
    for bad in ["", "ann", "ann@", "@example.org", "a b@example.org", "a@b", "x" * 250 + "@example.org"]:
        with pytest.raises(ValidationError):
            normalize_email(bad)


def test_display_name_is_trimmed_and_bounded() -> None:
    assert normalize_display_name("  Ann   Lee ") == "Ann Lee"
    with pytest.raises(ValidationError):
        normalize_display_name("   ")
    with pytest.raises(ValidationError):
        normalize_display_name("n" * 101)


def test_permission_table() -> None:
    assert permissions_of(Role.ADMIN) == frozenset(Permission)
    assert Permission.USERS_READ not in permissions_of(Role.EDITOR)
    assert Permission.DOCUMENTS_WRITE in permissions_of(Role.EDITOR)
    assert permissions_of(Role.MEMBER) == {
        Permission.DOCUMENTS_READ,
        Permission.DOCUMENTS_WRITE,
        Permission.COLLECTIONS_MANAGE,
        Permission.ASSISTANT_USE,
        Permission.WEBHOOKS_MANAGE,  # one's own endpoints, hearing only what one may read
    }
    assert Permission.COLLECTIONS_CREATE not in permissions_of(Role.MEMBER)
    assert roles_granting(Permission.COLLECTIONS_CREATE) == [Role.ADMIN, Role.EDITOR]
    assert roles_granting(Permission.AUDIT_READ) == [Role.ADMIN]


def test_a_denial_names_the_roles_that_grant_the_permission() -> None:
    member = Principal(uuid4(), Role.MEMBER, session_id=uuid4())
    with pytest.raises(PermissionDeniedError) as denied:
        member.require(Permission.COLLECTIONS_CREATE)
    assert denied.value.message == "You need the 'collections:create' permission (roles: admin, editor)."
    assert denied.value.details == {"permission": "collections:create", "required_roles": ["admin", "editor"]}


def test_a_key_denial_names_the_missing_scope_unless_the_role_lacks_it_too() -> None:
    key = Principal(uuid4(), Role.EDITOR, api_key_id=uuid4(), scopes=frozenset({Permission.DOCUMENTS_READ}))
    with pytest.raises(PermissionDeniedError) as denied:
        key.require(Permission.COLLECTIONS_MANAGE)
    assert denied.value.message == "This API key lacks the 'collections:manage' scope."
    assert denied.value.details == {"permission": "collections:manage", "missing_scope": "collections:manage"}
    with pytest.raises(PermissionDeniedError) as beyond_role:
        key.require(Permission.USERS_READ)
    assert beyond_role.value.details == {"permission": "users:read", "required_roles": ["admin"]}


def test_api_key_principal_never_exceeds_its_owner() -> None:
    scopes = frozenset({Permission.USERS_READ, Permission.DOCUMENTS_READ})
    demoted = Principal(uuid4(), Role.MEMBER, api_key_id=uuid4(), scopes=scopes)
    assert demoted.permissions == {Permission.DOCUMENTS_READ}
    with pytest.raises(PermissionDeniedError):
        demoted.require(Permission.USERS_READ)
    with pytest.raises(InteractiveSessionRequiredError):
        demoted.require_interactive()


def test_session_principal_has_all_role_permissions() -> None:
    principal = Principal(uuid4(), Role.EDITOR, session_id=uuid4())
    principal.require(Permission.DOCUMENTS_WRITE)
    principal.require_interactive()
    assert principal.can(Permission.COLLECTIONS_CREATE)
    assert not principal.can(Permission.AUDIT_READ)


def test_operator_is_an_admin_who_is_no_user() -> None:
    operator = Principal.operator()
    assert operator.role is Role.ADMIN
    assert operator.user_id.int == 0


def test_only_an_admin_with_full_rights_acts_as_admin() -> None:
    assert Principal(uuid4(), Role.ADMIN).acts_as_admin
    assert Principal.operator().acts_as_admin
    assert not Principal(uuid4(), Role.EDITOR).acts_as_admin
    # an admin's key scoped to reading documents cannot see every collection
    scoped = Principal(uuid4(), Role.ADMIN, api_key_id=uuid4(), scopes=frozenset({Permission.DOCUMENTS_READ}))
    assert not scoped.acts_as_admin
