"""`lore users ...` and `lore api-keys ...`: operator commands running the same use cases as the API."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

import click

from domain.identity.roles import Permission, Role
from entrypoints.cli.terminal import safe

if TYPE_CHECKING:  # types only: `--help` imports neither dishka nor the use cases
    from dishka import AsyncContainer

    from application.identity.users import UserChanges
    from domain.identity.models import User
    from entrypoints.bootstrap.settings import Settings

# The use cases are imported inside the commands: `lore --help` and a command's `--help` need none of them.

T = TypeVar("T")

ROLES = click.Choice([role.value for role in Role])
SCOPES = click.Choice([permission.value for permission in Permission])


def run(operation: Callable[[AsyncContainer], Awaitable[T]], *, lean: bool = False, reads: bool = False) -> T:
    """Run one operation on the configured (or embedded) stores, turning rule violations and unreachable stores
    into one line (exit 1).

    ``lean``: the operation needs only the database and the identity store (`users`, `api-keys`), so it
    gets a container that imports neither Redis, the queue nor the other modules' adapters.
    ``reads``: it only lists users or keys, so it gets one on asyncpg alone that does not import SQLAlchemy.
    """
    lean = lean or reads
    import asyncio

    from domain.shared.errors import DomainError
    from entrypoints.bootstrap.settings import SettingsError, load_settings
    from entrypoints.bootstrap.stores import resolved_stores  # imported here: `--help` needs none of it

    try:
        base = load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None
    with resolved_stores(base, redis=not lean) as settings:
        try:
            return asyncio.run(_with_container(settings, operation, lean=lean, reads=reads))
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from None
        except Exception as exc:
            # a store the operation reads directly (Redis for `lore status`) raises its driver's error
            from entrypoints.bootstrap.outages import failed_dependency, unavailable

            if (dependency := failed_dependency(exc)) is None:
                raise
            down = unavailable(dependency)
            raise click.ClickException(f"{down.code}: {down.message}") from None


async def _with_container(
    settings: Settings, operation: Callable[[AsyncContainer], Awaitable[T]], *, lean: bool, reads: bool
) -> T:
    if reads:
        from entrypoints.bootstrap.operator_reads import build_operator_reads_container

        container = build_operator_reads_container(settings)
    elif lean:
        from entrypoints.bootstrap.operator_container import build_operator_container

        container = build_operator_container(settings)
    else:
        from entrypoints.bootstrap.container import build_container

        container = build_container(settings)
    try:
        return await operation(container)
    finally:
        await container.close()


async def user_by_email(container: AsyncContainer, email: str) -> User:
    from application.identity.ports import UserDirectory
    from domain.identity.models import normalize_email

    async with container() as scope:
        repository: UserDirectory = await scope.get(UserDirectory)
        user = await repository.get_by_email(normalize_email(email))
    if user is None:
        raise click.ClickException(f"no user with email {email}")
    return user


def _print_user(user: User) -> None:
    state = "active" if user.is_active else "inactive"
    verified = "verified" if user.is_verified else "unverified"
    email, name = safe(user.email), safe(user.display_name)
    click.echo(f"{user.id}  {email:<40} {user.role.value:<7} {state:<8} {verified:<10} {name}")


@click.group()
def users() -> None:
    """Manage user accounts."""


@users.command(name="create")
@click.option("--email", required=True, help="Sign-in email address.")
@click.option("--display-name", default=None, help="Shown name (defaults to the part before @).")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user an admin.")
@click.option("--role", type=ROLES, default=None, help="Role (default member; --admin means admin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of prompting.")
def create_user(email: str, display_name: str | None, is_admin: bool, role: str | None, password_stdin: bool) -> None:
    """Create a verified account, e.g. the first admin."""
    from application.identity.accounts import NewAccount
    from application.identity.users import CreateUser

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    chosen = Role.ADMIN if is_admin else Role(role or Role.MEMBER.value)
    account = NewAccount(
        email=email,
        password=password,
        display_name=display_name or email.split("@", maxsplit=1)[0],
        role=chosen,
        verified=True,
    )

    async def operation(container: AsyncContainer) -> User:
        async with container() as scope:
            return await (await scope.get(CreateUser)).execute(account)

    user = run(operation, lean=True)
    click.echo(f"created {user.role.value} {user.email} ({user.id})")


@users.command(name="list")
@click.option("--role", type=ROLES, default=None)
@click.option("--active/--inactive", "active", default=None, help="Only active or only inactive users.")
@click.option("-q", "query", default=None, help="Match email or display name.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100))
def list_users(role: str | None, active: bool | None, query: str | None, limit: int) -> None:
    """List users."""
    from application.identity.ports import UserQuery
    from application.identity.users import ListUsers
    from application.shared.ports import PageRequest
    from domain.identity.principal import Principal

    user_query = UserQuery(
        page=PageRequest(limit=limit, sort="email"), role=Role(role) if role else None, is_active=active, q=query
    )

    async def operation(container: AsyncContainer) -> list[User]:
        async with container() as scope:
            return (await (await scope.get(ListUsers)).execute(Principal.operator(), user_query)).items

    for user in run(operation, reads=True):
        _print_user(user)


def _change(email: str, changes: UserChanges) -> User:
    from application.identity.users import UpdateUser
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> User:
        user = await user_by_email(container, email)
        async with container() as scope:
            return await (await scope.get(UpdateUser)).execute(Principal.operator(), user.id, changes)

    return run(operation, lean=True)


@users.command(name="set-role")
@click.argument("email")
@click.argument("role", type=ROLES)
def set_role(email: str, role: str) -> None:
    """Change a user's role."""
    from application.identity.users import UserChanges

    user = _change(email, UserChanges(role=Role(role)))
    click.echo(f"{user.email} is now {user.role.value}")


