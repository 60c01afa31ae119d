"""Scrubs secrets and personal data out of text bound for logs and traces.

Shape-based: it recognises what a secret looks like (an argon2 hash, a JWT, a Lore API key, a
webhook signing secret, a 256-bit opaque token, ``password=...``), so it also covers values that reach
a log line by accident, e.g. inside a database error or a URL.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"


def _marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


_URLSAFE = r"[A-Za-z0-9_-]"
_SENSITIVE_WORD = r"(?:password|passwd|secret|token|api[_-]?key|authorization|credentials?|cookie)"

# (lower-case literals a match contains one of, pattern, replacement). Order matters: exact
# shapes first, so the generic key=value rule never cuts a hash in half (argon2 hashes contain commas
# and '$'). The literals skip a rule cheaply: most text (SQL statements, routes) has none of them.
_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # SQLAlchemy's "[parameters: (...)]" in error messages and the parameter line of echoed SQL
    (("[parameters: ",), re.compile(r"\[parameters: [^\n]*\]"), f"[parameters: {REDACTED}]"),
    (
        ("] ",),
        re.compile(r"(\[(?:generated in|cached since|no key|raw sql|dialect )[^\]\n]*\]) [^\n]+"),
        rf"\1 {REDACTED}",
    ),
    # the values Postgres echoes in constraint errors: 'Key (email)=(a@b.c) already exists', failing rows
    (("key (",), re.compile(r"\bKey \(([^\n]*?)\)=\([^\n]*\)"), rf"Key (\1)=({REDACTED})"),
    (("failing row",), re.compile(r"\bFailing row contains \([^\n]*\)"), f"Failing row contains ({REDACTED})"),
    (("$argon2",), re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9+/=$,.-]*"), _marker("argon2")),
    (("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"), _marker("jwt")),
    # lore_<public prefix>_<secret>: the prefix identifies the key (it is listed to its owner), keep it
    (("lore_",), re.compile(r"\blore_([a-z0-9]{12})_[A-Za-z0-9_-]+"), rf"lore_\1_{REDACTED}"),
    # a Standard Webhooks signing secret (whsec_ + base64)
    (("whsec_",), re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"), _marker("webhook_secret")),
    (("bearer", "basic"), re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # user:password@ in URLs (database and Redis URLs)
    (("://",), re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/\s@]*:)[^@\s/]+@"), rf"\1{REDACTED}@"),
    # password=..., "token": "...", new_password: ..., x-api-key=... (not a value that is already redacted)
    (
        ("password", "passwd", "secret", "token", "api", "authorization", "credential", "cookie"),
        re.compile(rf"""(?i)({_SENSITIVE_WORD}["']?\s*[=:]\s*)(?!\[REDACTED)("[^"]*"|'[^']*'|[^\s,;&'"}})\]]+)"""),
        rf"\1{REDACTED}",
    ),
    # provider keys: OpenAI sk-..., sk-proj-..., Anthropic sk-ant-...
    (("sk-",), re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), _marker("provider_key")),
    # refresh, reset and verification tokens: 43 URL-safe characters (256 bits) mixing cases (a random
    # token lacks one of them about once in 10^9; requiring a digit too would miss 1 in 1,400)
    (
        (),  # no literal: always tried
        re.compile(
            rf"(?<!{_URLSAFE})(?={_URLSAFE}{{43}}(?!{_URLSAFE}))"
            rf"(?={_URLSAFE}*[A-Z])(?={_URLSAFE}*[a-z]){_URLSAFE}{{43}}"
        ),
        _marker("token"),
    ),
    (("@",), re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"), _marker("email")),
)

_SENSITIVE_NAME = re.compile(rf"(?i)(?:^|[_.-]){_SENSITIVE_WORD}$")


def redact(text: str) -> str:
    lowered = text.lower()
    for literals, pattern, replacement in _RULES:
        if not literals or any(literal in lowered for literal in literals):
            text = pattern.sub(replacement, text)
    return text


def is_sensitive_name(name: str) -> bool:
    """A field whose name says it holds a secret (``password``, ``refresh_token``, ``x-api-key``)."""
    return _SENSITIVE_NAME.search(name) is not None
