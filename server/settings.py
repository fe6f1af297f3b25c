"""Every setting comes from the environment, here and nowhere else.

Defaults suit the embedded demo mode: an SQLite file under ./var/, GraphiQL on.
Secrets are never defaults in production mode; demo mode makes one up per install.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _env_positive(name: str, default: int) -> int:
    value = _env_int(name, default)
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, got {value}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _default_secret(var_dir: Path) -> str:
    """Demo mode keeps a random signing key in ./var so tokens survive restarts."""
    path = var_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


GENERATE_KEY_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT = 10


def weak_secret_reason(secret: str) -> str | None:
    """Why `secret` is too weak to sign tokens with (None when it is strong enough).

    HS256 keys must be at least as long as the hash (32 bytes, RFC 7518 3.2); a key of few distinct
    characters or one repeated pattern ("changeme" * 4) has far less entropy than its length says.
    """
    raw = secret.encode()
    if len(raw) < MIN_SECRET_BYTES:
        return f"it is {len(raw)} bytes long; it must be at least {MIN_SECRET_BYTES}"
    if len(set(secret)) < MIN_SECRET_DISTINCT:
        return f"it has only {len(set(secret))} distinct characters; it needs at least {MIN_SECRET_DISTINCT}"
    for size in range(1, len(secret) // 2 + 1):
        unit = secret[:size]
        if (unit * (len(secret) // size + 1))[: len(secret)] == secret:
            return f"it is the pattern {unit[:12]!r}{'…' if size > 12 else ''} repeated"
    return None


@dataclass(frozen=True)
class Settings:
    database_url: str
    mode: str  # "demo" or "production"
    secret_key: str
    host: str
    port: int
    token_ttl_seconds: int
    max_page_size: int
    default_page_size: int
    max_query_depth: int
    max_aliases: int
    max_tokens: int
    max_query_cost: int
    max_document_bytes: int
    api_key_requests_per_minute: int
    rate_limit_window_seconds: int
    max_rows_per_request: int
    login_failures_per_address: int
    password_hash_concurrency: int
    log_sql: bool
    # PIPL: a ticket's reporter data is kept this long after the ticket reached its final state,
    # then anonymised by `lianxin retention run` (statistics stay).
    personal_data_retention_days: int = 1095
    var_dir: Path = field(default=ROOT / "var")
    # Live subscriptions: how often an open one re-checks its caller's session (and before each
    # delivery), and how many events may wait for a subscriber before it is dropped as too slow.
    subscription_recheck_seconds: int = 2
    subscription_queue_size: int = 1000
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed
    # (comma-separated, as uvicorn takes them; "*" for any). Empty: none, so a client cannot choose
    # the address its logins are counted under.
    forwarded_allow_ips: str = ""
    # Planned execution of hot reads (schema/planner); off: every query runs through the resolvers.
    planner: bool = True
    # Attachments (photos, documents): per file, per ticket or proposal (all its files together),
    # how many; where the default store keeps them; how long a download link lives; how old an
    # unreferenced file must be before the cleanup removes it (longer than any upload takes).
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_max_total_bytes: int = 40 * 1024 * 1024
    attachment_max_count: int = 10
    attachment_dir: Path = field(default=ROOT / "var" / "attachments")
    attachment_link_seconds: int = 300
    attachment_orphan_grace_seconds: int = 3600

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"


def _retention_days() -> int:
    days = _env_int("LIANXIN_PERSONAL_DATA_RETENTION_DAYS", 1095)  # 3 years
    if days < 1:
        raise SystemExit(f"LIANXIN_PERSONAL_DATA_RETENTION_DAYS must be at least 1, got {days}")
    return days


def load_settings() -> Settings:
    var_dir = Path(_env("LIANXIN_VAR_DIR", str(ROOT / "var")))
    mode = _env("LIANXIN_MODE", "demo")
    if mode not in {"demo", "production"}:
        raise SystemExit(f"LIANXIN_MODE must be 'demo' or 'production', got {mode!r}")
    secret = os.environ.get("LIANXIN_SECRET_KEY")
    if not secret:
        if mode == "production":
            raise SystemExit(f"LIANXIN_SECRET_KEY is required in production mode; {GENERATE_KEY_HINT}")
        secret = _default_secret(var_dir)
    elif mode == "production" and (reason := weak_secret_reason(secret)):
        raise SystemExit(f"LIANXIN_SECRET_KEY is too weak for production mode: {reason}; {GENERATE_KEY_HINT}")
    return Settings(
        database_url=_env("LIANXIN_DATABASE_URL", f"sqlite://{var_dir / 'lianxin.sqlite3'}"),
        mode=mode,
        secret_key=secret,
        host=_env("LIANXIN_HOST", "127.0.0.1"),
        port=_env_int("LIANXIN_PORT", 8000),
        token_ttl_seconds=_env_int("LIANXIN_TOKEN_TTL_SECONDS", 3600),
        max_page_size=_env_int("LIANXIN_MAX_PAGE_SIZE", 500),
        default_page_size=_env_int("LIANXIN_DEFAULT_PAGE_SIZE", 50),
        max_query_depth=_env_int("LIANXIN_MAX_QUERY_DEPTH", 12),
        max_aliases=_env_int("LIANXIN_MAX_ALIASES", 50),
        max_tokens=_env_int("LIANXIN_MAX_TOKENS", 2000),
        max_query_cost=_env_int("LIANXIN_MAX_QUERY_COST", 200_000),
        max_document_bytes=_env_int("LIANXIN_MAX_DOCUMENT_BYTES", 100_000),
        api_key_requests_per_minute=_env_int("LIANXIN_API_KEY_REQUESTS_PER_MINUTE", 120),
        # The limit above is per window of this many seconds (shorter only for tests and benches).
        rate_limit_window_seconds=max(1, _env_int("LIANXIN_RATE_LIMIT_WINDOW_SECONDS", 60)),
        max_rows_per_request=_env_int("LIANXIN_MAX_ROWS_PER_REQUEST", 10_000),
        login_failures_per_address=_env_positive("LIANXIN_LOGIN_FAILURES_PER_ADDRESS", 20),
        password_hash_concurrency=_env_positive("LIANXIN_PASSWORD_HASH_CONCURRENCY", 2),
        log_sql=_env_bool("LIANXIN_LOG_SQL", False),
        planner=_env_bool("LIANXIN_PLANNER", True),
        personal_data_retention_days=_retention_days(),
        var_dir=var_dir,
        subscription_recheck_seconds=max(1, _env_int("LIANXIN_SUBSCRIPTION_RECHECK_SECONDS", 2)),
        subscription_queue_size=max(1, _env_int("LIANXIN_SUBSCRIPTION_QUEUE_SIZE", 1000)),
        forwarded_allow_ips=_env("LIANXIN_FORWARDED_ALLOW_IPS", "").strip(),
        attachment_max_bytes=_env_positive("LIANXIN_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        attachment_max_total_bytes=_env_positive("LIANXIN_ATTACHMENT_MAX_TOTAL_BYTES", 40 * 1024 * 1024),
        attachment_max_count=_env_positive("LIANXIN_ATTACHMENT_MAX_COUNT", 10),
        attachment_dir=Path(_env("LIANXIN_ATTACHMENT_DIR", str(var_dir / "attachments"))),
        attachment_link_seconds=_env_positive("LIANXIN_ATTACHMENT_LINK_SECONDS", 300),
        attachment_orphan_grace_seconds=_env_positive("LIANXIN_ATTACHMENT_ORPHAN_GRACE_SECONDS", 3600),
    )


settings = load_settings()
