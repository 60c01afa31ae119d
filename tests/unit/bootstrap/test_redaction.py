from __future__ import annotations

import json
import logging
import sys

import pytest

from entrypoints.bootstrap.logging import JsonFormatter, RedactingFilter, install_log_context
from entrypoints.bootstrap.redaction import redact

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIwMTkyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
OPAQUE = "Zk3vQ9tLx2Rb7NwPq4Hc8Ys1Jd6Mf0Ga5Ke3Ut9Wi2O"  # the shape of secrets.token_urlsafe(32)
NO_DIGIT = "ZkavQqtLxbRbhNwPqrHcjYsmJdnMfpGayKeeUtkWioO"  # a token_urlsafe(32) can come without digits
API_KEY = "lore_ab12cd34ef56_" + OPAQUE


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        (f"hash {HASH} stored", HASH, "hash [REDACTED:argon2] stored"),
        (f"token {JWT}", JWT, "token [REDACTED:jwt]"),
        (f"key {API_KEY}.", OPAQUE, "key lore_ab12cd34ef56_[REDACTED]."),
        ("secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La+a/w= set", "MfKQ9r8G", "secret [REDACTED:webhook_secret] set"),
        (f"Authorization: Bearer {OPAQUE}", OPAQUE, None),
        (f"refresh {OPAQUE} rotated", OPAQUE, "refresh [REDACTED:token] rotated"),
        (f"no digit {NO_DIGIT} here", NO_DIGIT, "no digit [REDACTED:token] here"),
        ("upstream sk-ant-api03-AbCdEf0123456789xyz refused", "AbCdEf0123", "upstream [REDACTED:provider_key] refused"),
        ("key sk-proj-0123456789abcdefABCD", "0123456789", "key [REDACTED:provider_key]"),
        ("password=hunter2 and more", "hunter2", "password=[REDACTED] and more"),
        ('{"new_password": "s3cret!"}', "s3cret!", '{"new_password": [REDACTED]}'),
        ("smtp_password: 'p4ss word'", "p4ss word", "smtp_password: [REDACTED]"),
        ("GET /verify-email?token=abc123&next=1", "abc123", "GET /verify-email?token=[REDACTED]&next=1"),
        ("x-api-key=k3y", "k3y", "x-api-key=[REDACTED]"),
        ("postgresql://lore:pa55@db:5432/lore", "pa55", "postgresql://lore:[REDACTED]@db:5432/lore"),
        (
            "x\n[SQL: INSERT INTO users VALUES ($1)]\n[parameters: ('ann', 3)]\n(Background)",
            "'ann'",
            "x\n[SQL: INSERT INTO users VALUES ($1)]\n[parameters: [REDACTED]]\n(Background)",
        ),
        ("[generated in 0.0001s] ('ann', 3)", "'ann'", "[generated in 0.0001s] [REDACTED]"),
        ("[cached since 2.5s ago] ('ann', 3)", "'ann'", "[cached since 2.5s ago] [REDACTED]"),
        ("PASSWORD: hunter2", "hunter2", "PASSWORD: [REDACTED]"),
        (
            "DETAIL:  Key (email)=(ann@example.org) already exists.",
            "ann@",
            "DETAIL:  Key (email)=([REDACTED]) already exists.",
        ),
        ("DETAIL:  Failing row contains (1, ann, x).", "ann", "DETAIL:  Failing row contains ([REDACTED])."),
        ("could not mail Ann.Lee+x@mail.example.org now", "Ann.Lee", "could not mail [REDACTED:email] now"),
        (f"password={HASH}", "aGFzaGhh", "password=[REDACTED:argon2]"),
    ],
)
def test_redact_removes_secret_shapes(text: str, secret: str, expected: str | None) -> None:
    clean = redact(text)
    assert secret not in clean
    if expected is not None:
        assert clean == expected


@pytest.mark.parametrize(
    "text",
    [
        "secret internals: SELECT * FROM users",
        "JWT_SECRET is not set: generated a development secret in /tmp/x",
        "usage input_tokens=5 output_tokens: 7 token_quota_per_day=9",
        "constraint uq_collection_members_collection_id_user_id_and_more",
        "trace 0123456789abcdef0123456789abcdef user 0192f8e4-1234-7abc-8def-0123456789ab",
        "WHERE one_time_tokens.token_hash = $1 AND users.password_hash IS NOT NULL",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def _record(msg: str, *args: object, exc: BaseException | None = None, **extra: object) -> logging.LogRecord:
    install_log_context()
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info, extra=extra)


def _raised(message: str) -> BaseException:
    try:
        raise RuntimeError(message)
    except RuntimeError:
        return sys.exc_info()[1]  # type: ignore[return-value]


def test_records_are_scrubbed_at_creation_message_args_and_traceback() -> None:
    record = _record("login with %s failed", f"password={OPAQUE}", exc=_raised(f"bad hash {HASH}"))
    assert OPAQUE not in record.getMessage()
    assert record.getMessage() == "login with password=[REDACTED] failed"
    assert record.exc_text is not None
    assert "Traceback" in record.exc_text
    assert HASH not in record.exc_text
    assert "RuntimeError: bad hash [REDACTED:argon2]" in record.exc_text
    line = json.loads(JsonFormatter().format(record))
    assert HASH not in line["exception"]


def test_a_clean_record_keeps_its_arguments() -> None:
    record = _record("%d documents in %s", 3, "notes")
    assert record.args == (3, "notes")


def test_filter_scrubs_extra_fields_by_shape_and_by_name() -> None:
    record = _record(
        "m",
        database_url="postgresql://lore:pa55@db/lore",
        refresh_token="anything",
        payload={"note": f"Bearer {JWT}"},
        count=3,
        subject="Verify your email",
    )
    assert RedactingFilter().filter(record)
    assert record.database_url == "postgresql://lore:[REDACTED]@db/lore"  # type: ignore[attr-defined]
    assert record.refresh_token == "[REDACTED]"  # type: ignore[attr-defined]
    assert JWT not in str(record.payload)  # type: ignore[attr-defined]
    assert record.count == 3  # type: ignore[attr-defined]
    assert record.subject == "Verify your email"  # type: ignore[attr-defined]


def test_filter_scrubs_a_record_made_without_the_factory() -> None:
    exc = _raised(f"with {HASH}")
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "key %s", (API_KEY,), (type(exc), exc, exc.__traceback__), sinfo=f"at {JWT}"
    )
    RedactingFilter().filter(record)
    assert OPAQUE not in record.getMessage()
    assert record.stack_info == "at [REDACTED:jwt]"
    assert HASH not in json.loads(JsonFormatter().format(record))["exception"]


def test_json_formatter_formats_an_exception_it_was_not_handed_as_text() -> None:
    exc = _raised("plain failure")
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "m", (), (type(exc), exc, exc.__traceback__))
    assert "RuntimeError: plain failure" in json.loads(JsonFormatter().format(record))["exception"]


def test_a_broken_format_string_does_not_hide_the_values_it_was_given() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "%s and %s", (f"token={OPAQUE}",), None)
    RedactingFilter().filter(record)
    assert OPAQUE not in record.getMessage()
