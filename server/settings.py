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
    # A live subscription outlives a database outage this long (a restart, a failover): its
    # session re-check waits for the database instead of closing the socket.
    subscription_outage_grace_seconds: float = 30.0
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto headers are believed
    # (comma-separated, as uvicorn takes them; "*" for any). Empty: none, so a client cannot choose
    # the address its logins are counted under.
    forwarded_allow_ips: str = ""
    # Planned execution of hot reads (schema/planner); off: every query runs through the resolvers.
    planner: bool = True
    # Scheduled work (server/jobs): whether this server process also runs jobs (default: on SQLite
    # yes, the only process; on PostgreSQL no, `lianxin worker` processes do), how often a runner
    # looks for due jobs, how long a runner's lease on a job lasts without renewal (a killed
    # runner's job is taken again after it), the first retry's wait (doubling per failure), and
    # each job's interval.
    run_jobs_in_server: bool = True
    job_poll_seconds: float = 5.0
    job_lease_seconds: float = 60.0
    job_retry_seconds: int = 30
    escalation_sweep_seconds: int = 60
    retention_run_seconds: int = 86_400
    rollup_check_seconds: int = 86_400
    # Open311 GET of service requests without a key, public fields only (no free text, no address),
    # for open-data portals and clients that cannot send a key on GET. Off by default.
    open311_public_get: bool = False
    # Return visits (回访): a resolved ticket whose citizen is not reached after this many attempts,
    # or this many days after its resolution (the close_unreachable sweep), is closed as unreachable.
    return_visit_attempts: int = 3
    return_visit_days: int = 7
    return_visit_sweep_seconds: int = 3_600
    # Attachments (photos, documents): per file, per ticket or proposal (all its files together),
    # how many; where the default store keeps them; how long a download link lives; how old an
    # unreferenced file must be before the cleanup removes it (longer than any upload takes).
    attachment_max_bytes: int = 10 * 1024 * 1024
    attachment_max_total_bytes: int = 40 * 1024 * 1024
    attachment_max_count: int = 10
    attachment_dir: Path = field(default=ROOT / "var" / "attachments")
    attachment_link_seconds: int = 300
    attachment_orphan_grace_seconds: int = 3600
    attachment_cleanup_seconds: int = 3600
    # The web pages' map (/app/map): a tile URL template ({z}/{x}/{y}), or empty for none (then the
    # map draws the stations alone, with nothing fetched from elsewhere).
    web_map_tiles: str = ""
    # Notifications and webhooks (server/notifications; every job runner works their queues at each
    # poll, LIANXIN_JOB_POLL_SECONDS): whether a webhook may target loopback or private addresses
    # (tests and local receivers only: off in production); e-mail over SMTP and SMS through an HTTP
    # gateway (neither set: demo mode, messages are written to the log instead); the quiet hours
    # in which no SMS goes to a citizen (city time, "HH:MM").
    webhook_allow_private_targets: bool = False
    webhook_timeout_seconds: float = 10.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "lianxin@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    sms_gateway_url: str = ""
    sms_gateway_template: str = '{"phone": "$phone", "text": "$text"}'
    quiet_hours_start: str = "22:00"
    quiet_hours_end: str = "08:00"
    # The PostgreSQL connection pool of each process (connections = workers × this, plus `lianxin
    # worker`s: keep under the server's max_connections), how long establishing a connection may
    # take, and how long one statement may run while serving requests (migrations and admin
    # commands are not bounded). A database URL that names minsize/maxsize/timeout/command_timeout
    # keeps its own value.
    database_pool_min: int = 1
    database_pool_max: int = 5
    database_connect_timeout_seconds: int = 2
    database_statement_timeout_seconds: int = 10
    # Read replicas (PostgreSQL streaming replicas of the primary): queries go to one, mutations and
    # a caller's reads for this many seconds after its own last write go to the primary; a replica
    # further behind than that, or unreachable, is skipped.
    database_replica_urls: tuple[str, ...] = ()
    replica_read_your_writes_seconds: float = 10.0
    # /metrics (Prometheus): answered to these client addresses or networks, or to a request
    # bearing the metrics key; anyone else gets 404.
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    metrics_key: str = ""

    @property
    def is_demo(self) -> bool:
        return self.mode == "demo"


def _retention_days() -> int:
    days = _env_int("LIANXIN_PERSONAL_DATA_RETENTION_DAYS", 1095)  # 3 years
    if days < 1:
        raise SystemExit(f"LIANXIN_PERSONAL_DATA_RETENTION_DAYS must be at least 1, got {days}")
    return days


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not value > 0:
        raise SystemExit(f"{name} must be more than 0, got {raw!r}")
    return value


