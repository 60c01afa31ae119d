"""Typed settings read from environment variables.

Every field maps to the upper-case environment variable of the same name
(``database_url`` <- ``DATABASE_URL``). Production refuses to start on a
missing or invalid value and names the variable in one line.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

logger = logging.getLogger(__name__)

_MIN_SECRET_LENGTH = 32
_WEBHOOK_LEASE_HEADROOM_SECONDS = 10  # the resolver's 5 s and as much again to save the outcome
PASSWORD_HASHING = ("owasp", "fast")  # the first is the default, the only one outside LORE_ENV=test
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# (variable, minimum, maximum or None)
_BOUNDS: tuple[tuple[str, int, int | None], ...] = (
    ("DATABASE_POOL_SIZE", 1, None),
    ("WORKER_CONCURRENCY", 1, None),
    ("ACCESS_TOKEN_TTL_SECONDS", 60, 3600),
    ("REFRESH_TOKEN_TTL_DAYS", 1, 90),
    ("SIGNING_KEYS_REFRESH_SECONDS", 1, 3600),
    ("MAX_UPLOAD_BYTES", 1024, None),
    ("CHUNK_MAX_TOKENS", 16, 8192),
    ("EXTRACT_MAX_PAGES", 1, None),
    ("EXTRACT_MAX_TEXT_CHARS", 1000, None),
    ("EXTRACT_MAX_UNZIPPED_BYTES", 1024 * 1024, None),
    ("EXTRACT_MAX_ZIP_RATIO", 10, None),
    ("INGEST_LEASE_SECONDS", 1, 86_400),
    ("JOB_HEARTBEAT_SECONDS", 3, 3600),
    ("JOB_SWEEP_SECONDS", 1, 3600),
    ("LLM_MAX_ATTEMPTS", 1, 10),
    ("LLM_MAX_OUTPUT_TOKENS", 16, 32_000),
    ("LLM_CONTEXT_TOKENS", 1024, 2_000_000),
    ("TOKEN_QUOTA_PER_DAY", 1, None),
    ("RATE_LIMIT_WINDOW_SECONDS", 1, 86_400),
    ("RATE_LIMIT_READ", 1, 10_000_000),
    ("RATE_LIMIT_WRITE", 1, 10_000_000),
    ("RATE_LIMIT_EXPENSIVE", 1, 10_000_000),
    ("CORS_MAX_AGE_SECONDS", 0, 86_400),
    ("HSTS_MAX_AGE_SECONDS", 0, None),
    ("COMPRESSION_MIN_BYTES", 1, None),
    ("SEARCH_EF_SEARCH", 10, 1000),
    ("GRAPHQL_MAX_DEPTH", 2, 100),
    ("GRAPHQL_MAX_ALIASES", 1, 1000),
    ("GRAPHQL_MAX_TOKENS", 100, 1_000_000),
    ("GRAPHQL_MAX_COST", 10, 10_000_000),
    ("GRAPHQL_MAX_BODY_BYTES", 1024, 10 * 1024 * 1024),
    ("EVENTS_RELAY_BATCH_SIZE", 1, 10_000),
    ("EVENTS_RETENTION_DAYS", 1, 3650),
    ("LIVE_EVENTS_STREAM_LENGTH", 100, 10_000_000),
    ("LIVE_EVENTS_QUEUE_SIZE", 1, 100_000),
    ("LIVE_EVENTS_HEARTBEAT_SECONDS", 1, 3600),
    ("LIVE_EVENTS_ACCESS_CACHE_SECONDS", 0, 3600),
    ("LIVE_EVENTS_MAX_CONNECTIONS", 1, 100_000),
    ("QUERY_EMBEDDING_CACHE_TTL_SECONDS", 0, 30 * 86_400),
    ("RERANK_CANDIDATES", 1, 200),
    ("MFA_STEP_UP_SECONDS", 60, 86_400),
    ("WEBHOOK_LEASE_SECONDS", 2, 3600),
    ("WEBHOOK_ROTATION_OVERLAP_SECONDS", 0, 30 * 86_400),
    ("WEBHOOK_BATCH_SIZE", 1, 1000),
)
_RERANK_PROTOCOLS = ("tei", "cohere")
_KNOWN_PROVIDERS = ("openai", "anthropic")
# roles a self-registered account may get; admins are made by an operator (`lore users create --admin`)
_REGISTRATION_ROLES = ("member", "editor")


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


TRACE_SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class OidcProviderSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One entry of OIDC_PROVIDERS; its key is the provider's name in URLs."""

    issuer: str  # discovery reads {issuer}/.well-known/openid-configuration
    client_id: str
    client_secret: str | None = None  # None: a public client (PKCE only)
    display_name: str | None = None  # shown on the sign-in button; defaults to the name
    scopes: list[str] = msgspec.field(default_factory=lambda: ["openid", "email", "profile"])


