"""RFC 6238 TOTP through pyotp: 6 digits, SHA-1, 30-second steps (what every authenticator app expects)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

import pyotp

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after is accepted: phone clocks and typing take time


class PyotpTotp:
    def __init__(self, time_source: Callable[[], float] = time.time) -> None:
        # its own time source, so tests can move TOTP time without moving the clock tokens are issued by
        self._time = time_source

    def new_secret(self) -> str:
        return pyotp.random_base32(32)  # 32 base32 characters = 160 bits (RFC 4226 recommends 160)

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=issuer)

    def matching_step(self, secret: str, code: str) -> int | None:
        if not (code.isascii() and code.isdigit()):
            return None  # hmac.compare_digest raises on non-ASCII str: a wrong code, not an error
        totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
        now = int(self._time())
        current = now // STEP_SECONDS
        # pyotp's verify() says only yes or no; the step is needed to refuse the same code twice
        for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None
