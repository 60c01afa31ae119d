from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.bootstrap.settings import Environment, SettingsError, load_settings, serving_at

PROD = {
    "LORE_ENV": "production",
    "DATABASE_URL": "postgresql://lore@db/lore",
    "REDIS_URL": "redis://cache:6379/0",
    "JWT_SECRET": "s" * 40,
    "SMTP_HOST": "smtp.example.org",
}


def test_production_settings_load() -> None:
    settings = load_settings(PROD | {"LOG_LEVEL": "warning", "DATABASE_POOL_SIZE": "7"})
    assert settings.lore_env is Environment.PRODUCTION
    assert settings.log_level == "WARNING"
    assert settings.database_pool_size == 7
    assert settings.jwt_secret == "s" * 40


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL", "JWT_SECRET", "SMTP_HOST"])
def test_production_names_the_missing_variable(missing: str) -> None:
    env = {k: v for k, v in PROD.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        load_settings(env)


def test_production_rejects_a_short_secret() -> None:
    with pytest.raises(SettingsError, match=r"JWT_SECRET.*32"):
        load_settings(PROD | {"JWT_SECRET": "short"})


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DATABASE_POOL_SIZE", "many"), ("DATABASE_POOL_SIZE", "0"), ("LOG_LEVEL", "LOUD"), ("LORE_ENV", "staging")],
)
def test_invalid_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(PROD | {variable: value})


def test_worker_concurrency_must_be_positive() -> None:
    with pytest.raises(SettingsError, match="WORKER_CONCURRENCY"):
        load_settings(PROD | {"WORKER_CONCURRENCY": "0"})


def test_development_generates_and_keeps_a_secret(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {"LORE_DATA_DIR": str(tmp_path)}
    first = load_settings(env)
    assert first.lore_env is Environment.DEVELOPMENT
    assert len(first.jwt_secret) >= 32
    assert "generated a development secret" in caplog.text
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600
    assert load_settings(env).jwt_secret == first.jwt_secret


def test_blank_values_count_as_unset(tmp_path: Path) -> None:
    settings = load_settings({"LORE_DATA_DIR": str(tmp_path), "DATABASE_URL": "  "})
    assert settings.database_url is None
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        _ = settings.require_database_url
    with pytest.raises(SettingsError, match="REDIS_URL"):
        _ = settings.require_redis_url


@pytest.mark.parametrize("variable", ["EMBEDDINGS_TIMEOUT_SECONDS", "LLM_TIMEOUT_SECONDS", "METRICS_PUBLISH_SECONDS"])
def test_timeouts_must_be_positive_and_bounded(variable: str) -> None:
    assert getattr(load_settings(PROD | {variable: "2.5"}), variable.lower()) == 2.5
    for value in ("0", "-1", "601", "soon"):
        with pytest.raises(SettingsError, match=variable):
            load_settings(PROD | {variable: value})


def test_default_role_is_member_and_editor_can_be_chosen() -> None:
    assert load_settings(PROD).default_role == "member"
    assert load_settings(PROD | {"DEFAULT_ROLE": "Editor"}).default_role == "editor"


def test_default_role_admin_is_refused_in_one_line() -> None:
    with pytest.raises(SettingsError, match=r"^DEFAULT_ROLE: admin is refused") as caught:
        load_settings(PROD | {"DEFAULT_ROLE": "admin"})
    assert "\n" not in str(caught.value)


def test_default_role_must_be_a_known_role() -> None:
    with pytest.raises(SettingsError, match=r"DEFAULT_ROLE: expected one of member, editor, got 'owner'"):
        load_settings(PROD | {"DEFAULT_ROLE": "owner"})


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("localhost", 8001, "http://localhost:8001"),
        ("::1", 8002, "http://[::1]:8002"),
    ],
)
def test_lore_dev_links_follow_the_listening_address(host: str, port: int, expected: str, tmp_path: Path) -> None:
    env = {"LORE_DATA_DIR": str(tmp_path)}
    settings = serving_at(load_settings(env), host, port, env)
    assert settings.public_url == expected
    assert settings.email_link_base == expected


