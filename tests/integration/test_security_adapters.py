"""argon2id hasher, JWT codec, secret tokens and the common-password list."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.common_passwords import load_common_passwords
from adapters.security.jwt_codec import JwtAccessTokenCodec
from adapters.security.key_ring import KeyRing
from adapters.security.secret_tokens import RandomSecretTokens
from adapters.security.signing_keys import Ed25519KeyGenerator, KeySealer, SigningKeyUnavailableError, thumbprint
from application.identity.signing_keys import ManageSigningKeys, SigningKeyPolicy
from domain.identity.errors import InvalidTokenError, TokenExpiredError
from domain.identity.roles import Role
from domain.shared.errors import DependencyUnavailableError
from tests.support.identity_fakes import MovableClock
from tests.support.signing_fakes import InMemorySigningKeys

SECRET = "s" * 48
GRACE = timedelta(minutes=16)
DELAY = timedelta(seconds=90)


async def test_argon2id_at_owasp_parameters() -> None:
    hasher = Argon2PasswordHasher()
    hashed = await hasher.hash("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await hasher.verify(hashed, "correct horse")
    assert not await hasher.verify(hashed, "correct horse!")
    assert not await hasher.verify("not a hash", "x")
    assert not hasher.needs_rehash(hashed)
    assert await hasher.verify(hasher.dummy_hash, "anything") is False


async def test_the_named_profiles() -> None:
    assert (await Argon2PasswordHasher.named("owasp").hash("pw")).startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    fast = Argon2PasswordHasher.named("fast")  # the test suite's, refused by settings elsewhere
    hashed = await fast.hash("pw")
    assert hashed.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert await fast.verify(hashed, "pw")
    assert Argon2PasswordHasher().needs_rehash(hashed)  # a fast hash met in production is rehashed at sign-in


async def test_stronger_parameters_ask_for_a_rehash() -> None:
    old = await Argon2PasswordHasher().hash("pw")
    stronger = Argon2PasswordHasher(time_cost=3)
    assert stronger.needs_rehash(old)
    assert await stronger.verify(old, "pw")  # old hashes still verify
    assert stronger.needs_rehash("garbage")


async def _codec(clock: MovableClock | None = None, **options: Any) -> tuple[JwtAccessTokenCodec, KeyRing, Any]:
    """A codec on a real ring (Ed25519, sealed keys) over an in-memory store; the clock moves both."""
    clock = clock or MovableClock(datetime.now(UTC))
    store = InMemorySigningKeys()
    manage = ManageSigningKeys(store, Ed25519KeyGenerator(KeySealer(SECRET)), clock, SigningKeyPolicy(GRACE, DELAY))
    ring = KeyRing(store, manage, KeySealer(SECRET), clock, GRACE)
    await ring.refresh()
    codec = JwtAccessTokenCodec(ring, clock=lambda: clock.now().timestamp(), **options)
    return codec, ring, (manage, clock)


async def test_jwt_round_trip_names_its_key() -> None:
    codec, ring, (_, clock) = await _codec()
    user, session = uuid.uuid4(), uuid.uuid4()
    issued = codec.issue(user, Role.EDITOR, session, clock.now())
    claims = codec.decode(issued.token)
    assert (claims.user_id, claims.session_id, claims.role) == (user, session, Role.EDITOR)
    assert issued.expires_in == 900
    (key,) = ring.published()
    assert jwt.get_unverified_header(issued.token) == {"alg": "EdDSA", "typ": "at+jwt", "kid": key.kid}
    assert key.kid == thumbprint(key.public_key)


async def test_jwt_expiry_and_other_audiences() -> None:
    # pyjwt checks exp and iat against the real time: the clock starts in the past instead of moving on
    codec, _, (_, clock) = await _codec(MovableClock(datetime.now(UTC) - timedelta(minutes=16)))
    old = codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now())
    clock.advance(timedelta(minutes=16))
    with pytest.raises(TokenExpiredError):
        codec.decode(old.token)
    other, _, _ = await _codec(clock, audience="other-api")
    with pytest.raises(InvalidTokenError) as refused:
        codec.decode(other.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now()).token)
    assert refused.value.code == "INVALID_TOKEN"  # another ring's key: unknown kid, whatever the expiry


async def test_a_verified_jwt_is_not_verified_again_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    codec, _, (_, clock) = await _codec()
    issued = codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now())
    verifications: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        verifications.append(token)
        decoded: dict[str, Any] = real_decode(token, *args, **kwargs)
        return decoded

    monkeypatch.setattr(jwt, "decode", counting_decode)
    first = codec.decode(issued.token)
    assert codec.decode(issued.token) == first
    assert len(verifications) == 1

    head, payload, signature = issued.token.split(".")
    forged = ".".join([head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    with pytest.raises(InvalidTokenError):  # another string: verified in full, and refused
        codec.decode(forged)

    clock.advance(timedelta(minutes=15, seconds=1))
    with pytest.raises(TokenExpiredError):  # expiry still applies to a remembered token
        codec.decode(issued.token)


async def test_rotation_keeps_old_tokens_until_their_key_is_removed() -> None:
    # in the past, so that tokens issued at the moved clock are not from the future for pyjwt
    codec, ring, (manage, clock) = await _codec(MovableClock(datetime.now(UTC) - 2 * DELAY))
    before = codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now())
    codec.decode(before.token)  # remembered as verified
    old_kid = jwt.get_unverified_header(before.token)["kid"]
    added = (await manage.rotate()).added
    await ring.refresh()
    assert {key.kid for key in ring.published()} == {old_kid, added.kid}
    assert jwt.get_unverified_header(codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now()).token) == {
        "alg": "EdDSA",
        "typ": "at+jwt",
        "kid": old_kid,  # the new key is only published so far
    }
    clock.advance(DELAY)
    after = codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now())
    assert jwt.get_unverified_header(after.token)["kid"] == added.kid
    codec.decode(before.token)
    codec.decode(after.token)

    clock.advance(GRACE)  # every token the old key signed has expired, and then the key goes
    with pytest.raises(InvalidTokenError) as refused:
        codec.decode(before.token)
    assert refused.value.code == "INVALID_TOKEN"
    await ring.refresh()
    assert [key.kid for key in ring.published()] == [added.kid]
    assert await manage.prune() == [old_kid]


async def test_jwt_rejects_unknown_roles_and_bad_ids() -> None:
    codec, ring, (_, clock) = await _codec()
    kid, private_key = ring.signer(clock.now())
    now = clock.now()
    base = {"sid": str(uuid.uuid4()), "typ": "access", "iss": "lore", "aud": "lore-api", "iat": now, "nbf": now}
    for claims in (
        {**base, "sub": str(uuid.uuid4()), "role": "superuser", "exp": now + timedelta(minutes=5), "jti": "x"},
        {**base, "sub": "not-a-uuid", "role": "member", "exp": now + timedelta(minutes=5), "jti": "x"},
    ):
        token = jwt.encode(claims, private_key, algorithm="EdDSA", headers={"typ": "at+jwt", "kid": kid})
        with pytest.raises(InvalidTokenError):
            codec.decode(token)


async def test_a_sealed_key_opens_only_under_its_secret_and_its_kid() -> None:
    key, sealed = Ed25519KeyGenerator(KeySealer(SECRET)).generate(datetime.now(UTC), datetime.now(UTC))
    KeySealer(SECRET).open(key.kid, sealed)
    with pytest.raises(SigningKeyUnavailableError, match="JWT_SECRET does not open"):
        KeySealer("t" * 48).open(key.kid, sealed)
    with pytest.raises(SigningKeyUnavailableError):
        KeySealer(SECRET).open("another-kid", sealed)
    with pytest.raises(SigningKeyUnavailableError, match="unknown format"):
        KeySealer(SECRET).open(key.kid, b"\x02" + sealed[1:])
    with pytest.raises(ValueError, match="32"):
        KeySealer("short")


async def test_a_ring_that_cannot_open_its_signing_key_says_why() -> None:
    store, clock = InMemorySigningKeys(), MovableClock(datetime.now(UTC))
    policy = SigningKeyPolicy(GRACE, DELAY)
    await ManageSigningKeys(store, Ed25519KeyGenerator(KeySealer(SECRET)), clock, policy).ensure()
    other = KeySealer("t" * 48)
    ring = KeyRing(store, ManageSigningKeys(store, Ed25519KeyGenerator(other), clock, policy), other, clock, GRACE)
    with pytest.raises(SigningKeyUnavailableError, match="JWT_SECRET"):
        await ring.refresh()
    with pytest.raises(SigningKeyUnavailableError, match="none opened"):
        ring.signer(clock.now())


async def test_changing_jwt_secret_by_rotation_keeps_both_sides_verifying() -> None:
    store, clock = InMemorySigningKeys(), MovableClock(datetime.now(UTC) - 2 * DELAY)
    policy = SigningKeyPolicy(GRACE, DELAY)
    old_sealer, new_sealer = KeySealer(SECRET), KeySealer("t" * 48)
    old_manage = ManageSigningKeys(store, Ed25519KeyGenerator(old_sealer), clock, policy)
    new_manage = ManageSigningKeys(store, Ed25519KeyGenerator(new_sealer), clock, policy)
    await old_manage.ensure()
    old_ring = KeyRing(store, old_manage, old_sealer, clock, GRACE)
    await old_ring.refresh()
    first_kid = old_ring.signer(clock.now())[0]

    added = (await new_manage.rotate()).added  # `lore keys rotate` run with the new JWT_SECRET
    with pytest.raises(SigningKeyUnavailableError):
        await old_ring.refresh()  # logged by the loop: it cannot open the next key...
    assert old_ring.verifier(added.kid, clock.now().timestamp()) is not None  # ...but publishes and verifies it
    assert {key.kid for key in old_ring.published()} == {first_kid, added.kid}

    clock.advance(DELAY)
    new_ring = KeyRing(store, new_manage, new_sealer, clock, GRACE)
    await new_ring.refresh()  # a process restarted with the new secret, once the new key is current
    assert new_ring.signer(clock.now())[0] == added.kid
    with pytest.raises(SigningKeyUnavailableError):
        await old_ring.refresh()
    assert old_ring.signer(clock.now())[0] == first_kid  # not restarted yet: still signs, with the old key
    assert new_ring.verifier(first_kid, clock.now().timestamp()) is not None


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037 appendix A.3
    public = base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    assert thumbprint(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_secret_tokens() -> None:
    tokens = RandomSecretTokens()
    first, second = tokens.generate(), tokens.generate()
    assert first != second
    assert len(first) >= 43  # 32 bytes of entropy, base64url
    assert tokens.digest(first) == tokens.digest(first)
    assert len(tokens.digest(first)) == 64


def test_common_password_list() -> None:
    common = load_common_passwords()
    assert len(common) >= 10_000
    assert "password" in common
    assert "QWERTY" in common
    assert "correct horse battery staple" not in common
    assert 123456 not in common


class _FailingStore(InMemorySigningKeys):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.failing = False
        self.calls = 0

    async def list_keys(self) -> list[Any]:
        if self.failing:
            self.calls += 1
            raise self.error
        return await super().list_keys()


@pytest.mark.parametrize(
    ("error", "logged"),
    [
        (DependencyUnavailableError("down", details={"dependency": "database"}), "the database is unavailable"),
        (RuntimeError("a bug"), "refreshing the signing keys failed"),
    ],
)
async def test_the_refresh_loop_outlives_a_failed_round(
    error: Exception, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    store, clock = _FailingStore(error), MovableClock(datetime.now(UTC))
    manage = ManageSigningKeys(store, Ed25519KeyGenerator(KeySealer(SECRET)), clock, SigningKeyPolicy(GRACE, DELAY))
    ring = KeyRing(store, manage, KeySealer(SECRET), clock, GRACE)
    await ring.refresh()
    store.failing = True
    stopping = asyncio.Event()
    loop = asyncio.create_task(ring.run(0.01, stopping))
    deadline = asyncio.get_running_loop().time() + 30
    while store.calls < 4 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    stopping.set()
    await loop
    assert store.calls >= 4  # it went on after the first failure
    assert logged in caplog.text
    assert ring.signer(clock.now())  # what it had loaded still signs


async def test_a_store_down_at_start_up_is_waited_out(caplog: pytest.LogCaptureFixture) -> None:
    store = _FailingStore(DependencyUnavailableError("down", details={"dependency": "database"}))
    store.failing = True
    clock = MovableClock(datetime.now(UTC))
    manage = ManageSigningKeys(store, Ed25519KeyGenerator(KeySealer(SECRET)), clock, SigningKeyPolicy(GRACE, DELAY))
    ring = KeyRing(store, manage, KeySealer(SECRET), clock, GRACE)
    await ring.load()
    assert "signing keys not loaded yet" in caplog.text
    assert not ring.loaded
    codec = JwtAccessTokenCodec(ring)
    with pytest.raises(DependencyUnavailableError):  # 503, not a refused token: the keys are only unknown yet
        codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now())
    with pytest.raises(DependencyUnavailableError):
        codec.decode(jwt.encode({"a": 1}, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "k"}))
    assert ring.published() == []
    store.failing = False
    await ring.refresh()
    assert len(ring.published()) == 1
    codec.decode(codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now()).token)
    with pytest.raises(SigningKeyUnavailableError):  # a wrong secret is no outage: it stops the start-up
        await KeyRing(store, manage, KeySealer("t" * 48), clock, GRACE).load()


async def test_a_process_puts_its_key_back_into_an_emptied_table() -> None:
    codec, ring, (_, clock) = await _codec()
    issued = codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), clock.now())
    store = ring._store
    assert isinstance(store, InMemorySigningKeys)
    kid = jwt.get_unverified_header(issued.token)["kid"]
    await store.remove([kid])
    await ring.refresh()
    assert list(store.keys) == [kid]  # the same key, not a new one: the tokens it signed still verify
    other = KeyRing(store, ring._manage, KeySealer(SECRET), clock, GRACE)
    await other.refresh()
    assert other.signer(clock.now())[0] == kid
    codec.decode(issued.token)