@users.command()
@click.argument("email")
def deactivate(email: str) -> None:
    """Deactivate a user: their sessions and API keys stop working at once."""
    from application.identity.users import UserChanges

    user = _change(email, UserChanges(is_active=False))
    click.echo(f"{user.email} deactivated")


@users.command(name="reset-mfa")
@click.argument("email")
def reset_mfa(email: str) -> None:
    """Remove a user's MFA (a lost device and lost recovery codes); audited.

    They sign in with the password alone and may enrol again.
    """
    from application.identity.mfa import ResetUserMfa
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> str:
        user = await user_by_email(container, email)
        async with container() as scope:
            await (await scope.get(ResetUserMfa)).execute(Principal.operator(), user.id)
        return user.email

    click.echo(f"{run(operation, lean=True)}: MFA removed")


@click.group(name="api-keys")
def api_keys() -> None:
    """Manage API keys."""


@api_keys.command(name="create")
@click.option("--email", required=True, help="Owner of the key.")
@click.option("--name", required=True, help="What the key is for.")
@click.option("--scope", "scopes", type=SCOPES, multiple=True, required=True, help="Repeat for several scopes.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None)
def create_key(email: str, name: str, scopes: tuple[str, ...], expires_in_days: int | None) -> None:
    """Create a key for a user; prints the secret once."""
    from application.identity.api_keys import CreateApiKey, NewApiKey
    from domain.identity.principal import Principal

    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    request = NewApiKey(name=name, scopes=frozenset(Permission(s) for s in scopes), expires_at=expires_at)

    async def operation(container: AsyncContainer) -> str:
        owner = await user_by_email(container, email)
        async with container() as scope:
            created = await (await scope.get(CreateApiKey)).execute(Principal(owner.id, owner.role), request)
        return f"{created.key.id}  {created.secret}"

    click.echo(run(operation, lean=True))
    click.echo("store the secret now: it is not shown again", err=True)


@api_keys.command(name="list")
@click.option("--email", required=True, help="Owner of the keys.")
def list_keys(email: str) -> None:
    """List a user's keys (never the secrets)."""
    from application.identity.api_keys import ListApiKeys
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> list[str]:
        owner = await user_by_email(container, email)
        async with container() as scope:
            keys = await (await scope.get(ListApiKeys)).execute(Principal.operator(), owner.id)
        return [
            f"{key.id}  lore_{key.prefix}  {safe(key.name):<30} {','.join(sorted(key.scopes))}"
            f"  {'revoked' if key.revoked_at else 'active'}"
            for key in keys
        ]

    for line in run(operation, reads=True):
        click.echo(line)


@api_keys.command(name="revoke")
@click.argument("key_id", type=click.UUID)
def revoke_key(key_id: UUID) -> None:
    """Revoke a key."""
    from application.identity.api_keys import RevokeApiKey
    from domain.identity.principal import Principal

    async def operation(container: AsyncContainer) -> None:
        async with container() as scope:
            await (await scope.get(RevokeApiKey)).execute(Principal.operator(), key_id)

    run(operation, lean=True)
    click.echo(f"revoked {key_id}")
