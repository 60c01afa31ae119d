"""Sign-in with an OpenID Connect provider (authorization code + PKCE), and the identities linked to an account.

The callback answers a sign-in only when it comes back with the state of one this browser started (the start
sets a binding cookie whose digest the pending sign-in keeps), so a stranger's callback link cannot sign a
victim into the stranger's account (login CSRF, RFC 6749 10.12). Accounts are matched by the provider's
subject, then by an email the provider says it verified, never by an unverified one.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from application.identity.accounts import AccountFactory
from application.identity.audit import Auditor
from application.identity.claims import UnprovenAccess
from application.identity.login import MfaChallenge
from application.identity.policy import IdentityPolicy
from application.identity.ports import (
    AuthorizationRequest,
    ExternalIdentityRepository,
    MfaRepository,
    OidcProvider,
    OidcProviderInfo,
    OidcProviders,
    PendingSignIn,
    PendingSignIns,
    ProviderClaims,
    SecretTokens,
    UserRepository,
)
from application.identity.tokens import OneTimeTokens, SessionIssuer, TokenPair
from application.shared.ports import Clock, IdGenerator, UnitOfWork
from domain.identity.errors import (
    AccountDisabledError,
    EmailNotVerifiedError,
    IdentityTakenError,
    LastSignInMethodError,
    OidcEmailMissingError,
    OidcEmailNotVerifiedError,
    OidcIdTokenError,
    OidcProviderError,
    OidcStateError,
)
from domain.identity.mfa import AMR_FEDERATED
from domain.identity.models import AuditAction, AuditOutcome, ExternalIdentity, TokenPurpose, User, normalize_email
from domain.identity.principal import Principal
from domain.shared.errors import NotFoundError, ValidationError

PENDING_SIGN_IN_SECONDS = 600  # from the start to the callback: time to sign in at the provider


class OidcIntent(StrEnum):
    SIGN_IN = "sign_in"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class StartedSignIn:
    authorization_url: str
    binding: str  # the entrypoint keeps it in the browser (a cookie) and hands it back at the callback


@dataclass(frozen=True, slots=True)
class Callback:
    """The query of the provider's redirect, as received."""

    state: str | None
    code: str | None
    error: str | None = None
    error_description: str | None = None
    issuer: str | None = None  # RFC 9207 `iss`, sent by providers that support it
    binding: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class OidcOutcome:
    intent: OidcIntent
    user: User
    identity: ExternalIdentity
    tokens: TokenPair | None  # None when a signed-in user linked a provider, or when MFA comes next
    account_created: bool = False
    # the account has MFA: no tokens yet, the code step (CompleteMfaLogin) spends this like a password sign-in's
    challenge: MfaChallenge | None = None


def _provider(providers: OidcProviders, name: str) -> OidcProvider:
    provider = providers.get(name)
    if provider is None:
        raise NotFoundError("No such sign-in provider.")
    return provider


class ListOidcProviders:
    """The providers one can sign in with. Anyone (no principal); raises nothing."""

    def __init__(self, providers: OidcProviders) -> None:
        self._providers = providers

    async def execute(self) -> list[OidcProviderInfo]:
        return self._providers.list()


class StartOidcSignIn:
    """Opens a sign-in (or, for a signed-in person, a link) at a provider: the URL to send the browser to.

    Anyone to sign in; a signed-in person (never an API key) to link. Raises NotFoundError (unknown provider),
    InteractiveSessionRequiredError and DependencyUnavailableError (the provider's discovery is unreachable).
    """

    def __init__(self, providers: OidcProviders, pending: PendingSignIns, secrets: SecretTokens) -> None:
        self._providers = providers
        self._pending = pending
        self._secrets = secrets

    async def execute(
        self, provider_name: str, *, binding: str | None, principal: Principal | None = None
    ) -> StartedSignIn:
        provider = _provider(self._providers, provider_name)
        if principal is not None:
            principal.require_interactive()
        binding = binding or self._secrets.generate()  # one per browser: several tabs may sign in at once
        request = AuthorizationRequest(
            state=self._secrets.generate(), nonce=self._secrets.generate(), code_verifier=self._secrets.generate()
        )
        url = await provider.authorization_url(request)
        pending = PendingSignIn(
            provider=provider_name,
            nonce=request.nonce,
            code_verifier=request.code_verifier,
            binding_digest=self._secrets.digest(binding),
            link_user_id=None if principal is None else principal.user_id,
        )
        await self._pending.put(self._secrets.digest(request.state), pending, PENDING_SIGN_IN_SECONDS)
        return StartedSignIn(url, binding)


