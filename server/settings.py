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
    log_sql: bool
    var_dir: Path = field(default=ROOT / "var")

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))


def load_settings() -> Settings:
    var_dir = Path(_env("LIANXIN_VAR_DIR", str(ROOT / "var")))
    mode = _env("LIANXIN_MODE", "demo")
    if mode not in {"demo", "production"}:
        raise SystemExit(f"LIANXIN_MODE must be 'demo' or 'production', got {mode!r}")
    secret = os.environ.get("LIANXIN_SECRET_KEY")
    if not secret:
        if mode == "production":
            raise SystemExit("LIANXIN_SECRET_KEY is required in production mode")
        secret = _default_secret(var_dir)
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
        log_sql=_env_bool("LIANXIN_LOG_SQL", False),
        var_dir=var_dir,
    )


settings = load_settings()
