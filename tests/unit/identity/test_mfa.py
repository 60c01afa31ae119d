"""The MFA use cases on in-memory fakes: the rules the e2e tests do not reach one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest

from application.identity.api_keys import NewApiKey
from application.identity.login import Credentials, MfaChallenge
from application.identity.mfa_login import MfaAnswer
from application.identity.tokens import TokenPair
from domain.identity.errors import (
    InteractiveSessionRequiredError,
    InvalidCurrentPasswordError,
    InvalidMfaCodeError,
    InvalidTokenError,
    MfaAlreadyEnabledError,
    MfaEnrolmentRequiredError,
    MfaNotEnabledError,
    MfaRequiredError,
    RecentSignInRequiredError,
    TooManyAttemptsError,
)
from domain.identity.mfa import format_recovery_code, looks_like_totp, normalize_recovery_code
from domain.identity.models import AuditAction, TokenPurpose
from domain.identity.principal import Principal
from domain.identity.roles import ADMIN_ONLY, Permission, Role
from domain.shared.errors import NotFoundError, PermissionDeniedError
from tests.unit.identity_world import GOOD_PASSWORD, World


async def _session(world: World, email: str = "ann@example.org", role: Role = Role.MEMBER) -> Principal:
    _, pair = await world.signed_in(email, role)
    return await world.authenticate().execute(pair.access_token)


async def _enrolled(world: World, principal: Principal) -> list[str]:
    await world.start_mfa().execute(principal, GOOD_PASSWORD)
    return await world.confirm_mfa().execute(principal, world.totp.code_for(world.totp.step))


def _next_code(world: World) -> str:
    world.totp.step += 1
    return world.totp.code_for(world.totp.step)


async def _challenge(world: World, email: str = "ann@example.org") -> MfaChallenge:
    result = await world.login_step().execute(Credentials(email, GOOD_PASSWORD))
    assert isinstance(result, MfaChallenge)
    return result


def test_recovery_code_forms_and_the_admin_only_permissions() -> None:
    assert normalize_recovery_code(" ABCD-efgh ijkl ") == "abcdefghijkl"
    assert format_recovery_code("abcdefghijkl") == "abcd-efgh-ijkl"
    assert looks_like_totp("123 456")
    assert not looks_like_totp("12345a")
    # digits of other scripts are digits to str.isdigit() but no authenticator's code
    assert not looks_like_totp("\u0661\u0662\u0663\u0664\u0665\u0666")
    assert not looks_like_totp("\uff11\uff12\uff13\uff14\uff15\uff16")
    assert normalize_recovery_code("abcd-efgh-ijk\u0130") == ""
    assert {Permission.USERS_READ, Permission.USERS_WRITE, Permission.AUDIT_READ} == ADMIN_ONLY


def test_a_principal_that_must_enrol_keeps_only_non_admin_rights() -> None:
    admin = Principal(user_id=Principal.operator().user_id, role=Role.ADMIN, mfa_enrolment_required=True)
    assert not admin.acts_as_admin
    assert admin.can(Permission.DOCUMENTS_READ)
    with pytest.raises(MfaEnrolmentRequiredError):
        admin.require(Permission.AUDIT_READ)
    member = Principal(user_id=admin.user_id, role=Role.MEMBER, mfa_enrolment_required=True)
    with pytest.raises(PermissionDeniedError) as denied:
        member.require(Permission.USERS_READ)
    assert denied.value.code == "FORBIDDEN"  # what a member lacks is not waiting for enrolment


def test_only_sessions_of_accounts_with_mfa_are_asked_to_step_up() -> None:
    user = Principal.operator().user_id
    Principal(user_id=user, role=Role.MEMBER, session_id=user).require_recent_mfa()  # no MFA
    Principal(user_id=user, role=Role.MEMBER, api_key_id=user, mfa_enrolled=True).require_recent_mfa()  # a key
    Principal(user_id=user, role=Role.MEMBER, session_id=user, mfa_enrolled=True, mfa_recent=True).require_recent_mfa()
    with pytest.raises(MfaRequiredError):
        Principal(user_id=user, role=Role.MEMBER, session_id=user, mfa_enrolled=True).require_recent_mfa()


async def test_enrolment_states() -> None:
    world = World()
    ann = await _session(world)
    status = await world.mfa_status().execute(ann)
    assert (status.enabled, status.pending) == (False, False)
    with pytest.raises(MfaNotEnabledError):
        await world.confirm_mfa().execute(ann, "123456")
    setup = await world.start_mfa().execute(ann, GOOD_PASSWORD)
    assert setup.uri == "otpauth://totp/Lore:ann@example.org?secret=JBSWY3DPEHPK3PXP&issuer=Lore"
    assert (await world.mfa_status().execute(ann)).pending
    with pytest.raises(InvalidMfaCodeError):
        await world.confirm_mfa().execute(ann, "abcd-efgh-ijkl")  # no recovery codes before confirmation
    codes = await world.confirm_mfa().execute(ann, world.totp.code_for(world.totp.step))
    assert len(codes) == 10
    assert (await world.mfa_status().execute(ann)).recovery_codes_left == 10
    with pytest.raises(MfaAlreadyEnabledError):
        await world.confirm_mfa().execute(ann, "123456")
    with pytest.raises(MfaAlreadyEnabledError):
        await world.start_mfa().execute(ann, GOOD_PASSWORD)
    assert [e.action for e in world.audit.events if e.action is AuditAction.MFA_ENABLED] == [AuditAction.MFA_ENABLED]


async def test_mfa_management_needs_a_session() -> None:
    world = World()
    ann = await _session(world)
    key = await world.create_key().execute(ann, NewApiKey("ci", frozenset({Permission.DOCUMENTS_READ})))
    via_key = await world.authenticate().execute(key.secret)
    for call in (
        world.mfa_status().execute(via_key),
        world.start_mfa().execute(via_key, GOOD_PASSWORD),
        world.step_up().execute(via_key, "123456"),
        world.disable_mfa().execute(via_key, GOOD_PASSWORD, "123456"),
    ):
        with pytest.raises(InteractiveSessionRequiredError):
            await call


async def test_the_code_step_opens_a_session_proven_by_both_factors() -> None:
    world = World()
    ann = await _session(world)
    await _enrolled(world, ann)
    challenge = await _challenge(world)
    assert challenge.expires_in == 300
    pair = await world.complete_mfa_login().execute(MfaAnswer(challenge.token, _next_code(world)))
    session = world.sessions.rows[pair.session_id]
    assert session.amr == ("pwd", "otp")
    assert session.mfa_at == world.clock.now()
    principal = await world.authenticate().execute(pair.access_token)
    assert principal.mfa_enrolled
    assert principal.mfa_recent
    world.clock.advance(world.policy.mfa_step_up_max_age + timedelta(seconds=1))
    assert not (await world.authenticate().execute(pair.access_token)).mfa_recent


async def test_a_challenge_is_refused_when_the_account_changed_in_between() -> None:
    world = World()
    ann = await _session(world)
    await _enrolled(world, ann)
    with pytest.raises(InvalidTokenError):
        await world.complete_mfa_login().execute(MfaAnswer("unknown", "123456"))
    challenge = await _challenge(world)
    await world.reset_mfa().execute(Principal.operator(), ann.user_id)
    with pytest.raises(InvalidTokenError):  # MFA was reset: sign in again with the password alone
        await world.complete_mfa_login().execute(MfaAnswer(challenge.token, _next_code(world)))
    assert isinstance(await world.login_step().execute(Credentials("ann@example.org", GOOD_PASSWORD)), TokenPair)


async def test_a_challenge_spent_by_a_racing_answer_refuses_the_other() -> None:
    world = World()
    ann = await _session(world)
    await _enrolled(world, ann)
    challenge = await _challenge(world)
    # the other answer consumed the challenge between this one's check and its consume
    await world.tokens.consume(TokenPurpose.MFA_CHALLENGE, challenge.token)
    with pytest.raises(InvalidTokenError):
        await world.complete_mfa_login().execute(MfaAnswer(challenge.token, _next_code(world)))


def _purpose_and(challenge: MfaChallenge) -> tuple[object, str]:
    from domain.identity.models import TokenPurpose

    return TokenPurpose.MFA_CHALLENGE, challenge.token


async def test_recovery_codes_are_single_use_and_replaced_together() -> None:
    world = World()
    ann = await _session(world)
    codes = await _enrolled(world, ann)
    challenge = await _challenge(world)
    with pytest.raises(InvalidMfaCodeError):
        await world.complete_mfa_login().execute(MfaAnswer(challenge.token, "too-short"))
    await world.complete_mfa_login().execute(MfaAnswer(challenge.token, codes[0].upper()))
    assert (await world.mfa_status().execute(ann)).recovery_codes_left == 9
    fresh = await world.regenerate_codes().execute(ann, codes[1])
    assert (await world.mfa_status().execute(ann)).recovery_codes_left == 10
    with pytest.raises(InvalidMfaCodeError):
        await world.step_up().execute(ann, codes[2])
    await world.step_up().execute(ann, fresh[0])


async def test_disable_and_reset_rules() -> None:
    world = World()
    ann = await _session(world)
    root = await _session(world, "root@example.org", Role.ADMIN)
    member = await _session(world, "bob@example.org")
    with pytest.raises(MfaNotEnabledError):
        await world.disable_mfa().execute(ann, GOOD_PASSWORD, "123456")
    await _enrolled(world, ann)
    with pytest.raises(PermissionDeniedError):
        await world.reset_mfa().execute(member, ann.user_id)
    with pytest.raises(NotFoundError):
        await world.reset_mfa().execute(root, uuid4())
    await world.disable_mfa().execute(ann, GOOD_PASSWORD, _next_code(world))
    assert await world.mfa.get(ann.user_id) is None
    with pytest.raises(MfaNotEnabledError):
        await world.reset_mfa().execute(root, ann.user_id)


async def test_admin_api_keys_also_wait_for_enrolment_when_required() -> None:
    world = World()
    root = await _session(world, "root@example.org", Role.ADMIN)
    key = await world.create_key().execute(root, NewApiKey("ops", frozenset({Permission.USERS_READ})))
    world.policy = replace(world.policy, mfa_required_for_admins=True)  # turned on after the key was made
    root = await world.authenticate().execute(await _access_token(world, "root@example.org"))
    assert root.mfa_enrolment_required
    via_key = await world.authenticate().execute(key.secret)
    with pytest.raises(MfaEnrolmentRequiredError):
        via_key.require(Permission.USERS_READ)
    await _enrolled(world, root)
    assert (await world.authenticate().execute(key.secret)).can(Permission.USERS_READ)


async def _access_token(world: World, email: str) -> str:
    return (await world.login().execute(Credentials(email, GOOD_PASSWORD))).access_token


async def test_enrolment_needs_the_password_and_wrong_ones_are_throttled() -> None:
    world = World()
    ann = await _session(world)
    for wrong in (None, "not the password"):
        with pytest.raises(InvalidCurrentPasswordError):
            await world.start_mfa().execute(ann, wrong)
    assert await world.mfa.get(ann.user_id) is None
    for _ in range(world.policy.login_account_limit - 2):  # counted with the two above
        with pytest.raises(InvalidCurrentPasswordError):
            await world.start_mfa().execute(ann, "still not it")
    with pytest.raises(TooManyAttemptsError):
        await world.start_mfa().execute(ann, GOOD_PASSWORD)


async def test_an_account_without_a_password_enrols_only_soon_after_signing_in() -> None:
    world = World()
    _, pair = await world.signed_in()
    user = await world.users.get_by_email("ann@example.org")
    assert user is not None
    world.users.rows[user.id] = user.with_changes(password_hash=None)  # as an OIDC sign-in makes it
    world.clock.advance(world.policy.mfa_step_up_max_age + timedelta(seconds=1))
    pair = await world.refresh_tokens().execute(pair.refresh_token)  # refreshing is not signing in again
    stale = await world.authenticate().execute(pair.access_token)
    with pytest.raises(RecentSignInRequiredError):
        await world.start_mfa().execute(stale, GOOD_PASSWORD)
    with pytest.raises(RecentSignInRequiredError):  # no session to look at
        await world.start_mfa().execute(replace(stale, session_id=uuid4()), None)
    fresh_pair = await world.issuer.start(user, ip_address=None, user_agent=None, amr=("fed",))
    fresh = await world.authenticate().execute(fresh_pair.access_token)
    assert (await world.start_mfa().execute(fresh, None)).secret