class FinishOidcSignIn:
    """The provider's callback: checks the state, has the code exchanged and the ID token validated, then
    signs in the linked account, links an account with the same provider-verified email, or creates one.
    An account with MFA gets an MFA challenge instead of tokens, exactly as a password sign-in does: the
    provider stands in for the password, never for the second factor.

    Anyone holding the browser binding of the start (no principal). Raises NotFoundError (unknown provider),
    OidcStateError and OidcProviderError (400), OidcCodeRefusedError (400), OidcIdTokenError (401),
    OidcEmailNotVerifiedError and IdentityTakenError (409), OidcEmailMissingError (400), AccountDisabledError
    and EmailNotVerifiedError (403) and DependencyUnavailableError.
    """

    def __init__(
        self,
        providers: OidcProviders,
        pending: PendingSignIns,
        secrets: SecretTokens,
        identities: ExternalIdentityRepository,
        users: UserRepository,
        accounts: AccountFactory,
        issuer: SessionIssuer,
        mfa: MfaRepository,
        challenges: OneTimeTokens,
        auditor: Auditor,
        uow: UnitOfWork,
        ids: IdGenerator,
        clock: Clock,
        policy: IdentityPolicy,
        unproven: UnprovenAccess,
    ) -> None:
        self._unproven = unproven
        self._providers = providers
        self._pending = pending
        self._secrets = secrets
        self._identities = identities
        self._users = users
        self._accounts = accounts
        self._issuer = issuer
        self._mfa = mfa
        self._challenges = challenges
        self._auditor = auditor
        self._uow = uow
        self._ids = ids
        self._clock = clock
        self._policy = policy

    async def execute(self, provider_name: str, callback: Callback) -> OidcOutcome:
        provider = _provider(self._providers, provider_name)
        pending = await self._take(provider_name, callback)
        if callback.issuer is not None and callback.issuer != provider.info.issuer:
            # RFC 9207: a response another provider issued (a mix-up attack); the state is spent all the same
            raise OidcProviderError("The sign-in response names another identity provider.", details={"reason": "iss"})
        if callback.error:
            raise OidcProviderError(
                details={"error": callback.error[:100], "description": (callback.error_description or "")[:300]}
            )
        if not callback.code:
            raise OidcProviderError("The identity provider sent no authorization code.")
        request = AuthorizationRequest(
            state=callback.state or "", nonce=pending.nonce, code_verifier=pending.code_verifier
        )
        try:
            claims = await provider.claims(callback.code, request)
        except OidcIdTokenError as exc:  # a forged or replayed token is worth a line in the audit log
            await self._auditor.record(
                AuditAction.LOGIN_FAILED,
                outcome=AuditOutcome.FAILURE,
                ip_address=callback.ip_address,
                reason=f"oidc_id_token_{exc.details.get('reason', 'invalid')}",
                method="oidc",
                provider=provider_name,
            )
            await self._uow.commit()
            raise
        if pending.link_user_id is not None:
            return await self._link(provider_name, claims, pending.link_user_id)
        return await self._sign_in(provider_name, claims, callback)

    async def _take(self, provider_name: str, callback: Callback) -> PendingSignIn:
        """The pending sign-in of this state, spent whatever happens next; it must be this provider's and
        this browser's."""
        if not callback.state or len(callback.state) > 200:
            raise OidcStateError()
        pending = await self._pending.take(self._secrets.digest(callback.state))
        if pending is None or pending.provider != provider_name:
            raise OidcStateError()
        binding = self._secrets.digest(callback.binding or "")
        if not hmac.compare_digest(binding, pending.binding_digest):
            raise OidcStateError()
        return pending

    async def _link(self, provider_name: str, claims: ProviderClaims, user_id: UUID) -> OidcOutcome:
        user = await self._users.get(user_id)
        if user is None or not user.is_active:
            raise OidcStateError()  # the account that started the link is gone
        identity = await self._identities.find(provider_name, claims.subject)
        if identity is not None and identity.user_id != user.id:
            raise IdentityTakenError()
        if identity is None:
            identity = await self._add_identity(provider_name, claims, user, via="link")
            await self._uow.commit()
        return OidcOutcome(OidcIntent.LINK, user, identity, None)

    async def _sign_in(self, provider_name: str, claims: ProviderClaims, callback: Callback) -> OidcOutcome:
        created = False
        identity = await self._identities.find(provider_name, claims.subject)
        if identity is not None:
            linked = await self._users.get(identity.user_id)
            if linked is None:  # deleted since the lookup (identities go with their user)
                raise OidcStateError()
            user = linked
        else:
            user, created = await self._match_or_create(provider_name, claims)
            identity = await self._add_identity(provider_name, claims, user, via="new_account" if created else "email")
        if not user.is_active:
            await self._refuse(user, provider_name, "account_disabled")
            raise AccountDisabledError()
        if not user.is_verified:  # as for a password: an address nobody proved signs nobody in
            await self._refuse(user, provider_name, "email_not_verified")
            raise EmailNotVerifiedError()
        enrolment = await self._mfa.get(user.id)
        if enrolment is not None and enrolment.is_active:
            ttl = self._policy.mfa_challenge_ttl
            token = await self._challenges.issue(user, TokenPurpose.MFA_CHALLENGE, ttl, first_factor=AMR_FEDERATED)
            await self._uow.commit()  # with the identity linked above: the provider step did pass
            challenge = MfaChallenge(token, int(ttl.total_seconds()))
            return OidcOutcome(OidcIntent.SIGN_IN, user, identity, None, account_created=created, challenge=challenge)
        pair = await self._issuer.start(
            user, ip_address=callback.ip_address, user_agent=callback.user_agent, amr=(AMR_FEDERATED,)
        )
        await self._auditor.record(
            AuditAction.LOGIN_SUCCEEDED,
            actor_id=user.id,
            subject_id=user.id,
            ip_address=callback.ip_address,
            session_id=str(pair.session_id),
            method="oidc",
            provider=provider_name,
        )
        await self._uow.commit()
        return OidcOutcome(OidcIntent.SIGN_IN, user, identity, pair, account_created=created)

    async def _match_or_create(self, provider_name: str, claims: ProviderClaims) -> tuple[User, bool]:
        """The account with the provider's email, or a new one (True); either only if the provider verified
        the email: an account made from an unverified one would hold an address nobody proved, ready for
        whoever typed it (pre-account takeover)."""
        email = _email(claims)
        user = await self._users.get_by_email(email)
        if not claims.email_verified:
            if user is not None:
                await self._refuse(user, provider_name, "oidc_email_not_verified")
                raise OidcEmailNotVerifiedError()
            raise OidcEmailNotVerifiedError(
                "The identity provider has not verified this email address, so no account is made from it. "
                "Verify the address at the provider, then sign in again."
            )
        if user is None:
            user = await self._accounts.create_without_password(
                email, _display_name(claims, email), self._policy.registration_role, verified=True
            )
            await self._auditor.record(
                AuditAction.USER_REGISTERED, actor_id=user.id, subject_id=user.id, via="oidc", provider=provider_name
            )
            return user, True
        return await self._claim(user, provider_name), False

    async def _claim(self, user: User, provider_name: str) -> User:
        """Linking by a provider-verified email to an account whose address Lore never verified: whoever
        registered it could not prove the address, so their password, sessions, linked identities, API keys
        and MFA go (pre-account takeover)."""
        if user.is_verified:
            return user
        now = self._clock.now()
        user = user.with_changes(password_hash=None, email_verified_at=now, updated_at=now)
        await self._users.save(user)
        forfeited = await self._unproven.forfeit(user.id, now, "claimed_by_verified_email")
        await self._auditor.record(
            AuditAction.USER_UPDATED,
            actor_id=user.id,
            subject_id=user.id,
            reason="claimed_by_verified_email",
            provider=provider_name,
            identities_removed=forfeited.identities,
            api_keys_revoked=forfeited.api_keys,
            mfa_removed=forfeited.mfa,
        )
        return user

    async def _add_identity(
        self, provider_name: str, claims: ProviderClaims, user: User, *, via: str
    ) -> ExternalIdentity:
        identity = ExternalIdentity(
            id=self._ids.new_id(),
            user_id=user.id,
            provider=provider_name,
            subject=claims.subject,
            email=claims.email,
            linked_at=self._clock.now(),
        )
        await self._identities.add(identity)
        await self._auditor.record(
            AuditAction.IDENTITY_LINKED,
            actor_id=user.id,
            subject_id=user.id,
            provider=provider_name,
            identity_id=str(identity.id),
            via=via,
        )
        return identity

    async def _refuse(self, user: User, provider_name: str, reason: str) -> None:
        await self._auditor.record(
            AuditAction.LOGIN_BLOCKED,
            subject_id=user.id,
            outcome=AuditOutcome.DENIED,
            email=user.email,
            reason=reason,
            method="oidc",
            provider=provider_name,
        )
        await self._uow.commit()


