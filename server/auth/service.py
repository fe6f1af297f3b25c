"""Logins, access tokens, API keys, and who is asking.

A request costs one SQL statement to authenticate: its session (or key) row, joined with the
user, plus the current policy version in a sub-select. The statement's text is fixed and sent
through the connection as it is (no queryset built per request), so that asyncpg prepares it once
per connection and every later request only binds the session id or key prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import connections, timezone
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server import metrics
from server.auth.models import ApiKey, AuthSession, LoginThrottle, User
from server.authz.authorizer import Viewer
from server.settings import settings

hasher = PasswordHasher()
# Verifying against this when the username is unknown makes both failures cost the same.
_DUMMY_HASH = hasher.hash("lianxin-no-such-user")

MAX_FAILURES = 5  # guesses checked per username and window, however they arrive
FAILURE_WINDOW = timedelta(minutes=15)
KEY_PREFIX = "lxk"
# Throttle rows of client addresses. Username keys are lower-cased, so they never start with this.
ADDRESS_PREFIX = "IP:"


class AuthFailure(Exception):
    def __init__(self, message: str, code: str = "UNAUTHENTICATED", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after


def _lower_priority() -> None:
    """Hashing threads yield the CPU to the event loop: a login may wait, other requests do not."""
    with contextlib.suppress(AttributeError, OSError):  # per-thread nice values are Linux's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


# argon2 takes 0.25 s of CPU per call (0.5-1 s on a busy machine): run off the event loop, at most
# settings.password_hash_concurrency at once per process (the waiters queue on a semaphore).
_hash_executor = ThreadPoolExecutor(
    max_workers=settings.password_hash_concurrency, thread_name_prefix="argon2", initializer=_lower_priority
)
_hash_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def _off_the_loop(function: Callable[..., Any], *args: Any) -> Any:
    loop = asyncio.get_running_loop()
    slots = _hash_slots.get(loop)
    if slots is None:
        slots = _hash_slots[loop] = asyncio.Semaphore(settings.password_hash_concurrency)
    async with slots:
        return await loop.run_in_executor(_hash_executor, function, *args)


async def hash_password(password: str) -> str:
    return str(await _off_the_loop(hasher.hash, password))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Unknown users (None) cost the same as a wrong password."""
    ok = await _off_the_loop(_verify, password_hash or _DUMMY_HASH, password[:1024])
    return bool(ok) and password_hash is not None


@dataclass
class LoginResult:
    token: str
    expires_at: datetime
    user: User


INVALID = "Unknown username or wrong password."


def _address_key(address: str | None) -> str | None:
    return f"{ADDRESS_PREFIX}{address[:61]}" if address else None


async def login(username: str, password: str, address: str | None = None) -> LoginResult:
    """Check a password, at most MAX_FAILURES per username and settings.login_failures_per_address
    per client address in FAILURE_WINDOW.

    Each attempt takes its slots in the database before the password is checked (conditional
    UPDATEs, one transaction), so parallel guesses, other workers and other servers share the
    same counts. A failure keeps both slots; a success frees them.
    """
    key = username.strip().lower()[:64]
    address_key = _address_key(address)
    async with in_transaction():  # a refusal rolls back: an attempt refused unchecked counts nowhere
        if address_key and (wait := await _take_slot(address_key, settings.login_failures_per_address)):
            metrics.LOGIN_LOCKOUTS.labels("address").inc()
            raise AuthFailure(
                f"Too many failed logins from this address; try again in {wait} seconds.",
                "TOO_MANY_ATTEMPTS",
                retry_after=wait,
            )
        if wait := await _take_slot(key, MAX_FAILURES):
            metrics.LOGIN_LOCKOUTS.labels("username").inc()
            raise AuthFailure(
                f"Too many failed logins for this username; try again in {wait} seconds.",
                "TOO_MANY_ATTEMPTS",
                retry_after=wait,
            )
    user = await User.get_or_none(username=username.strip()) if len(username) <= 64 else None
    ok = await verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        metrics.LOGIN_FAILURES.inc()
        raise AuthFailure(INVALID)
    now = timezone.now()
    expires = now + timedelta(seconds=settings.token_ttl_seconds)
    async with in_transaction():
        # cleared, not deleted: the user's next login then takes its slot in one UPDATE
        await LoginThrottle.filter(key=key).update(failures=0)
        if address_key:  # the address's count is of failures
            await LoginThrottle.filter(key=address_key, failures__gt=0).update(failures=F("failures") - 1)
        session = await AuthSession.create(id=uuid.uuid4().hex, user=user, expires_at=expires)
    token = jwt.encode(
        {
            "sub": user.username,
            "sid": session.id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "typ": "access",
        },
        settings.secret_key,
        algorithm="HS256",
    )
    return LoginResult(token=token, expires_at=expires, user=user)