_OIDC_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    lore_env: Environment = Environment.DEVELOPMENT
    lore_data_dir: Path = Path(".lore")
    database_url: str | None = None
    database_pool_size: int = 10
    redis_url: str | None = None
    # seals the private halves of the access-token signing keys stored in Postgres (at least 32 characters)
    jwt_secret: str = ""
    log_level: str = "INFO"
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "lore"
    # the OpenTelemetry SDK's own variables; a child of a sampled caller is always sampled
    otel_traces_sampler: str = "parentbased_traceidratio"
    otel_traces_sampler_arg: float = 1.0
    worker_concurrency: int = 10
    worker_queue: str = "lore"
    public_url: str = "http://127.0.0.1:8000"  # where Lore is reached; `lore dev` derives it from --host/--port
    frontend_url: str | None = None  # a frontend serving /verify-email and /reset-password; links in emails go there
    default_role: str = "member"  # the role of self-registered accounts
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_days: int = 30
    jwt_issuer: str = "lore"
    # how often each process reloads the signing keys; a rotated-in key signs after 3 intervals
    signing_keys_refresh_seconds: int = 30
    # argon2id cost: "owasp" (m=19 MiB, t=2); "fast" (m=8 KiB, t=1) only with LORE_ENV=test, where thousands of
    # accounts are created and a hash need not resist an attacker
    password_hashing: str = PASSWORD_HASHING[0]
    jwt_audience: str = "lore-api"
    # the key TOTP secrets are encrypted and recovery codes keyed with; unset = derived from JWT_SECRET (so
    # set it before rotating JWT_SECRET, or every enrolment becomes unreadable)
    mfa_encryption_key: str | None = None
    mfa_required_for_admins: bool = False  # admins without MFA keep only what they need to enrol
    # how recent a second factor API keys, passwords and roles need (and a passwordless account's sign-in, to enrol)
    mfa_step_up_seconds: int = 600
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    mail_from: str = "Lore <no-reply@lore.localhost>"
    embeddings_base_url: str | None = None
    embeddings_model: str = "text-embedding-3-small"
    embeddings_api_key: str | None = None
    embeddings_dimensions: int | None = None
    embeddings_timeout_seconds: float = 10.0  # per call; past it, hybrid search runs as keyword
    embeddings_ingest_timeout_seconds: float = 60.0  # per batch in the worker; a failed batch retries the job
    search_ef_search: int = 100  # HNSW candidate list per vector query: higher = better recall, slower
    query_embedding_cache_ttl_seconds: int = 86_400  # 0 = identical questions are embedded again
    rerank_url: str | None = None  # the base of `/rerank`; unset = no reranking
    rerank_protocol: str = "tei"  # tei (Text Embeddings Inference) or cohere (Cohere, Jina, vLLM)
    rerank_model: str = ""
    rerank_api_key: str | None = None
    rerank_timeout_seconds: float = 10.0  # one attempt; past it, the passages keep their retrieval order
    rerank_candidates: int = 30  # top hits given to the reranker (TEI's default max batch is 32)
    max_upload_bytes: int = 20 * 1024 * 1024
    # where originals are kept: file:///path or s3://bucket/prefix; unset = file://<LORE_DATA_DIR>/blobs
    storage_url: str | None = None
    storage_s3_endpoint_url: str | None = None  # an S3-compatible server (MinIO, Ceph, R2); unset = AWS
    storage_s3_region: str | None = None
    storage_s3_access_key_id: str | None = None  # unset: the AWS_* variables or the instance's role
    storage_s3_secret_access_key: str | None = None
    chunk_max_tokens: int = 256
    chunk_overlap_tokens: int = 32
    extract_max_pages: int = 2000  # PDF pages or PowerPoint slides; more fails the document
    extract_max_text_chars: int = 10_000_000
    extract_max_unzipped_bytes: int = 200 * 1024 * 1024  # DOCX/PPTX/XLSX/EPUB inflated: the ZIP-bomb guard
    extract_max_zip_ratio: int = 100
    ingest_lease_seconds: int = 300  # a job held longer than this by a silent worker is run again
    # a queued job whose worker has not touched it for this long is taken as abandoned and run again
    job_heartbeat_seconds: int = 30
    job_sweep_seconds: int = 5  # how often workers look for abandoned jobs
    llm_providers: str = ""  # priority order, e.g. "openai,anthropic"; empty = the offline extractive answerer
    openai_api_key: str | None = None
    openai_base_url: str | None = None  # any OpenAI-compatible server (vLLM, Ollama, LM Studio, ...)
    openai_model: str = "gpt-4o-mini"
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-4-5"
    llm_timeout_seconds: float = 30.0
    llm_max_attempts: int = 3
    llm_max_output_tokens: int = 800
    llm_context_tokens: int = 16_000
    answer_cache_ttl_seconds: int = 3600
    token_quota_per_day: int = 200_000
    # requests per window and caller (API key, else user, else client address), one bucket per policy
    rate_limit_enabled: bool = True
    rate_limit_window_seconds: int = 60
    rate_limit_read: int = 300  # GET/HEAD
    rate_limit_write: int = 100  # other methods
    rate_limit_expensive: int = 20  # uploads, /ask, conversation messages, summaries
    trusted_proxies: str = ""  # comma-separated CIDRs whose X-Forwarded-For/Forwarded name the client
    cors_origins: str = ""  # comma-separated origins allowed to call the API from a browser; empty = no CORS
    cors_allow_credentials: bool = False
    cors_max_age_seconds: int = 600
    hsts_enabled: bool = False  # only when every client reaches Lore over TLS
    hsts_max_age_seconds: int = 31_536_000
    compression_enabled: bool = True
    compression_min_bytes: int = 1024
    # GET /metrics answers a bearer of this token (a Prometheus scraper) or an admin; unset = admins only
    metrics_token: str | None = None
    metrics_publish_seconds: float = 10.0  # how often each process shares its metrics for /metrics
    # the event stream (GET /api/v1/events over WebSocket; the relay hands events to webhooks and the live feed)
    events_relay_batch_size: int = 100  # events handed on per transaction
    events_retention_days: int = 7  # handed-on events stay in the outbox table this long
    live_events_stream_length: int = 10_000  # about this many recent events kept in Redis for replay
    live_events_queue_size: int = 256  # events waiting per connection; past it the client is too slow and dropped
    live_events_heartbeat_seconds: float = 20.0  # a heartbeat frame (and a check of the credentials) this often
    live_events_access_cache_seconds: float = 30.0  # how long a connection trusts a "may read collection" answer
    live_events_max_connections: int = 20  # open connections per user or API key, per API process
    # POST/GET /graphql: what one document may ask for; introspection unset = on except in production
    graphql_introspection: bool | None = None
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 15
    graphql_max_tokens: int = 2000
    graphql_max_cost: int = 5000
    graphql_max_body_bytes: int = 64 * 1024
    graphql_trace_resolvers: bool = False  # a span per resolver, under the operation's span
    # webhooks (README "Webhooks"): seconds between attempts after each failure; once exhausted the endpoint
    # is disabled. The default, 5 s, 5 min, 30 min, 2 h, 5 h, 8 h, 8 h, spans about 24 hours (+-20% jitter)
    webhook_retry_schedule: str = "5,300,1800,7200,18000,28800,28800"
    webhook_timeout_seconds: float = 10.0  # one POST, connect to last byte read
    webhook_lease_seconds: int = 60  # a claimed delivery a dead worker held is retried after this
    webhook_rotation_overlap_seconds: int = 86_400  # the previous secret keeps signing this long after a rotation
    webhook_batch_size: int = 20  # deliveries claimed per worker round
    # comma-separated hosts exempt from the public-address check, e.g. 127.0.0.1 in development; never in production
    webhook_allowed_hosts: str = ""
    # key material that seals signing secrets at rest (AES-GCM via HKDF); unset = JWT_SECRET
    webhook_secrets_key: str | None = None
    # OpenID Connect sign-in: a JSON object of providers by name (README "Sign in with OpenID Connect")
    oidc_providers: str = ""
    # where the callback sends the browser, tokens in the URL fragment; unset = the callback answers JSON
    oidc_success_url: str | None = None

    @property
    def oidc_provider_settings(self) -> dict[str, OidcProviderSettings]:
        if not self.oidc_providers:
            return {}
        return msgspec.json.decode(self.oidc_providers, type=dict[str, OidcProviderSettings])

    @property
    def provider_names(self) -> list[str]:
        return [name.strip().lower() for name in self.llm_providers.split(",") if name.strip()]

    # SAQ waits this long for in-flight jobs at shutdown, then cancels them (they are retried)
    worker_shutdown_grace_seconds: int = 5

    @property
    def email_link_base(self) -> str:
        """Links in emails open the frontend when there is one, otherwise Lore's own pages."""
        return (self.frontend_url or self.public_url).rstrip("/")

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return [ip_network(cidr.strip(), strict=False) for cidr in self.trusted_proxies.split(",") if cidr.strip()]

    @property
    def graphql_introspection_enabled(self) -> bool:
        return self.graphql_introspection if self.graphql_introspection is not None else not self.is_production

    @property
    def webhook_schedule(self) -> tuple[float, ...]:
        return tuple(float(part) for part in self.webhook_retry_schedule.split(",") if part.strip())

    @property
    def webhook_allowed_host_set(self) -> frozenset[str]:
        return frozenset(host.strip().lower() for host in self.webhook_allowed_hosts.split(",") if host.strip())

    @property
    def is_production(self) -> bool:
        return self.lore_env is Environment.PRODUCTION

    def with_stores(self, *, database_url: str, redis_url: str | None) -> Settings:
        return msgspec.structs.replace(self, database_url=database_url, redis_url=redis_url)

    @property
    def mfa_key_material(self) -> str:
        """What the MFA secret box derives its keys from: MFA_ENCRYPTION_KEY, else JWT_SECRET."""
        return self.mfa_encryption_key or self.jwt_secret

    @property
    def storage_location(self) -> str:
        """``STORAGE_URL``, or a folder in the data dir."""
        return self.storage_url or (self.lore_data_dir.resolve() / "blobs").as_uri()

    @property
    def spool_dir(self) -> Path:
        """Where uploads bound for object storage are hashed before they are sent."""
        return self.lore_data_dir.resolve() / "spool"

    @property
    def mailbox_dir(self) -> Path:
        """Where the development mailbox keeps messages when no SMTP server is configured."""
        return self.lore_data_dir / "mailbox"

    @property
    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError("DATABASE_URL is not set and no embedded Postgres was started")
        return self.database_url

    @property
    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise SettingsError("REDIS_URL is not set and no embedded Redis was started")
        return self.redis_url


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for name in Settings.__struct_fields__:
        value = env.get(name.upper())
        if value is not None and value.strip() != "":
            raw[name] = value.strip()
    try:
        settings = msgspec.convert(raw, Settings, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    return _validated(settings)


def _decode(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"cannot read {kind} from the environment")


def _describe(exc: msgspec.ValidationError) -> str:
    # msgspec says "... - at `$.jwt_secret`": turn the path into the variable name
    message = str(exc)
    if "`$." in message:
        text, _, path = message.rpartition(" - at `$.")
        return f"{path.rstrip('`').upper()}: {text}"
    return message


def _check_password_hashing(settings: Settings) -> None:
    if settings.password_hashing not in PASSWORD_HASHING:
        raise SettingsError(f"PASSWORD_HASHING: expected one of {', '.join(PASSWORD_HASHING)}")
    if settings.password_hashing != PASSWORD_HASHING[0] and settings.lore_env is not Environment.TEST:
        raise SettingsError("PASSWORD_HASHING: only 'owasp' outside the test suite (LORE_ENV=test)")


def _validated(settings: Settings) -> Settings:
    level = settings.log_level.upper()
    if level not in _LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL: expected one of {', '.join(_LOG_LEVELS)}, got {settings.log_level!r}")
    settings = msgspec.structs.replace(settings, log_level=level, default_role=_registration_role(settings))
    for variable, low, high in _BOUNDS:
        value = getattr(settings, variable.lower())
        if value < low or (high is not None and value > high):
            span = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise SettingsError(f"{variable}: must be {span}")
    if settings.otel_traces_sampler not in TRACE_SAMPLERS:
        raise SettingsError(f"OTEL_TRACES_SAMPLER: expected one of {', '.join(TRACE_SAMPLERS)}")
    if not 0 <= settings.otel_traces_sampler_arg <= 1:
        raise SettingsError("OTEL_TRACES_SAMPLER_ARG: must be a ratio between 0 and 1")
    if not 0 <= settings.chunk_overlap_tokens < settings.chunk_max_tokens:
        raise SettingsError("CHUNK_OVERLAP_TOKENS: must be at least 0 and below CHUNK_MAX_TOKENS")
    _check_providers(settings)
    _check_rerank(settings)
    _check_webhooks(settings)
    _check_http(settings)
    _check_secret_lengths(settings)
    for variable in (
        "LLM_TIMEOUT_SECONDS",
        "EMBEDDINGS_TIMEOUT_SECONDS",
        "EMBEDDINGS_INGEST_TIMEOUT_SECONDS",
        "RERANK_TIMEOUT_SECONDS",
        "METRICS_PUBLISH_SECONDS",
    ):
        if not 0 < getattr(settings, variable.lower()) <= 600:
            raise SettingsError(f"{variable}: must be above 0 and at most 600 seconds")
    for variable in ("PUBLIC_URL", "FRONTEND_URL", "RERANK_URL", "OIDC_SUCCESS_URL", "STORAGE_S3_ENDPOINT_URL"):
        _check_base_url(variable, getattr(settings, variable.lower()))
    _check_storage(settings)
    _check_password_hashing(settings)
    _check_oidc(settings)
    if settings.is_production:
        _check_production(settings)
        return settings
    if len(settings.jwt_secret) < _MIN_SECRET_LENGTH:
        return msgspec.structs.replace(settings, jwt_secret=_development_secret(settings.lore_data_dir))
    return settings


def _check_secret_lengths(settings: Settings) -> None:
    for variable in ("METRICS_TOKEN", "MFA_ENCRYPTION_KEY", "WEBHOOK_SECRETS_KEY"):
        secret = getattr(settings, variable.lower())
        if secret is not None and len(secret) < _MIN_SECRET_LENGTH:
            raise SettingsError(f"{variable}: must be at least {_MIN_SECRET_LENGTH} characters")


def _check_production(settings: Settings) -> None:
    for variable, value in (("DATABASE_URL", settings.database_url), ("REDIS_URL", settings.redis_url)):
        if not value:
            raise SettingsError(f"{variable} is required in production")
    if len(settings.jwt_secret) < _MIN_SECRET_LENGTH:
        raise SettingsError(
            f"JWT_SECRET is required in production and must be at least {_MIN_SECRET_LENGTH} characters"
        )
    if not settings.smtp_host:
        raise SettingsError("SMTP_HOST is required in production (verification and password-reset emails)")
    if settings.webhook_allowed_host_set:
        raise SettingsError(
            "WEBHOOK_ALLOWED_HOSTS must be empty in production: it exempts hosts from the public-address check"
            " that keeps webhooks from reaching internal services"
        )


def _registration_role(settings: Settings) -> str:
    role = settings.default_role.lower()
    if role == "admin":
        raise SettingsError(
            "DEFAULT_ROLE: admin is refused for self-registration; use member or editor "
            "(create admins with `lore users create --admin`)"
        )
    if role not in _REGISTRATION_ROLES:
        raise SettingsError(
            f"DEFAULT_ROLE: expected one of {', '.join(_REGISTRATION_ROLES)}, got {settings.default_role!r}"
        )
    return role


def _check_base_url(variable: str, value: str | None) -> None:
    if value is None:
        return
    parsed = urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise SettingsError(f"{variable}: expected an http(s) base URL such as https://lore.example.org, got {value!r}")


def serving_at(settings: Settings, host: str, port: int, environ: Mapping[str, str] | None = None) -> Settings:
    """Unless PUBLIC_URL is set, a development server's links point at the address it listens on."""
    env = os.environ if environ is None else environ
    if env.get("PUBLIC_URL", "").strip():
        return settings
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding: every interface includes loopback
        host = "127.0.0.1"
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return msgspec.structs.replace(settings, public_url=f"http://{authority}")


def _check_http(settings: Settings) -> None:
    try:
        settings.trusted_proxy_networks  # noqa: B018 - parsing is the check
    except ValueError as exc:
        raise SettingsError(f"TRUSTED_PROXIES: expected comma-separated CIDRs such as 10.0.0.0/8, {exc}") from None
    origins = settings.cors_origin_list
    if "*" in origins and settings.cors_allow_credentials:
        raise SettingsError("CORS_ORIGINS: '*' is refused with CORS_ALLOW_CREDENTIALS; list the origins")
    for origin in origins:
        if origin != "*" and urlsplit(origin).scheme not in ("http", "https"):
            raise SettingsError(f"CORS_ORIGINS: expected origins such as https://app.example.org, got {origin!r}")


def _check_providers(settings: Settings) -> None:
    for name in settings.provider_names:
        if name not in _KNOWN_PROVIDERS:
            raise SettingsError(f"LLM_PROVIDERS: unknown provider {name!r} (use {', '.join(_KNOWN_PROVIDERS)})")
        prefix = name.upper()
        if not getattr(settings, f"{name}_api_key") and not getattr(settings, f"{name}_base_url"):
            raise SettingsError(f"LLM_PROVIDERS lists {name} but neither {prefix}_API_KEY nor {prefix}_BASE_URL is set")


def _check_webhooks(settings: Settings) -> None:
    try:
        schedule = settings.webhook_schedule
    except ValueError:
        schedule = ()
    if not schedule or any(not 0 < delay <= 7 * 86_400 for delay in schedule):
        raise SettingsError("WEBHOOK_RETRY_SCHEDULE: expected comma-separated seconds, each above 0, e.g. 5,300,1800")
    if not 0 < settings.webhook_timeout_seconds <= 60:
        raise SettingsError("WEBHOOK_TIMEOUT_SECONDS: must be above 0 and at most 60 seconds")
    # a claim must outlive the attempt it covers (DNS, the POST, settling), or a slow but live attempt is
    # taken over by another worker and the receiver gets it twice
    if settings.webhook_lease_seconds < settings.webhook_timeout_seconds + _WEBHOOK_LEASE_HEADROOM_SECONDS:
        raise SettingsError(
            f"WEBHOOK_LEASE_SECONDS: must be at least WEBHOOK_TIMEOUT_SECONDS + {_WEBHOOK_LEASE_HEADROOM_SECONDS}"
            " (name resolution takes up to 5 s, and the outcome must be saved before the claim runs out)"
        )


def _check_storage(settings: Settings) -> None:
    if settings.storage_url is None:
        return
    parsed = urlsplit(settings.storage_url)
    if parsed.scheme == "file" and parsed.path.startswith("/") and not parsed.netloc:
        return
    if parsed.scheme == "s3" and parsed.netloc and not parsed.query:
        return
    raise SettingsError(
        f"STORAGE_URL: expected file:///absolute/path or s3://bucket/prefix, got {settings.storage_url!r}"
    )


def _check_rerank(settings: Settings) -> None:
    if settings.rerank_protocol not in _RERANK_PROTOCOLS:
        raise SettingsError(f"RERANK_PROTOCOL: expected one of {', '.join(_RERANK_PROTOCOLS)}")


def _development_secret(data_dir: Path) -> str:
    """A random secret kept in the data folder so dev tokens survive restarts."""
    path = data_dir / "jwt_secret"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    logger.warning("JWT_SECRET is not set: generated a development secret in %s", path)
    return secret


def _check_oidc(settings: Settings) -> None:
    try:
        providers = settings.oidc_provider_settings
    except msgspec.DecodeError as exc:
        raise SettingsError(f"OIDC_PROVIDERS: expected a JSON object of providers by name, {exc}") from None
    for name, provider in providers.items():
        if not _OIDC_NAME.match(name):
            raise SettingsError(f"OIDC_PROVIDERS: a provider name must be 1-32 of a-z, 0-9, _ and -, got {name!r}")
        issuer = urlsplit(provider.issuer)
        if issuer.scheme not in ("http", "https") or not issuer.netloc or issuer.query or issuer.fragment:
            raise SettingsError(f"OIDC_PROVIDERS: {name}.issuer must be an http(s) URL, got {provider.issuer!r}")
        if settings.is_production and issuer.scheme != "https":
            raise SettingsError(f"OIDC_PROVIDERS: {name}.issuer must use https in production")
        if "openid" not in provider.scopes:
            raise SettingsError(f"OIDC_PROVIDERS: {name}.scopes must include openid")
        if not provider.client_id:
            raise SettingsError(f"OIDC_PROVIDERS: {name}.client_id is empty")
