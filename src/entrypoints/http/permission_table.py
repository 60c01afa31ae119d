"""Who may call each HTTP operation: the one table the API's guard enforces and the README shows.

An operation is ``(method, path template)`` exactly as in the OpenAPI document. The app refuses to start
when an API route has no row here, so a new endpoint cannot ship without a rule. Collection roles are
listed for the reader and checked by the use cases, which are the ones that load the collection.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from domain.identity.principal import Principal
from domain.identity.roles import ROLE_PERMISSIONS, Permission, Role
from domain.knowledge.models import CollectionRole

Operation = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Rule:
    permissions: frozenset[Permission] = frozenset()  # all of them: the role's, and the key's scopes
    public: bool = False  # no credentials at all
    interactive: bool = False  # a signed-in session; API keys are refused whatever their scopes
    collection_role: CollectionRole | None = None  # the least role in the collection (admins need none)
    note: str = ""

    def check(self, principal: Principal) -> None:
        if self.interactive:
            principal.require_interactive()
        for permission in Permission:  # in declaration order, so the same permission is named every time
            if permission in self.permissions:
                principal.require(permission)

    @property
    def access(self) -> str:
        """One sentence for the OpenAPI description."""
        parts = [self.needs]
        if self.collection_role is not None:
            parts.append(f"collection role `{self.collection_role.value}` or higher")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts) + "."

    @property
    def needs(self) -> str:
        if self.public:
            return "public"
        if self.interactive:
            return "signed-in session (no API key)"
        if not self.permissions:
            return "any signed-in caller or API key"
        return " + ".join(f"`{p.value}`" for p in Permission if p in self.permissions)


PUBLIC = Rule(public=True)
SIGNED_IN = Rule()
SESSION = Rule(interactive=True)


def needs(*permissions: Permission, role: CollectionRole | None = None, note: str = "") -> Rule:
    return Rule(permissions=frozenset(permissions), collection_role=role, note=note)


_READ = Permission.DOCUMENTS_READ
_WRITE = Permission.DOCUMENTS_WRITE
_MANAGE = Permission.COLLECTIONS_MANAGE
_ASSIST = Permission.ASSISTANT_USE
_HOOKS = Permission.WEBHOOKS_MANAGE
_OWN_HOOK = "own endpoints; admins: anyone's"
_VIEWER, _EDITOR, _OWNER = CollectionRole.VIEWER, CollectionRole.EDITOR, CollectionRole.OWNER

OPERATIONS: dict[Operation, Rule] = {
    ("GET", "/health/live"): PUBLIC,
    ("GET", "/health/ready"): PUBLIC,
    ("GET", "/.well-known/jwks.json"): Rule(public=True, note="the public keys that verify access tokens"),
    # identity
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/verify-email"): PUBLIC,
    ("POST", "/api/v1/auth/verify-email/resend"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): Rule(public=True, note="the refresh token is the credential"),
    ("POST", "/api/v1/auth/logout"): Rule(public=True, note="the refresh token is the credential"),
    ("POST", "/api/v1/auth/password/forgot"): PUBLIC,
    ("POST", "/api/v1/auth/password/reset"): Rule(public=True, note="the reset token is the credential"),
    ("POST", "/api/v1/auth/login/mfa"): Rule(public=True, note="the MFA challenge of /auth/login is the credential"),
    ("POST", "/api/v1/auth/step-up"): Rule(interactive=True, note="an account with MFA"),
    ("POST", "/api/v1/auth/logout-all"): SESSION,
    ("GET", "/api/v1/auth/sessions"): SESSION,
    ("DELETE", "/api/v1/auth/sessions/{session_id}"): SESSION,
    ("GET", "/api/v1/auth/oidc/providers"): PUBLIC,
    ("GET", "/api/v1/auth/oidc/{provider}/start"): PUBLIC,
    ("GET", "/api/v1/auth/oidc/{provider}/callback"): Rule(
        public=True, note="the state and the browser cookie of the start are the credential"
    ),
    ("POST", "/api/v1/auth/oidc/{provider}/link"): SESSION,
    ("GET", "/api/v1/users/me/identities"): SESSION,
    ("DELETE", "/api/v1/users/me/identities/{identity_id}"): Rule(interactive=True, note="not the last way to sign in"),
    ("GET", "/api/v1/users/me"): SIGNED_IN,
    ("PATCH", "/api/v1/users/me"): SESSION,
    ("POST", "/api/v1/users/me/password"): Rule(interactive=True, note="a recent second factor when MFA is on"),
    ("GET", "/api/v1/users/me/mfa"): SESSION,
    ("POST", "/api/v1/users/me/mfa"): Rule(
        interactive=True, note="the password; without one, a sign-in within MFA_STEP_UP_SECONDS"
    ),
    ("POST", "/api/v1/users/me/mfa/confirm"): SESSION,
    ("POST", "/api/v1/users/me/mfa/recovery-codes"): Rule(interactive=True, note="a current code"),
    ("POST", "/api/v1/users/me/mfa/disable"): Rule(interactive=True, note="the password and a current code"),
    ("GET", "/api/v1/users"): needs(Permission.USERS_READ),
    ("GET", "/api/v1/users/{user_id}"): needs(Permission.USERS_READ),
    ("PATCH", "/api/v1/users/{user_id}"): needs(
        Permission.USERS_WRITE, note="a role change needs a recent second factor when MFA is on"
    ),
    ("DELETE", "/api/v1/users/{user_id}"): needs(Permission.USERS_WRITE),
    ("DELETE", "/api/v1/users/{user_id}/mfa"): needs(
        Permission.USERS_WRITE, note="a recent second factor when MFA is on"
    ),
    ("POST", "/api/v1/api-keys"): Rule(
        interactive=True, note="scopes within the caller's role; a recent second factor when MFA is on"
    ),
    ("GET", "/api/v1/api-keys"): SESSION,
    ("DELETE", "/api/v1/api-keys/{key_id}"): Rule(interactive=True, note="own keys; `users:write`: anyone's"),
    ("GET", "/api/v1/audit-events"): needs(Permission.AUDIT_READ),
    ("GET", "/api/v1/admin/status"): needs(Permission.AUDIT_READ, note="operators' view of the workers"),
    # knowledge
    ("POST", "/api/v1/collections"): needs(Permission.COLLECTIONS_CREATE, note="the caller becomes its owner"),
    ("GET", "/api/v1/collections"): needs(_READ, note="admins see every collection"),
    ("GET", "/api/v1/collections/{collection_id}"): needs(_READ, role=_VIEWER),
    ("PATCH", "/api/v1/collections/{collection_id}"): needs(_READ, _MANAGE, role=_OWNER),
    ("DELETE", "/api/v1/collections/{collection_id}"): needs(_READ, _MANAGE, role=_OWNER),
    ("GET", "/api/v1/collections/{collection_id}/members"): needs(_READ, role=_VIEWER),
    ("PUT", "/api/v1/collections/{collection_id}/members/{user_id}"): needs(_READ, _MANAGE, role=_OWNER),
    ("DELETE", "/api/v1/collections/{collection_id}/members/{user_id}"): needs(
        _READ, _MANAGE, role=_OWNER, note="any member may remove themself"
    ),
    ("POST", "/api/v1/collections/{collection_id}/documents"): needs(_READ, _WRITE, role=_EDITOR),
    ("GET", "/api/v1/collections/{collection_id}/documents"): needs(_READ, role=_VIEWER),
    ("GET", "/api/v1/documents/{document_id}"): needs(_READ, role=_VIEWER),
    ("PATCH", "/api/v1/documents/{document_id}"): needs(_READ, _WRITE, role=_EDITOR),
    ("DELETE", "/api/v1/documents/{document_id}"): needs(_READ, _WRITE, role=_EDITOR),
    ("GET", "/api/v1/documents/{document_id}/chunks"): needs(_READ, role=_VIEWER),
    ("GET", "/api/v1/documents/{document_id}/original"): needs(_READ, role=_VIEWER),
    ("POST", "/api/v1/search"): needs(_READ, note="only collections the caller can read"),
    # assistant
    ("POST", "/api/v1/ask"): needs(_ASSIST, _READ, note="only collections the caller can read"),
    ("GET", "/api/v1/usage"): needs(_ASSIST),
    ("POST", "/api/v1/conversations"): needs(_ASSIST, _READ),
    ("GET", "/api/v1/conversations"): needs(_ASSIST, note="the caller's own"),
    ("GET", "/api/v1/conversations/{conversation_id}"): needs(_ASSIST, note="the caller's own"),
    ("DELETE", "/api/v1/conversations/{conversation_id}"): needs(_ASSIST, note="the caller's own"),
    ("POST", "/api/v1/conversations/{conversation_id}/messages"): needs(_ASSIST, _READ, note="the caller's own"),
    ("POST", "/api/v1/documents/{document_id}/summarize"): needs(_ASSIST, _READ, role=_VIEWER),
    ("GET", "/api/v1/jobs/{job_id}"): needs(_ASSIST, _READ, note="the caller's own"),
    # webhooks: each endpoint hears only events its owner may read now
    ("POST", "/api/v1/webhooks"): needs(_HOOKS, note="admins may register one for another user"),
    ("GET", "/api/v1/webhooks"): needs(_HOOKS, note="the caller's own; admins see all"),
    ("GET", "/api/v1/webhooks/{webhook_id}"): needs(_HOOKS, note=_OWN_HOOK),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): needs(_HOOKS, note=_OWN_HOOK),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): needs(_HOOKS, note=_OWN_HOOK),
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): needs(_HOOKS, note=_OWN_HOOK),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): needs(_HOOKS, note=_OWN_HOOK),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/attempts"): needs(_HOOKS, note=_OWN_HOOK),
    ("POST", "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): needs(_HOOKS, note=_OWN_HOOK),
}

# WebSocket routes are not in the OpenAPI document: their handler checks the rule once the credentials arrive
# (a subprotocol or the first message), and API-key scopes count as for HTTP
WEBSOCKETS: dict[str, Rule] = {
    "/api/v1/events": needs(
        _READ, note="WebSocket; only events the caller may see (job and conversation events need `assistant:use`)"
    ),
}


def rule_for(method: str, path_template: str) -> Rule | None:
    return OPERATIONS.get((method, path_template))


def markdown() -> str:
    """The README's "Permissions" tables, generated so they cannot drift from the code."""
    lines = ["| Role | Permissions |", "| --- | --- |"]
    for role in Role:
        granted = ", ".join(f"`{p.value}`" for p in Permission if p in ROLE_PERMISSIONS[role])
        lines.append(f"| `{role.value}` | {granted} |")
    lines += [
        "",
        "An API key holds any of these scopes that its owner's role grants: "
        + ", ".join(f"`{p.value}`" for p in Permission)
        + ".",
        "",
        "| Operation | Needs | Collection role | Note |",
        "| --- | --- | --- | --- |",
    ]
    for (method, path), rule in OPERATIONS.items():
        least = f"`{rule.collection_role.value}`" if rule.collection_role else ""
        lines.append(f"| `{method} {path}` | {rule.needs} | {least} | {rule.note} |")
    for path, rule in WEBSOCKETS.items():
        lines.append(f"| `GET {path}` | {rule.needs} | | {rule.note} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m entrypoints.http.permission_table` prints the tables
    sys.stdout.write(markdown())