async def _take_slot(key: str, limit: int) -> int | None:
    """Count one attempt against `key` unless `limit` attempts were made in its window.

    Returns None when the attempt may go ahead, else the seconds until the window ends. Each step
    checks and changes the row in one statement, never a read then a write from the stale read.
    """
    now = timezone.now()
    opened_after = now - FAILURE_WINDOW
    for attempt in range(2):
        if await LoginThrottle.filter(key=key, failures__lt=limit, window_started_at__gt=opened_after).update(
            failures=F("failures") + 1
        ):
            return None
        if await LoginThrottle.filter(key=key, window_started_at__lte=opened_after).update(
            failures=1, window_started_at=now, locked_until=None
        ):
            return None
        if attempt == 0:  # no row yet (or a full one): make sure one exists, then count again
            await LoginThrottle.bulk_create(
                [LoginThrottle(key=key, failures=0, window_started_at=now)], ignore_conflicts=True
            )
    row = await LoginThrottle.get_or_none(key=key)
    if row is None:  # cleared this instant by a successful login: refusing once is the safe answer
        return 1
    return max(1, int((row.window_started_at + FAILURE_WINDOW - now).total_seconds()) + 1)


async def logout(session_id: str) -> None:
    await AuthSession.filter(id=session_id, revoked_at=None).update(revoked_at=timezone.now())


_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def _decode(token: str) -> dict[str, Any]:
    """The claims of a token this server signed, each of the type login() writes, while it has not
    expired. Raises AuthFailure otherwise."""
    claims = _checked_claims(token, settings.secret_key)
    # PyJWT's own test (exp <= now) for a token checked while it was valid; exp passed int() then.
    if int(claims["exp"]) <= time.time():
        raise AuthFailure("The access token has expired; log in again.")
    return claims