def _email(claims: ProviderClaims) -> str:
    if not claims.email:
        raise OidcEmailMissingError()
    try:
        return normalize_email(claims.email)
    except ValidationError:
        raise OidcEmailMissingError("The identity provider shared an email address Lore cannot use.") from None


def _display_name(claims: ProviderClaims, email: str) -> str:
    name = " ".join((claims.name or "").split())[:100]
    return name or email.split("@", 1)[0][:100]


class ListIdentities:
    """The provider identities linked to the caller's account.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError.
    """

    def __init__(self, identities: ExternalIdentityRepository) -> None:
        self._identities = identities

    async def execute(self, principal: Principal) -> list[ExternalIdentity]:
        principal.require_interactive()
        return await self._identities.list_for_user(principal.user_id)


class UnlinkIdentity:
    """Removes one of the caller's provider identities, unless it is their last way to sign in.

    A signed-in person (never an API key); raises InteractiveSessionRequiredError, NotFoundError (missing or
    someone else's) and LastSignInMethodError (409: no password and no other identity).
    """

    def __init__(
        self, identities: ExternalIdentityRepository, users: UserRepository, auditor: Auditor, uow: UnitOfWork
    ) -> None:
        self._identities = identities
        self._users = users
        self._auditor = auditor
        self._uow = uow

    async def execute(self, principal: Principal, identity_id: UUID) -> None:
        principal.require_interactive()
        identity = await self._identities.get(identity_id)
        if identity is None or identity.user_id != principal.user_id:
            raise NotFoundError("No such identity.")
        user = await self._users.get(principal.user_id)
        if user is None:
            raise NotFoundError()
        others = [other for other in await self._identities.list_for_user(user.id) if other.id != identity.id]
        if not user.has_password and not others:
            raise LastSignInMethodError()
        await self._identities.delete(identity.id)
        await self._auditor.record(
            AuditAction.IDENTITY_UNLINKED,
            actor=principal,
            subject_id=user.id,
            provider=identity.provider,
            identity_id=str(identity.id),
        )
        await self._uow.commit()
