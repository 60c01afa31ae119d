"""The pure rules of webhooks: addresses, signatures, the retry schedule, rotation, sealing, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from adapters.security.secret_box import SealedFormatError, SealedKeyError, SecretBox
from adapters.webhooks.http_sender import pinned_url
from application.webhooks.ports import Target
from application.webhooks.targets import WebhookTargets
from domain.webhooks.addresses import forbidden_reason, parse_target
from domain.webhooks.errors import WebhookUrlRefusedError
from domain.webhooks.models import DEFAULT_RETRY_SCHEDULE, AttemptOutcome, SigningSecrets, retry_delay
from domain.webhooks.signing import headers
from entrypoints.bootstrap.settings import SettingsError, load_settings

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("2002:a9fe:a9fe::", "metadata"),  # 6to4 of 169.254.169.254
        ("2002:808:808::1", None),  # 6to4 of 8.8.8.8, a public address
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "tunnel"),  # Teredo
        ("2001::f5ff:fffe", "tunnel"),  # Teredo of 10.0.0.1 (the client address is stored inverted)
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.1.1", "link_local"),
        ("fe80::1", "link_local"),
        ("100.64.0.1", "cgnat"),
        ("0.0.0.0", "unspecified"),
        ("239.1.1.1", "multicast"),
        ("192.0.2.1", "private"),  # documentation range: not global
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
    ],
)
def test_only_public_unicast_addresses_may_be_called(address: str, reason: str | None) -> None:
    assert forbidden_reason(address) == reason


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme"),
        ("gopher://8.8.8.8/", "scheme"),
        ("http://user@8.8.8.8/", "credentials"),
        ("http:///path", "malformed"),
        ("http://8.8.8.8:99999/", "malformed"),
    ],
)
def test_urls_other_than_plain_http_are_refused(url: str, reason: str) -> None:
    with pytest.raises(WebhookUrlRefusedError) as refused:
        parse_target(url)
    assert refused.value.details["reason"] == reason


class _Resolver:
    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)

    async def resolve(self, host: str, port: int) -> list[str]:
        return self.addresses


async def test_a_name_with_any_private_address_is_refused_unless_allow_listed() -> None:
    mixed = _Resolver("8.8.8.8", "10.0.0.1")
    with pytest.raises(WebhookUrlRefusedError):
        await WebhookTargets(mixed, frozenset()).check("https://hooks.example.org/x")
    allowed = await WebhookTargets(mixed, frozenset({"HOOKS.example.org"})).check("https://hooks.example.org/x")
    assert allowed.address == "8.8.8.8"


def test_signatures_verify_with_the_reference_library_and_both_secrets_sign_during_overlap() -> None:
    old, new = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    secrets = SigningSecrets(old).rotated(new, NOW, timedelta(hours=1))
    body = '{"id":"e1"}'
    timestamp = int(datetime.now(UTC).timestamp())
    signed = headers(secrets.signing(NOW), "msg_1", timestamp, body)
    assert len(signed["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, signed) == {"id": "e1"}
    assert secrets.signing(NOW + timedelta(hours=1)) == [new]  # the overlap is over


def test_the_default_schedule_spans_about_a_day_with_jitter() -> None:
    total = sum(DEFAULT_RETRY_SCHEDULE)
    assert 22 * 3600 < total < 26 * 3600
    assert retry_delay((10.0,), 1, 0.0) == timedelta(seconds=8)
    longest = retry_delay((10.0,), 1, 0.999999)
    assert longest is not None
    assert longest < timedelta(seconds=12)
    assert retry_delay((10.0,), 2, 0.5) is None  # exhausted


def test_an_outcome_says_why_it_failed() -> None:
    assert AttemptOutcome(302, 5).describe() == "HTTP 302: redirects are not followed"
    assert not AttemptOutcome(302, 5).succeeded
    assert AttemptOutcome(None, 5, error="ConnectError: refused").describe() == "ConnectError: refused"


def test_secrets_are_sealed_at_rest() -> None:
    box = SecretBox("x" * 40, purpose=b"webhooks")
    sealed = box.seal("whsec_abc")
    assert sealed.startswith("v1:")
    assert "whsec_abc" not in sealed
    assert sealed != box.seal("whsec_abc")  # a fresh nonce each time
    assert box.open(sealed) == "whsec_abc"
    assert SecretBox("y" * 40, purpose=b"webhooks").try_open(sealed) is None  # another key cannot open it
    assert SecretBox("x" * 40, purpose=b"mfa").try_open(sealed) is None  # nor the same key for another purpose
    assert box.try_open("not sealed") is None
    assert box.try_open("v1:AAAAA") is None  # not base64
    assert box.try_open("v1:" + "A" * 20) is None  # too short for a nonce and a tag
    with pytest.raises(SealedFormatError, match="unknown sealed format"):
        box.open("v2:" + sealed[3:])


def test_a_context_binds_a_sealed_value_to_its_place() -> None:
    box = SecretBox("x" * 40, purpose=b"rows")
    sealed = box.seal(b"\x00\xff raw bytes", context="row-1")
    assert box.open_bytes(sealed, context="row-1") == b"\x00\xff raw bytes"
    with pytest.raises(SealedKeyError):
        box.open_bytes(sealed, context="row-2")
    with pytest.raises(SealedKeyError):
        box.open_bytes(sealed)


def test_the_address_is_pinned_in_the_url() -> None:
    assert pinned_url(Target("https://h.example/a?b=1", "h.example", "2001:db8::1")) == "https://[2001:db8::1]/a?b=1"
    assert pinned_url(Target("http://h.example:8080", "h.example", "8.8.8.8")) == "http://8.8.8.8:8080/"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"WEBHOOK_RETRY_SCHEDULE": "5,soon"}, "WEBHOOK_RETRY_SCHEDULE"),
        ({"WEBHOOK_RETRY_SCHEDULE": "0"}, "WEBHOOK_RETRY_SCHEDULE"),
        ({"WEBHOOK_TIMEOUT_SECONDS": "120"}, "WEBHOOK_TIMEOUT_SECONDS"),
        ({"WEBHOOK_TIMEOUT_SECONDS": "30", "WEBHOOK_LEASE_SECONDS": "30"}, "WEBHOOK_LEASE_SECONDS"),
    ],
)
def test_webhook_settings_are_checked(environ: dict[str, str], message: str, tmp_path: object) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"LORE_DATA_DIR": str(tmp_path), **environ})
