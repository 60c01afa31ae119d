"""Multi-factor authentication: a TOTP enrolment (RFC 6238) and its single-use recovery codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

# RFC 8176 authentication method references, as sessions and access tokens record them
AMR_PASSWORD = "pwd"  # noqa: S105 - a method name, not a password
AMR_OTP = "otp"
# signed in at an OpenID Connect provider; RFC 8176 has no exact value, "fed" (federated) is the common one
AMR_FEDERATED = "fed"

RECOVERY_CODE_COUNT = 10
# 12 characters of base32 = 60 bits, shown as xxxx-xxxx-xxxx
RECOVERY_CODE_LENGTH = 12
RECOVERY_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


@dataclass(frozen=True, slots=True)
class MfaEnrolment:
    """A user's TOTP secret (sealed: only ciphertext leaves the adapter) and the last time step used."""

    user_id: UUID
    sealed_secret: str
    created_at: datetime
    confirmed_at: datetime | None = None  # None while the enrolment waits for its first code
    last_used_step: int | None = None  # codes of this step or earlier are refused (replay)

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None


def normalize_recovery_code(raw: str) -> str:
    """As typed, in any case, with or without the dashes and spaces; "" for anything outside ASCII (no code
    has such characters, and case folding beyond ASCII could turn one string into another's code)."""
    normalized = "".join(raw.split()).replace("-", "")
    return normalized.lower() if normalized.isascii() else ""


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def looks_like_totp(code: str) -> bool:
    """Six ASCII digits: str.isdigit() alone also takes Arabic-Indic or full-width digits, which no
    authenticator shows and which the constant-time comparison cannot take."""
    stripped = "".join(code.split())
    return len(stripped) == 6 and stripped.isascii() and stripped.isdigit()