def test_an_explicit_public_url_wins_over_the_listening_address(tmp_path: Path) -> None:
    env = {"LORE_DATA_DIR": str(tmp_path), "PUBLIC_URL": "https://lore.example.org/"}
    settings = serving_at(load_settings(env), "127.0.0.1", 8123, env)
    assert settings.public_url == "https://lore.example.org/"
    assert settings.email_link_base == "https://lore.example.org"


def test_frontend_url_takes_the_links_in_emails(tmp_path: Path) -> None:
    env = {"LORE_DATA_DIR": str(tmp_path), "FRONTEND_URL": "https://app.example.org/"}
    settings = serving_at(load_settings(env), "127.0.0.1", 8123, env)
    assert settings.public_url == "http://127.0.0.1:8123"
    assert settings.email_link_base == "https://app.example.org"


@pytest.mark.parametrize("variable", ["PUBLIC_URL", "FRONTEND_URL"])
@pytest.mark.parametrize("value", ["app.example.org", "ftp://app.example.org", "https://x.org/?a=1", "https://"])
def test_link_bases_must_be_http_urls(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{variable}: expected an http\(s\) base URL"):
        load_settings(PROD | {variable: value})


@pytest.mark.parametrize(
    ("variable", "low", "high"),
    [("JOB_HEARTBEAT_SECONDS", 3, 3600), ("JOB_SWEEP_SECONDS", 1, 3600), ("SIGNING_KEYS_REFRESH_SECONDS", 1, 3600)],
)
def test_job_heartbeat_and_sweep_are_bounded(variable: str, low: int, high: int) -> None:
    for value in (low, high):
        assert getattr(load_settings(PROD | {variable: str(value)}), variable.lower()) == value
    for value in (low - 1, high + 1):
        with pytest.raises(SettingsError, match=f"^{variable}: must be between {low} and {high}"):
            load_settings(PROD | {variable: str(value)})


def test_a_metrics_token_is_optional_but_never_short() -> None:
    assert load_settings(PROD).metrics_token is None
    assert load_settings(PROD | {"METRICS_TOKEN": "m" * 32}).metrics_token == "m" * 32
    with pytest.raises(SettingsError, match=r"^METRICS_TOKEN: must be at least 32 characters"):
        load_settings(PROD | {"METRICS_TOKEN": "short"})


def test_mfa_settings() -> None:
    defaults = load_settings(PROD)
    assert defaults.mfa_key_material == defaults.jwt_secret  # derived from JWT_SECRET unless set
    assert defaults.mfa_required_for_admins is False
    assert defaults.mfa_step_up_seconds == 600
    chosen = load_settings(PROD | {"MFA_ENCRYPTION_KEY": "e" * 32, "MFA_REQUIRED_FOR_ADMINS": "true"})
    assert chosen.mfa_key_material == "e" * 32
    assert chosen.mfa_required_for_admins is True
    with pytest.raises(SettingsError, match=r"^MFA_ENCRYPTION_KEY: must be at least 32 characters"):
        load_settings(PROD | {"MFA_ENCRYPTION_KEY": "short"})
    with pytest.raises(SettingsError, match=r"^MFA_STEP_UP_SECONDS: must be between 60 and 86400"):
        load_settings(PROD | {"MFA_STEP_UP_SECONDS": "59"})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RERANK_PROTOCOL", "jina-v9"),
        ("RERANK_CANDIDATES", "0"),
        ("RERANK_CANDIDATES", "201"),
        ("RERANK_TIMEOUT_SECONDS", "0"),
        ("RERANK_URL", "tei.local:8080"),
    ],
)
def test_rerank_settings_are_checked(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(PROD | {variable: value})


def test_reranking_is_off_by_default_and_reads_its_variables() -> None:
    assert load_settings(PROD).rerank_url is None
    settings = load_settings(PROD | {"RERANK_URL": "http://tei:8080", "RERANK_PROTOCOL": "cohere", "RERANK_MODEL": "m"})
    assert (settings.rerank_url, settings.rerank_protocol, settings.rerank_model) == ("http://tei:8080", "cohere", "m")


def test_fast_password_hashing_is_for_the_test_suite_only() -> None:
    base = {"JWT_SECRET": "s" * 48, "PASSWORD_HASHING": "fast"}
    assert load_settings({**base, "LORE_ENV": "test"}).password_hashing == "fast"
    assert load_settings({"JWT_SECRET": "s" * 48}).password_hashing == "owasp"
    for env in ({**base, "LORE_ENV": "development"}, PROD | {"PASSWORD_HASHING": "fast"}):
        with pytest.raises(SettingsError, match="PASSWORD_HASHING: only 'owasp' outside the test suite"):
            load_settings(env)
    with pytest.raises(SettingsError, match="PASSWORD_HASHING: expected one of owasp, fast"):
        load_settings({**base, "LORE_ENV": "test", "PASSWORD_HASHING": "none"})


def test_oidc_providers_are_read_from_json() -> None:
    value = '{"kc": {"issuer": "https://sso.example.org/realms/a", "client_id": "lore", "client_secret": "s"}}'
    [(name, provider)] = load_settings(PROD | {"OIDC_PROVIDERS": value}).oidc_provider_settings.items()
    assert name == "kc"
    assert provider.client_secret == "s"
    assert provider.scopes == ["openid", "email", "profile"]
    assert load_settings(PROD).oidc_provider_settings == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "JSON object"),
        ('{"kc": {"issuer": "https://a.example.org"}}', "JSON object"),  # no client_id
        ('{"kc": {"issuer": "https://a.example.org", "client_id": "x", "extra": 1}}', "JSON object"),
        ('{"Bad Name": {"issuer": "https://a.example.org", "client_id": "x"}}', "provider name"),
        ('{"kc": {"issuer": "ftp://a.example.org", "client_id": "x"}}', "kc.issuer must be an http"),
        ('{"kc": {"issuer": "http://a.example.org", "client_id": "x"}}', "https in production"),
        ('{"kc": {"issuer": "https://a.example.org", "client_id": "x", "scopes": ["email"]}}', "include openid"),
        ('{"kc": {"issuer": "https://a.example.org", "client_id": ""}}', "client_id is empty"),
    ],
)
def test_bad_oidc_providers_stop_the_start(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=rf"OIDC_PROVIDERS: .*{message}"):
        load_settings(PROD | {"OIDC_PROVIDERS": value})