def _env_list(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _metrics_allow() -> tuple[str, ...]:
    import ipaddress

    allowed = _env_list("LIANXIN_METRICS_ALLOW", ("127.0.0.1", "::1"))
    for entry in allowed:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise SystemExit(f"LIANXIN_METRICS_ALLOW: {entry!r} is not an address or network") from exc
    return allowed


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
    database_url = _env("LIANXIN_DATABASE_URL", f"sqlite://{var_dir / 'lianxin.sqlite3'}")
    pool_min = _env_positive("LIANXIN_DATABASE_POOL_MIN", 1)
    pool_max = _env_positive("LIANXIN_DATABASE_POOL_MAX", 5)
    if pool_min > pool_max:
        raise SystemExit(
            f"LIANXIN_DATABASE_POOL_MIN ({pool_min}) is more than LIANXIN_DATABASE_POOL_MAX ({pool_max})"
        )
    return Settings(
        database_url=database_url,
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
        subscription_outage_grace_seconds=_env_seconds("LIANXIN_SUBSCRIPTION_OUTAGE_GRACE_SECONDS", 30.0),
        forwarded_allow_ips=_env("LIANXIN_FORWARDED_ALLOW_IPS", "").strip(),
        run_jobs_in_server=_env_bool("LIANXIN_RUN_JOBS_IN_SERVER", database_url.startswith("sqlite")),
        job_poll_seconds=_env_seconds("LIANXIN_JOB_POLL_SECONDS", 5.0),
        job_lease_seconds=_env_seconds("LIANXIN_JOB_LEASE_SECONDS", 60.0),
        job_retry_seconds=_env_positive("LIANXIN_JOB_RETRY_SECONDS", 30),
        escalation_sweep_seconds=_env_positive("LIANXIN_ESCALATION_SWEEP_SECONDS", 60),
        retention_run_seconds=_env_positive("LIANXIN_RETENTION_RUN_SECONDS", 86_400),
        rollup_check_seconds=_env_positive("LIANXIN_ROLLUP_CHECK_SECONDS", 86_400),
        open311_public_get=_env_bool("LIANXIN_OPEN311_PUBLIC_GET", False),
        return_visit_attempts=_env_positive("LIANXIN_RETURN_VISIT_ATTEMPTS", 3),
        return_visit_days=_env_positive("LIANXIN_RETURN_VISIT_DAYS", 7),
        return_visit_sweep_seconds=_env_positive("LIANXIN_RETURN_VISIT_SWEEP_SECONDS", 3_600),
        attachment_max_bytes=_env_positive("LIANXIN_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        attachment_max_total_bytes=_env_positive("LIANXIN_ATTACHMENT_MAX_TOTAL_BYTES", 40 * 1024 * 1024),
        attachment_max_count=_env_positive("LIANXIN_ATTACHMENT_MAX_COUNT", 10),
        attachment_dir=Path(_env("LIANXIN_ATTACHMENT_DIR", str(var_dir / "attachments"))),
        attachment_link_seconds=_env_positive("LIANXIN_ATTACHMENT_LINK_SECONDS", 300),
        attachment_orphan_grace_seconds=_env_positive("LIANXIN_ATTACHMENT_ORPHAN_GRACE_SECONDS", 3600),
        attachment_cleanup_seconds=_env_positive("LIANXIN_ATTACHMENT_CLEANUP_SECONDS", 3600),
        web_map_tiles=_env("LIANXIN_WEB_MAP_TILES", "").strip(),
        webhook_allow_private_targets=_env_bool("LIANXIN_WEBHOOK_ALLOW_PRIVATE_TARGETS", False),
        webhook_timeout_seconds=_env_seconds("LIANXIN_WEBHOOK_TIMEOUT_SECONDS", 10.0),
        smtp_host=_env("LIANXIN_SMTP_HOST", ""),
        smtp_port=_env_positive("LIANXIN_SMTP_PORT", 25),
        smtp_from=_env("LIANXIN_SMTP_FROM", "lianxin@localhost"),
        smtp_starttls=_env_bool("LIANXIN_SMTP_STARTTLS", False),
        smtp_username=_env("LIANXIN_SMTP_USERNAME", ""),
        smtp_password=_env("LIANXIN_SMTP_PASSWORD", ""),
        sms_gateway_url=_env("LIANXIN_SMS_GATEWAY_URL", ""),
        sms_gateway_template=_env("LIANXIN_SMS_GATEWAY_TEMPLATE", '{"phone": "$phone", "text": "$text"}'),
        quiet_hours_start=_env("LIANXIN_QUIET_HOURS_START", "22:00"),
        quiet_hours_end=_env("LIANXIN_QUIET_HOURS_END", "08:00"),
        database_pool_min=pool_min,
        database_pool_max=pool_max,
        # Whole seconds: Tortoise reads asyncpg's connect timeout from the URL as an integer.
        database_connect_timeout_seconds=_env_positive("LIANXIN_DATABASE_CONNECT_TIMEOUT_SECONDS", 2),
        database_statement_timeout_seconds=_env_positive("LIANXIN_DATABASE_STATEMENT_TIMEOUT_SECONDS", 10),
        database_replica_urls=_env_list("LIANXIN_DATABASE_REPLICA_URLS"),
        replica_read_your_writes_seconds=_env_seconds("LIANXIN_REPLICA_READ_YOUR_WRITES_SECONDS", 10.0),
        metrics_allow=_metrics_allow(),
        metrics_key=_env("LIANXIN_METRICS_KEY", ""),
    )


settings = load_settings()
