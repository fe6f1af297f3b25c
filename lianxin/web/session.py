"""Sign-in for the pages: the session cookie and the CSRF token bound to it.

The cookie holds the access token `login` issues (the same session row the API's bearer tokens
use), so logout, deactivation and revocation end a browser session exactly as they end an API
one, and the pipeline identifies the caller from it as from an Authorization header.

CSRF: a synchronizer token derived from the cookie with an HMAC under the server's secret key,
so it needs no table and changes with every session. Before sign-in the login form is bound the
same way to a random pre-session cookie. Every POST under /app must carry it (a form field or the
X-CSRF-Token header htmx sends); SameSite=Lax keeps the cookie off other sites' posts as a
second line.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from server.settings import settings

SESSION_COOKIE = "lianxin_session"
PRESESSION_COOKIE = "lianxin_presession"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _secure() -> bool:
    """Secure cookies outside demo mode (production is served over HTTPS; the demo on plain
    http://127.0.0.1 would otherwise never get its cookie back)."""
    return not settings.is_demo


def session_token(request: Request) -> str | None:
    value = request.cookies.get(SESSION_COOKIE)
    return value if value and len(value) < 4096 else None


def set_session(response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.token_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(),
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/app")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure())


def presession(request: Request) -> str:
    """The login form's seed: the browser's pre-session cookie, or a new one (set it with
    `keep_presession`)."""
    value = request.cookies.get(PRESESSION_COOKIE)
    return value if value and len(value) == 32 else secrets.token_hex(16)


def keep_presession(response: Response, seed: str) -> None:
    response.set_cookie(
        PRESESSION_COOKIE, seed, max_age=3600, path="/app", httponly=True, samesite="lax", secure=_secure()
    )


def csrf_token(binding: str) -> str:
    """The CSRF token of a session (its cookie) or of a pre-session seed."""
    return hmac.new(settings.secret_key.encode(), f"csrf|{binding}".encode(), hashlib.sha256).hexdigest()


async def csrf_ok(request: Request, binding: str | None) -> bool:
    """Whether a state-changing request carries the token of the session (or seed) it came with."""
    if not binding:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent, csrf_token(binding))
