"""Password policy (OWASP ASVS 6.2): length 8..128 with no truncation, and no common passwords."""

from __future__ import annotations

from collections.abc import Container

from domain.identity.errors import WeakPasswordError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


class PasswordPolicy:
    def __init__(self, common_passwords: Container[str]) -> None:
        self._common = common_passwords

    def check(self, password: str, *, email: str | None = None) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPasswordError(
                f"The password must be at least {MIN_PASSWORD_LENGTH} characters.", details={"reason": "too_short"}
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise WeakPasswordError(
                f"The password must be at most {MAX_PASSWORD_LENGTH} characters.", details={"reason": "too_long"}
            )
        if password.lower() in self._common:
            raise WeakPasswordError("This password is too common.", details={"reason": "common"})
        if email and password.lower() == email.lower():
            raise WeakPasswordError("The password must not be your email address.", details={"reason": "is_email"})
