"""Logins, access tokens, API keys, and who is asking.

A request costs one SQL statement to authenticate: its session (or key) row, joined with the
user, plus the current policy version in a sub-select.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise import timezone
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from server.auth.models import ApiKey, AuthSession, LoginThrottle, PolicyState, User
from server.authz.authorizer import Viewer
from server.settings import settings

hasher = PasswordHasher()
# Verifying against this when the username is unknown makes both failures cost the same.
_DUMMY_HASH = hasher.hash("lianxin-no-such-user")

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=5)
KEY_PREFIX = "lxk"


class AuthFailure(Exception):
    def __init__(self, message: str, code: str = "UNAUTHENTICATED", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after


def hash_password(password: str) -> str:
    return hasher.hash(password)


@dataclass
class LoginResult:
    token: str
    expires_at: datetime
    user: User


INVALID = "Unknown username or wrong password."


async def login(username: str, password: str) -> LoginResult:
    key = username.strip().lower()[:64]
    now = timezone.now()
    throttle = await LoginThrottle.get_or_none(key=key)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        wait = int((throttle.locked_until - now).total_seconds()) + 1
        raise AuthFailure(
            f"Too many failed logins for this username; try again in {wait} seconds.",
            "TOO_MANY_ATTEMPTS",
            retry_after=wait,
        )
    user = await User.get_or_none(username=username.strip()) if len(username) <= 64 else None
    ok = False
    try:
        ok = hasher.verify(user.password_hash if user else _DUMMY_HASH, password[:1024])
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or not user.active:
        await _record_failure(key, throttle, now)
        raise AuthFailure(INVALID)
    if throttle:
        await LoginThrottle.filter(key=key).delete()
    expires = now + timedelta(seconds=settings.token_ttl_seconds)
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


async def _record_failure(key: str, throttle: LoginThrottle | None, now: datetime) -> None:
    if throttle is None or now - throttle.window_started_at > FAILURE_WINDOW:
        await LoginThrottle.update_or_create(
            key=key, defaults={"failures": 1, "window_started_at": now, "locked_until": None}
        )
        return
    failures = throttle.failures + 1
    locked = now + LOCKOUT if failures >= MAX_FAILURES else None
    await LoginThrottle.filter(key=key).update(failures=failures, locked_until=locked)


async def logout(session_id: str) -> None:
    await AuthSession.filter(id=session_id, revoked_at=None).update(revoked_at=timezone.now())


def _decode(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token, settings.secret_key, algorithms=["HS256"], options={"require": ["exp", "sid"]}
        )
    except jwt.ExpiredSignatureError:
        raise AuthFailure("The access token has expired; log in again.") from None
    except jwt.InvalidTokenError:
        raise AuthFailure("The access token is malformed or its signature is not valid.") from None
    if claims.get("typ") != "access":
        raise AuthFailure("Not an access token.")
    return claims


def _policy_version() -> Subquery:
    return Subquery(PolicyState.filter(id=1).values("version"))


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
    rows = (
        await AuthSession.filter(id=str(claims["sid"]))
        .annotate(policy_version=_policy_version())
        .values(
            "revoked_at",
            "expires_at",
            "policy_version",
            "user__id",
            "user__username",
            "user__active",
            "user__staff_id",
            "user__deputy_id",
            "user__department_id",
        )
    )
    if not rows:
        raise AuthFailure("This session does not exist; log in again.")
    row = rows[0]
    if row["revoked_at"] is not None:
        raise AuthFailure("This session was ended (logged out or revoked); log in again.")
    if not row["user__active"]:
        raise AuthFailure("This account is deactivated.")
    viewer = Viewer(
        subject=f"user:{row['user__username']}",
        name=row["user__username"],
        user_id=row["user__id"],
        staff_id=row["user__staff_id"],
        deputy_id=row["user__deputy_id"],
        department_id=row["user__department_id"],
        session_id=str(claims["sid"]),
    )
    return viewer, row["policy_version"] or 0


async def identify(authorization: str | None, api_key: str | None = None) -> Viewer | None:
    """The caller (None when it sent no credentials), with this worker's policy brought up to the
    version the database holds: the one way every entry point (GraphQL, WebSocket, Open311, CSV)
    learns who is asking. Raises AuthFailure for bad, expired, forged or revoked credentials."""
    from server.authz.engine import engine

    viewer, version = await authenticate(authorization, api_key)
    if viewer is not None:
        await engine.ensure_version(version)
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
    rows = (
        await ApiKey.filter(prefix=prefix)
        .annotate(policy_version=_policy_version())
        .values(
            "id",
            "prefix",
            "secret_hash",
            "scopes",
            "department_id",
            "expires_at",
            "revoked_at",
            "policy_version",
        )
    )
    if not rows or not hmac.compare_digest(rows[0]["secret_hash"], _hash_secret(secret)):
        raise AuthFailure("Unknown API key.")
    row = rows[0]
    if row["revoked_at"] is not None:
        raise AuthFailure("This API key was revoked.")
    if row["expires_at"] <= timezone.now():
        raise AuthFailure("This API key has expired.")
    viewer = Viewer(
        subject=f"key:{row['prefix']}",
        name=f"key:{row['prefix']}",
        department_id=row["department_id"],
        key_scopes=frozenset(row["scopes"] or ()),
    )
    return viewer, row["policy_version"] or 0


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
