"""The OIDC use cases on in-memory fakes: the account-matching rules the e2e tests do not reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import uuid4

import pytest

from application.identity.accounts import NewAccount
from application.identity.mfa_login import MfaAnswer
from application.identity.oidc import (
    Callback,
    FinishOidcSignIn,
    ListIdentities,
    ListOidcProviders,
    OidcIntent,
    StartOidcSignIn,
    UnlinkIdentity,
)
from application.identity.ports import AuthorizationRequest, OidcProviderInfo, PendingSignIn, ProviderClaims
from domain.identity.errors import (
    AccountDisabledError,
    InteractiveSessionRequiredError,
    OidcEmailMissingError,
    OidcIdTokenError,
    OidcProviderError,
    OidcStateError,
)
from domain.identity.principal import Principal
from domain.identity.roles import Role
from domain.shared.errors import NotFoundError
from tests.support.identity_fakes import POLICY
from tests.unit.identity_world import GOOD_PASSWORD, World


@dataclass
class FakeProvider:
    claims_to_give: ProviderClaims = field(
        default_factory=lambda: ProviderClaims("sub-1", "ann@example.org", True, "Ann")
    )
    requests: list[AuthorizationRequest] = field(default_factory=list)
    refuse_token: bool = False

    @property
    def info(self) -> OidcProviderInfo:
        return OidcProviderInfo("idp", "The IdP")

    async def authorization_url(self, request: AuthorizationRequest) -> str:
        self.requests.append(request)
        return f"https://idp.example.org/authorize?state={request.state}"

    async def claims(self, code: str, request: AuthorizationRequest) -> ProviderClaims:
        if self.refuse_token:
            raise OidcIdTokenError(details={"reason": "nonce"})
        return self.claims_to_give


@dataclass
class FakeProviders:
    provider: FakeProvider = field(default_factory=FakeProvider)

    def list(self) -> list[OidcProviderInfo]:
        return [self.provider.info]

    def get(self, name: str) -> FakeProvider | None:
        return self.provider if name == "idp" else None


@dataclass
class InMemoryPending:
    rows: dict[str, PendingSignIn] = field(default_factory=dict)

    async def put(self, state_digest: str, pending: PendingSignIn, ttl_seconds: int) -> None:
        self.rows[state_digest] = pending

    async def take(self, state_digest: str) -> PendingSignIn | None:
        return self.rows.pop(state_digest, None)


@dataclass
class Oidc:
    world: World = field(default_factory=World)
    providers: FakeProviders = field(default_factory=FakeProviders)
    pending: InMemoryPending = field(default_factory=InMemoryPending)

    def start(self) -> StartOidcSignIn:
        return StartOidcSignIn(self.providers, self.pending, self.world.secrets)

    def finish(self) -> FinishOidcSignIn:
        w = self.world
        return FinishOidcSignIn(
            self.providers,
            self.pending,
            w.secrets,
            self.world.identities,
            w.users,
            w.accounts,
            w.issuer,
            w.mfa,
            w.tokens,
            w.auditor,
            w.uow,
            w.ids,
            w.clock,
            POLICY,
            w.unproven,
        )

    async def round_trip(self, principal: Principal | None = None, **claims: object) -> Callback:
        """Start, and the callback the provider would send back with this browser's binding."""
        if claims:
            base = self.providers.provider.claims_to_give
            self.providers.provider.claims_to_give = ProviderClaims(
                subject=str(claims.get("subject", base.subject)),
                email=claims.get("email", base.email),  # type: ignore[arg-type]
                email_verified=bool(claims.get("email_verified", base.email_verified)),
                name=claims.get("name", base.name),  # type: ignore[arg-type]
            )
        started = await self.start().execute("idp", binding=None, principal=principal)
        state = self.providers.provider.requests[-1].state
        return Callback(state=state, code="the-code", binding=started.binding)


async def test_a_started_sign_in_lists_and_refuses_unknown_providers() -> None:
    oidc = Oidc()
    assert await ListOidcProviders(oidc.providers).execute() == [OidcProviderInfo("idp", "The IdP")]
    with pytest.raises(NotFoundError):
        await oidc.start().execute("other", binding=None)
    key = Principal(uuid4(), Role.MEMBER, api_key_id=uuid4())
    with pytest.raises(InteractiveSessionRequiredError):
        await oidc.start().execute("idp", binding=None, principal=key)
    # a browser that already has a binding keeps it, so two tabs can sign in at once
    assert (await oidc.start().execute("idp", binding="kept-binding")).binding == "kept-binding"


async def test_a_missing_or_unusable_email_cannot_make_an_account() -> None:
    oidc = Oidc()
    with pytest.raises(OidcEmailMissingError):
        await oidc.finish().execute("idp", await oidc.round_trip(email=None))
    with pytest.raises(OidcEmailMissingError):
        await oidc.finish().execute("idp", await oidc.round_trip(email="not an address"))


