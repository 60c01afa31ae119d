"""The TOTP adapter against pyotp's own codes, and the MFA secret box."""

from __future__ import annotations

import pyotp
import pytest

from adapters.security.mfa_secret_box import AesGcmMfaSecretBox
from adapters.security.totp import PyotpTotp

KEY = "k" * 40
NOW = 1_800_000_000.0  # a step boundary: 1_800_000_000 / 30 is whole


def test_the_step_of_a_code_now_and_one_step_either_way() -> None:
    totp = PyotpTotp(lambda: NOW + 7)
    secret = totp.new_secret()
    assert len(secret) == 32
    step = int(NOW) // 30
    reference = pyotp.TOTP(secret)
    assert totp.matching_step(secret, reference.at(NOW)) == step
    assert totp.matching_step(secret, reference.at(NOW - 30)) == step - 1
    assert totp.matching_step(secret, reference.at(NOW + 30)) == step + 1
    assert totp.matching_step(secret, reference.at(NOW - 60)) is None
    assert totp.matching_step(secret, reference.at(NOW + 60)) is None
    assert totp.matching_step(secret, "\uff11\uff12\uff13\uff14\uff15\uff16") is None  # not a TypeError


def test_the_provisioning_uri_names_the_issuer_and_account() -> None:
    uri = PyotpTotp().provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", account="ann@example.org", issuer="Lore")
    assert uri == "otpauth://totp/Lore:ann%40example.org?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Lore"


def test_sealed_secrets_open_only_with_their_key_and_user() -> None:
    box = AesGcmMfaSecretBox(KEY)
    sealed = box.seal("JBSWY3DPEHPK3PXP", context="user-1")
    assert sealed.startswith("v1:")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert box.seal("JBSWY3DPEHPK3PXP", context="user-1") != sealed  # a fresh nonce each time
    assert box.open(sealed, context="user-1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        box.open(sealed, context="user-2")  # copied onto another user's row
    with pytest.raises(ValueError, match="cannot be decrypted"):
        AesGcmMfaSecretBox("o" * 40).open(sealed, context="user-1")
    with pytest.raises(ValueError, match="unknown MFA secret format"):
        box.open("v0:abc", context="user-1")


def test_recovery_code_digests_are_keyed() -> None:
    box = AesGcmMfaSecretBox(KEY)
    digest = box.code_digest("abcdefghijkl")
    assert len(digest) == 64
    assert digest == AesGcmMfaSecretBox(KEY).code_digest("abcdefghijkl")
    assert digest != AesGcmMfaSecretBox("o" * 40).code_digest("abcdefghijkl")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        AesGcmMfaSecretBox("short")