def test_storage_defaults_to_a_folder_in_the_data_dir_and_takes_file_or_s3_urls(tmp_path: Path) -> None:
    settings = load_settings(PROD | {"LORE_DATA_DIR": str(tmp_path)})
    assert settings.storage_location == (tmp_path / "blobs").as_uri()
    assert settings.spool_dir == tmp_path / "spool"
    for url in ("file:///srv/lore/blobs", "s3://bucket", "s3://bucket/some/prefix"):
        assert load_settings(PROD | {"STORAGE_URL": url}).storage_location == url


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("STORAGE_URL", "ftp://host/x"),
        ("STORAGE_URL", "file://relative/path"),
        ("STORAGE_URL", "s3:///no-bucket"),
        ("STORAGE_S3_ENDPOINT_URL", "minio:9000"),
    ],
)
def test_a_bad_storage_setting_is_named(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings(PROD | {variable: value})


def test_the_webhook_lease_leaves_room_for_name_resolution_and_settling() -> None:
    enough = load_settings(PROD | {"WEBHOOK_TIMEOUT_SECONDS": "5", "WEBHOOK_LEASE_SECONDS": "15"})
    assert enough.webhook_lease_seconds == 15
    with pytest.raises(SettingsError, match=r"^WEBHOOK_LEASE_SECONDS: must be at least WEBHOOK_TIMEOUT_SECONDS \+ 10"):
        load_settings(PROD | {"WEBHOOK_TIMEOUT_SECONDS": "5", "WEBHOOK_LEASE_SECONDS": "14"})


def test_a_webhook_secrets_key_is_optional_but_never_short() -> None:
    assert load_settings(PROD | {"WEBHOOK_SECRETS_KEY": "w" * 32}).webhook_secrets_key == "w" * 32
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRETS_KEY: must be at least 32 characters"):
        load_settings(PROD | {"WEBHOOK_SECRETS_KEY": "short"})


def test_webhook_allowed_hosts_are_refused_in_production(tmp_path: Path) -> None:
    exempt = {"WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    assert load_settings({"LORE_DATA_DIR": str(tmp_path)} | exempt).webhook_allowed_host_set == {"127.0.0.1"}
    with pytest.raises(SettingsError, match=r"^WEBHOOK_ALLOWED_HOSTS must be empty in production"):
        load_settings(PROD | exempt)