# PyJWT spends 50-250 µs of CPU on each decode (it checks every character of the token in Python),
# which every request repeated for the same token. A token that passed is kept with the key that
# signed it, so only its expiry is checked again; a refusal raises and is not kept.
@functools.lru_cache(maxsize=4096)
def _checked_claims(token: str, secret_key: str) -> dict[str, Any]:
    """A token this server signed (with `secret_key`), with claims of the types login() writes.

    A token signed with our key but carrying claims of other types (sid a list, exp a string, no
    sub…) is refused as malformed, never passed on to a query.
    """
    try:
        claims = jwt.decode(
            token,
            secret_key,
            algorithms=["HS256"],
            options={"require": ["exp", "sid", "sub", "typ"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthFailure("The access token has expired; log in again.") from None
    except (jwt.InvalidTokenError, TypeError, ValueError, OverflowError):
        # PyJWT raises TypeError/OverflowError for e.g. exp: [1] or exp: 1e400
        raise AuthFailure("The access token is malformed or its signature is not valid.") from None
    if claims.get("typ") != "access":
        raise AuthFailure("Not an access token.")
    sid, sub = claims.get("sid"), claims.get("sub")
    if not isinstance(sid, str) or not _SESSION_ID.fullmatch(sid):
        raise AuthFailure("The access token is malformed: its session id (sid) is not valid.")
    if not isinstance(sub, str) or not sub:
        raise AuthFailure("The access token is malformed: its subject (sub) is not a username.")
    return claims


# The current policy version rides along with the credential's row (server.authz.engine reloads
# when it moved). The placeholder {0} becomes $1 or ? once, at import.
_SESSION_SQL = (
    'SELECT s."revoked_at", u."id" AS "user_id", u."username", u."display_name", u."active", '
    'u."staff_id", u."deputy_id", u."department_id", '
    '(SELECT "version" FROM "policy_state" WHERE "id" = 1) AS "policy_version" '
    'FROM "auth_session" s JOIN "app_user" u ON u."id" = s."user_id" WHERE s."id" = {0}'
)
_KEY_SQL = (
    'SELECT "prefix", "secret_hash", "scopes", "department_id", "expires_at", "revoked_at", '
    '(SELECT "version" FROM "policy_state" WHERE "id" = 1) AS "policy_version" '
    'FROM "api_key" WHERE "prefix" = {0}'
)
_PLACEHOLDERS = {"postgres": "$1", "sqlite": "?"}
_SESSION_BY_DIALECT = {dialect: _SESSION_SQL.format(p) for dialect, p in _PLACEHOLDERS.items()}
_KEY_BY_DIALECT = {dialect: _KEY_SQL.format(p) for dialect, p in _PLACEHOLDERS.items()}
# A key's row is read as raw values: its JSON and datetime columns are decoded as the model would.
_KEY_SCOPES = ApiKey._meta.fields_map["scopes"]
_KEY_EXPIRES_AT = ApiKey._meta.fields_map["expires_at"]


async def _credential_row(by_dialect: dict[str, str], value: str) -> dict[str, Any] | None:
    """The one row (or none) of a credential statement, written for the connection's dialect."""
    client = connections.get("default")
    rows = await client.execute_query_dict(by_dialect[client.capabilities.dialect], [value])
    return rows[0] if rows else None


async def authenticate(
    authorization: str | None, api_key_header: str | None = None
) -> tuple[Viewer | None, int | None]:
    """(viewer, policy version) for a request's credentials; (None, None) when it sent none.

    Raises AuthFailure with a clear message for bad, expired, forged or revoked credentials.
    """
    credential = api_key_header
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthFailure("Send credentials as 'Authorization: Bearer <token>'.")
        credential = value.strip()
    if not credential:
        return None, None
    if credential.startswith(KEY_PREFIX + "_"):
        return await _authenticate_key(credential)
    claims = _decode(credential)
    row = await _credential_row(_SESSION_BY_DIALECT, claims["sid"])
    if row is None:
        raise AuthFailure("This session does not exist; log in again.")
    if row["username"] != claims["sub"]:
        raise AuthFailure("The access token is malformed: its subject does not own its session.")
    if row["revoked_at"] is not None:
        raise AuthFailure("This session was ended (logged out or revoked); log in again.")
    if not row["active"]:
        raise AuthFailure("This account is deactivated.")
    return _session_viewer(row, claims["sid"]), row["policy_version"] or 0


def _session_viewer(row: dict[str, Any], session_id: str) -> Viewer:
    """The caller a live session's row (the session statement's) stands for."""
    return Viewer(
        subject=f"user:{row['username']}",
        name=row["username"],
        user_id=row["user_id"],
        staff_id=row["staff_id"],
        deputy_id=row["deputy_id"],
        department_id=row["department_id"],
        session_id=session_id,
        display_name=row["display_name"],
    )


def key_viewer(prefix: str, department_id: int | None, scopes: Iterable[str] | None) -> Viewer:
    """The caller a live data-sharing key stands for: the one builder, for a request made with the
    key (from the key statement's row, `_key_viewer`) and for what is sent as the key without a
    request, such as its webhooks (server.notifications.fanout, from the model)."""
    return Viewer(
        subject=f"key:{prefix}",
        name=f"key:{prefix}",
        department_id=department_id,
        key_scopes=frozenset(scopes or ()),
    )


def _key_viewer(row: dict[str, Any]) -> Viewer:
    """The caller a live key's row (the key statement's) stands for: its raw JSON decoded as the
    model would."""
    return key_viewer(row["prefix"], row["department_id"], _KEY_SCOPES.to_python_value(row["scopes"]))


async def identify(authorization: str | None, api_key: str | None = None) -> Viewer | None:
    """The caller (None when it sent no credentials), with this worker's policy brought up to the
    version the database holds: the one way every entry point (GraphQL, WebSocket, Open311, CSV)
    learns who is asking. Raises AuthFailure for bad, expired, forged or revoked credentials."""
    from server.authz.engine import engine

    viewer, version = await authenticate(authorization, api_key)
    if viewer is not None:
        await engine.ensure_version(version)
    return viewer


async def link_viewer(holder: str) -> Viewer:
    """The caller a signed download link was made for (server.attachments.service.signed_path):
    its session (s.<id>) or key (k.<prefix>), refused as `authenticate` refuses them once the
    session has ended, the account is deactivated or the key is revoked or expired."""
    from server.authz.engine import engine

    kind, _, value = holder.partition(".")
    if kind == "k" and value:
        row = await _credential_row(_KEY_BY_DIALECT, value)
        if row is None or row["revoked_at"] is not None:
            raise AuthFailure("The key this link was made for was revoked.")
        if _KEY_EXPIRES_AT.to_python_value(row["expires_at"]) <= timezone.now():
            raise AuthFailure("The key this link was made for has expired.")
        viewer = _key_viewer(row)
    elif kind == "s" and _SESSION_ID.fullmatch(value):
        row = await _credential_row(_SESSION_BY_DIALECT, value)
        if row is None or row["revoked_at"] is not None:
            raise AuthFailure("The session this link was made for has ended; log in again.")
        if not row["active"]:
            raise AuthFailure("This account is deactivated.")
        viewer = _session_viewer(row, value)
    else:
        raise AuthFailure("The link is malformed.")
    await engine.ensure_version(row["policy_version"] or 0)
    return viewer


def token_expiry(authorization: str | None) -> int | None:
    """When a bearer access token stops being accepted (its `exp`, a POSIX timestamp), for callers
    that hold on to one, such as an open subscription; None for an API key or no token. Raises
    AuthFailure for a token `authenticate` would refuse."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or value.startswith(KEY_PREFIX + "_"):
        return None
    return int(_decode(value)["exp"])


def _split_key(key: str) -> tuple[str, str]:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        raise AuthFailure("Malformed API key.")
    return parts[1], parts[2]


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _authenticate_key(key: str) -> tuple[Viewer, int | None]:
    prefix, secret = _split_key(key)
    row = await _credential_row(_KEY_BY_DIALECT, prefix)
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash_secret(secret)):
        raise AuthFailure("Unknown API key.")
    if row["revoked_at"] is not None:
        raise AuthFailure("This API key was revoked.")
    if _KEY_EXPIRES_AT.to_python_value(row["expires_at"]) <= timezone.now():
        raise AuthFailure("This API key has expired.")
    return _key_viewer(row), row["policy_version"] or 0


@dataclass
class NewApiKey:
    key: ApiKey
    secret: str  # shown once


async def create_api_key(
    *,
    name: str,
    scopes: list[str],
    jurisdiction_id: int,
    department_id: int | None,
    days: int,
    created_by: str,
) -> NewApiKey:
    """Create a key and grant its subject the data-sharing role in its jurisdiction."""
    from server.authz.policy_admin import grant_in_transaction

    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    async with in_transaction():
        key = await ApiKey.create(
            prefix=prefix,
            secret_hash=_hash_secret(secret),
            name=name,
            scopes=sorted(set(scopes)),
            jurisdiction_id=jurisdiction_id,
            department_id=department_id,
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=days),
        )
        await grant_in_transaction(f"key:{prefix}", "data-sharing", jurisdiction_id)
    return NewApiKey(key=key, secret=f"{KEY_PREFIX}_{prefix}_{secret}")


async def revoke_api_key(prefix: str) -> ApiKey | None:
    key = await ApiKey.get_or_none(prefix=prefix)
    if key is None:
        return None
    if key.revoked_at is None:
        await ApiKey.filter(id=key.id).update(revoked_at=timezone.now())
        await key.refresh_from_db()
    return key


async def check_own_password(user_id: int, username: str, password: str) -> None:
    """A signed-in person's current password, checked against the login throttle for the username
    (MAX_FAILURES in FAILURE_WINDOW): a wrong one counts as a failed login, a right one clears it.
    Raises AuthFailure."""
    key = username.strip().lower()[:64]
    async with in_transaction():
        if wait := await _take_slot(key, MAX_FAILURES):
            raise AuthFailure(
                f"Too many wrong passwords for this username; try again in {wait} seconds.",
                "TOO_MANY_ATTEMPTS",
                retry_after=wait,
            )
    user = await User.get_or_none(id=user_id)
    if not await verify_password(user.password_hash if user else None, password):
        raise AuthFailure("The current password is wrong.", "WRONG_PASSWORD")
    await LoginThrottle.filter(key=key).update(failures=0)


async def set_password(user_id: int, password_hash: str) -> None:
    """A new password hash; every session of the account ends (call inside the caller's
    transaction)."""
    await User.filter(id=user_id).update(password_hash=password_hash)
    await AuthSession.filter(user_id=user_id, revoked_at=None).update(revoked_at=timezone.now())
