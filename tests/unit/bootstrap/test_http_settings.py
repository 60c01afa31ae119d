"""Settings of the HTTP platform: CORS, trusted proxies, rate limits."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from entrypoints.bootstrap.settings import SettingsError, load_settings

BASE = {"LORE_ENV": "test", "JWT_SECRET": "s" * 40}


def test_defaults() -> None:
    settings = load_settings(BASE)
    assert settings.rate_limit_enabled is True
    assert (settings.rate_limit_read, settings.rate_limit_write, settings.rate_limit_expensive) == (300, 100, 20)
    assert settings.rate_limit_window_seconds == 60
    assert settings.trusted_proxy_networks == []
    assert settings.cors_origin_list == []
    assert settings.hsts_enabled is False
    assert settings.compression_enabled is True


def test_lists_are_read_from_commas() -> None:
    settings = load_settings(
        BASE
        | {"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1", "CORS_ORIGINS": "https://a.example/, http://b.example:3000"}
    )
    assert settings.trusted_proxy_networks == [ip_network("10.0.0.0/8"), ip_network("192.168.1.1/32")]
    assert settings.cors_origin_list == ["https://a.example", "http://b.example:3000"]


def test_any_origin_with_credentials_is_refused() -> None:
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        load_settings(BASE | {"CORS_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "true"})
    assert load_settings(BASE | {"CORS_ORIGINS": "*"}).cors_origin_list == ["*"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CORS_ORIGINS", "app.example.org"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("TRUSTED_PROXIES", "proxy.local"),
        ("RATE_LIMIT_READ", "0"),
        ("RATE_LIMIT_WINDOW_SECONDS", "0"),
        ("RATE_LIMIT_ENABLED", "maybe"),
    ],
)
def test_invalid_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(BASE | {variable: value})
