"""Minimal, self-contained HTML pages for the links in emails (no script, no external resources)."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from litestar import MediaType, Response

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.4rem}label{display:block;margin-top:1rem}"
    "input{width:100%;padding:.5rem;box-sizing:border-box;font-size:1rem}"
    "button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#a00}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()

# the page carries a one-time token: no caching, no Referer to other sites, nothing but our own
# inline style, and forms may post only back to us
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def page(status_code: int, title: str, message: str, *, body_html: str = "") -> Response[str]:
    """A page with a heading and a paragraph; ``body_html`` must be markup built from escaped parts."""
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - Lore</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p>{body_html}</body></html>"
    )
    return Response(document, status_code=status_code, media_type=MediaType.HTML, headers=SECURITY_HEADERS)


def reset_form(action: str, token: str, *, status_code: int = 200, error: str | None = None) -> Response[str]:
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    form = (
        f'{problem}<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        '<label for="password">New password</label>'
        '<input id="password" name="password" type="password" autocomplete="new-password" required>'
        '<label for="confirm">Repeat the new password</label>'
        '<input id="confirm" name="confirm" type="password" autocomplete="new-password" required>'
        '<button type="submit">Set the new password</button></form>'
    )
    return page(status_code, "Choose a new password", "Setting it signs you out on every device.", body_html=form)
