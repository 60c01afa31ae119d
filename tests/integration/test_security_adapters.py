"""argon2id hasher, JWT codec, secret tokens and the common-password list."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from adapters.security.argon2_hasher import Argon2PasswordHasher
from adapters.security.common_passwords import load_common_passwords
from adapters.security.jwt_codec import JwtAccessTokenCodec
from adapters.security.secret_tokens import RandomSecretTokens
from domain.identity.errors import InvalidTokenError
from domain.identity.roles import Role

SECRET = "s" * 48


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


def test_jwt_round_trip() -> None:
    codec = JwtAccessTokenCodec(SECRET)
    user, session = uuid.uuid4(), uuid.uuid4()
    issued = codec.issue(user, Role.EDITOR, session, datetime.now(UTC))
    claims = codec.decode(issued.token)
    assert (claims.user_id, claims.session_id, claims.role) == (user, session, Role.EDITOR)
    assert issued.expires_in == 900


def test_jwt_expiry_and_other_audiences() -> None:
    codec = JwtAccessTokenCodec(SECRET)
    old = codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), datetime.now(UTC) - timedelta(minutes=16))
    with pytest.raises(InvalidTokenError):
        codec.decode(old.token)
    other = JwtAccessTokenCodec(SECRET, audience="other-api").issue(
        uuid.uuid4(), Role.MEMBER, uuid.uuid4(), datetime.now(UTC)
    )
    with pytest.raises(InvalidTokenError):
        codec.decode(other.token)


def test_a_verified_jwt_is_not_verified_again_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [time.time()]
    codec = JwtAccessTokenCodec(SECRET, clock=lambda: clock[0])
    issued = codec.issue(uuid.uuid4(), Role.MEMBER, uuid.uuid4(), datetime.now(UTC))
    verifications: list[str] = []
    real_decode = jwt.decode_complete

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        verifications.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode_complete", counting_decode)
    first = codec.decode(issued.token)
    assert codec.decode(issued.token) == first
    assert len(verifications) == 1

    head, payload, signature = issued.token.split(".")
    forged = ".".join([head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]])
    with pytest.raises(InvalidTokenError):  # another string: verified in full, and refused
        codec.decode(forged)

    clock[0] += 15 * 60 + 1
    with pytest.raises(InvalidTokenError):  # expiry still applies to a remembered token
        codec.decode(issued.token)


def test_jwt_rejects_unknown_roles_and_bad_ids() -> None:
    codec = JwtAccessTokenCodec(SECRET)
    now = datetime.now(UTC)
    base = {"sid": str(uuid.uuid4()), "typ": "access", "iss": "lore", "aud": "lore-api", "iat": now, "nbf": now}
    for claims in (
        {**base, "sub": str(uuid.uuid4()), "role": "superuser", "exp": now + timedelta(minutes=5), "jti": "x"},
        {**base, "sub": "not-a-uuid", "role": "member", "exp": now + timedelta(minutes=5), "jti": "x"},
    ):
        token = jwt.encode(claims, SECRET, algorithm="HS256", headers={"typ": "at+jwt"})
        with pytest.raises(InvalidTokenError):
            codec.decode(token)


def test_short_jwt_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        JwtAccessTokenCodec("short")


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
