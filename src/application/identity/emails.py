"""The messages identity sends. Plain text keeps them readable in any client and in the dev mailbox."""

from __future__ import annotations

from application.identity.ports import EmailMessage


def verification_email(to: str, display_name: str, public_url: str, token: str) -> EmailMessage:
    link = f"{public_url.rstrip('/')}/verify-email?token={token}"
    return EmailMessage(
        to=to,
        subject="Verify your email for Lore",
        text=(
            f"Hello {display_name},\n\nConfirm your email address by opening this link within 24 hours:\n\n{link}\n\n"
            f"Or send this token to POST /api/v1/auth/verify-email:\n{token}\n\n"
            "If you did not create an account, ignore this message.\n"
        ),
    )


def password_reset_email(to: str, display_name: str, public_url: str, token: str) -> EmailMessage:
    link = f"{public_url.rstrip('/')}/reset-password?token={token}"
    return EmailMessage(
        to=to,
        subject="Reset your Lore password",
        text=(
            f"Hello {display_name},\n\nReset your password by opening this link within one hour:\n\n{link}\n\n"
            f"Or send this token to POST /api/v1/auth/password/reset:\n{token}\n\n"
            "If you did not ask for this, ignore this message; your password is unchanged.\n"
        ),
    )
