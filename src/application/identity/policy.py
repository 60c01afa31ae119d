"""Tunable identity settings, passed in from the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.identity.roles import Role


@dataclass(frozen=True, slots=True)
class IdentityPolicy:
    refresh_token_ttl: timedelta = timedelta(days=30)
    verification_ttl: timedelta = timedelta(hours=24)
    password_reset_ttl: timedelta = timedelta(hours=1)
    login_account_limit: int = 5
    login_ip_limit: int = 20
    login_window_seconds: int = 15 * 60
    # requests that send email (register, resend, forgot): per client address and per address mailed
    mail_ip_limit: int = 20
    mail_email_limit: int = 5
    mail_window_seconds: int = 60 * 60
    api_key_touch_interval: timedelta = timedelta(minutes=1)
    public_url: str = "http://127.0.0.1:8000"  # base of the links in emails (FRONTEND_URL or PUBLIC_URL)
    registration_role: Role = Role.MEMBER  # what a self-registered account gets (never admin)
    mfa_issuer: str = "Lore"  # the name authenticator apps show next to the account
    mfa_challenge_ttl: timedelta = timedelta(minutes=5)  # between the password step and the code step
    mfa_step_up_max_age: timedelta = timedelta(minutes=10)  # how recent a second factor sensitive actions need
    mfa_required_for_admins: bool = False