async def test_the_display_name_falls_back_to_the_email() -> None:
    oidc = Oidc()
    outcome = await oidc.finish().execute("idp", await oidc.round_trip(name="   "))
    assert outcome.user.display_name == "ann"
    assert outcome.user.password_hash is None


async def test_a_callback_without_a_code_or_for_another_provider_is_refused() -> None:
    oidc = Oidc()
    callback = await oidc.round_trip()
    with pytest.raises(OidcProviderError):
        await oidc.finish().execute("idp", Callback(state=callback.state, code=None, binding=callback.binding))
    with pytest.raises(OidcStateError):
        await oidc.finish().execute("idp", Callback(state="x" * 300, code="c", binding=callback.binding))


async def test_a_verified_email_claims_an_account_lore_never_verified() -> None:
    """Whoever registered the address without proving it loses the password they chose (pre-account takeover)."""
    oidc = Oidc()
    await oidc.world.register().execute(NewAccount("ann@example.org", GOOD_PASSWORD, "Ann"))
    outcome = await oidc.finish().execute("idp", await oidc.round_trip())
    assert outcome.account_created is False
    assert outcome.user.password_hash is None
    assert outcome.user.is_verified


async def test_a_deactivated_account_is_not_signed_in() -> None:
    oidc = Oidc()
    first = await oidc.finish().execute("idp", await oidc.round_trip())
    oidc.world.users.rows[first.user.id] = first.user.with_changes(is_active=False)
    with pytest.raises(AccountDisabledError):
        await oidc.finish().execute("idp", await oidc.round_trip())
    assert "auth.login_blocked" in oidc.world.audit.actions()


async def test_linking_twice_is_harmless_and_a_gone_account_cannot_link() -> None:
    oidc = Oidc()
    user = await oidc.world.user()
    me = Principal(user.id, user.role, session_id=uuid4())
    first = await oidc.finish().execute("idp", await oidc.round_trip(me))
    again = await oidc.finish().execute("idp", await oidc.round_trip(me))
    assert first.intent is again.intent is OidcIntent.LINK
    assert first.identity == again.identity
    assert [i.id for i in await ListIdentities(oidc.world.identities).execute(me)] == [first.identity.id]
    callback = await oidc.round_trip(me)
    del oidc.world.users.rows[user.id]
    with pytest.raises(OidcStateError):
        await oidc.finish().execute("idp", callback)
    with pytest.raises(NotFoundError):
        await UnlinkIdentity(oidc.world.identities, oidc.world.users, oidc.world.auditor, oidc.world.uow).execute(
            me, first.identity.id
        )


async def test_an_identity_whose_user_just_went_signs_nobody_in() -> None:
    oidc = Oidc()
    first = await oidc.finish().execute("idp", await oidc.round_trip())
    del oidc.world.users.rows[first.user.id]  # the store would have taken the identity with it
    with pytest.raises(OidcStateError):
        await oidc.finish().execute("idp", await oidc.round_trip())


async def test_a_refused_id_token_is_audited() -> None:
    oidc = Oidc()
    oidc.providers.provider.refuse_token = True
    with pytest.raises(OidcIdTokenError):
        await oidc.finish().execute("idp", await oidc.round_trip())
    [event] = oidc.world.audit.events
    assert event.action.value == "auth.login_failed"
    assert event.details["reason"] == "oidc_id_token_nonce"


async def test_an_account_with_mfa_gets_the_code_step_and_the_session_says_fed_and_otp() -> None:
    oidc = Oidc()
    w = oidc.world
    first = await oidc.finish().execute("idp", await oidc.round_trip())
    assert first.tokens is not None
    assert w.sessions.rows[first.tokens.session_id].amr == ("fed",)
    me = await w.authenticate().execute(first.tokens.access_token)
    await w.start_mfa().execute(me, None)  # passwordless: the fresh sign-in is the proof
    await w.confirm_mfa().execute(me, w.totp.code_for(w.totp.step))

    signed_in = w.audit.actions().count("auth.login_succeeded")
    outcome = await oidc.finish().execute("idp", await oidc.round_trip())
    assert outcome.tokens is None
    assert outcome.challenge is not None
    assert outcome.challenge.expires_in == 300
    assert w.audit.actions().count("auth.login_succeeded") == signed_in  # not signed in before the code
    w.totp.step += 1
    pair = await w.complete_mfa_login().execute(MfaAnswer(outcome.challenge.token, w.totp.code_for(w.totp.step)))
    assert w.sessions.rows[pair.session_id].amr == ("fed", "otp")
    assert w.audit.events[-1].details["first_factor"] == "fed"
