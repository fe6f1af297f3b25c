"""graphql-transport-ws at /graphql, held to the caller's session for as long as the socket is open.

connection_init must carry credentials that `identify` accepts (a bearer token or an API key, in
the payload {"Authorization": "Bearer …"} / {"X-Api-Key": …} or else in the upgrade request's
headers); otherwise the socket closes with 4403 Forbidden and a reason that says why. Strawberry's
`on_ws_connect` could reject too, but only with the bare reason "Forbidden".

Only subscriptions are served here. Queries and mutations go over HTTP POST, where every request is
identified, rate-limited and logged by the request pipeline (server.pipeline); one sent as a
`subscribe` message is answered with an `error` message for its id (code BAD_REQUEST,
SUBSCRIPTIONS_ONLY) and nothing runs: strawberry's `schema.stream` refuses it by
allowed_operation_types before validation. (The legacy graphql-ws subprotocol is not spoken at all,
lianxin.app.LianxinGraphQL.)

Once acknowledged, a LiveSession re-checks the credentials (`identify`: one statement — revoked?
user active? key expired? — which also brings this worker's policy up to date) every
settings.subscription_recheck_seconds, before delivering an event that arrived after the last
check, and at the token's `exp`. When the session has ended the socket closes:

    4403  Forbidden: <why> — logged out, revoked, deactivated, expired (token or key)
    1013  subscriber too slow: events dropped; resubscribe — the subscriber fell
          settings.subscription_queue_size events behind (server.tickets.events)
    1013  Try again later: … — the session could not be re-checked: the database was unavailable
          for settings.subscription_outage_grace_seconds (a shorter outage only holds
          deliveries until it is back; the broker listens again by itself)
    4500  Internal server error — anything else (logged)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import Any, cast

from strawberry.schema.base import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)
from strawberry.types.graphql import OperationType

from schema.context import Context
from server import pipeline
from server.auth.service import AuthFailure, identify, token_expiry
from server.database import database_unavailable
from server.settings import settings
from server.tickets.events import TOO_SLOW

log = logging.getLogger("lianxin.websocket")

FORBIDDEN = 4403
TRY_AGAIN_LATER = 1013
INTERNAL_ERROR = 4500
NO_CREDENTIALS = (
    "Forbidden: send credentials in connection_init, "
    '{"Authorization": "Bearer <token>"} or {"X-Api-Key": "<key>"}'
)
EXPIRED = "Forbidden: The access token has expired; log in again."
UNAVAILABLE = "Try again later: the database is unavailable, so the session cannot be checked."
OUTAGE_RETRY_SECONDS = 0.5
SUBSCRIPTIONS_ONLY = (
    "Queries and mutations are served over HTTP POST at /graphql; this WebSocket serves subscriptions only."
)
MAX_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 123 bytes


def close_reason(text: str) -> str:
    data = text.encode()
    if len(data) <= MAX_REASON_BYTES:
        return text
    return data[: MAX_REASON_BYTES - 3].decode(errors="ignore") + "…"


Credentials = tuple[str | None, str | None]  # (Authorization, X-Api-Key)


def credentials(headers: Any, payload: dict[str, Any]) -> Credentials:
    """From connection_init's payload when it carries any, else from the upgrade request."""
    params = {str(k).lower(): v for k, v in payload.items()}
    authorization, key = params.get("authorization"), params.get("x-api-key")
    if authorization or key:
        return (str(authorization) if authorization else None, str(key) if key else None)
    return headers.get("authorization"), headers.get("x-api-key")


class LiveSession:
    """The caller behind one graphql-transport-ws connection, re-checked while it stays open.
    Subscriptions reach it as `info.context.live`."""

    def __init__(self, handler: TransportWSHandler, creds: Credentials, expires_at: int | None) -> None:
        self._handler = handler
        self._credentials = creds
        self._expires_at = expires_at  # the token's exp (POSIX seconds), None for keys
        self._valid_from = time.monotonic()  # start of the last check that passed
        self._check: asyncio.Task[bool] | None = None
        self._check_started = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self.ended = False

    def start(self) -> None:
        self._watcher = self._spawn(self._watch())

    async def valid_since(self, moment: float) -> bool:
        """Whether the session was found valid after `moment` (time.monotonic()): an event this
        process received at `moment` may then be delivered. Checks afresh when needed; one check
        serves every subscription of the connection."""
        if self.ended:
            return False
        if self._valid_from >= moment:
            return True
        if self._check is None or self._check_started < moment:
            self._check_started = time.monotonic()
            self._check = self._spawn(self._recheck(self._check_started))
        return await asyncio.shield(self._check)

    def too_slow(self) -> None:
        """The broker dropped one of this connection's subscribers (called from the publisher)."""
        self.end(TRY_AGAIN_LATER, TOO_SLOW)

    def end(self, code: int, reason: str) -> None:
        """Close the connection (in a task of its own: the caller may be a publisher or the
        subscription being closed)."""
        if self.ended:
            return
        self.ended = True
        self._spawn(self._handler.close(code, reason))

    def stop(self) -> None:
        self.ended = True
        if self._watcher is not None and self._watcher is not asyncio.current_task():
            self._watcher.cancel()

    async def _watch(self) -> None:
        while not self.ended:
            delay: float = settings.subscription_recheck_seconds
            if self._expires_at is not None:
                delay = min(delay, max(0.0, self._expires_at - time.time()))
            await asyncio.sleep(delay)
            await self.valid_since(time.monotonic())

    async def _recheck(self, started: float) -> bool:
        if self.ended:
            return False
        if self._expires_at is not None and time.time() >= self._expires_at:
            self.end(FORBIDDEN, EXPIRED)
            return False
        unavailable_since: float | None = None
        while not self.ended:
            try:
                await identify(*self._credentials)
                break
            except AuthFailure as exc:
                self.end(FORBIDDEN, f"Forbidden: {exc.message}")
                return False
            except Exception as exc:
                if not database_unavailable(exc):
                    log.exception("could not re-check the session of a live connection")
                    self.end(INTERNAL_ERROR, "Internal server error")
                    return False
                # A database restart (a failover, an upgrade) takes seconds: the check waits for
                # it, holding deliveries, rather than close every subscriber in the city.
                now = time.monotonic()
                unavailable_since = unavailable_since if unavailable_since is not None else now
                if now - unavailable_since >= settings.subscription_outage_grace_seconds:
                    self.end(TRY_AGAIN_LATER, UNAVAILABLE)
                    return False
                await asyncio.sleep(OUTAGE_RETRY_SECONDS)
        if self.ended:
            return False
        self._valid_from = max(self._valid_from, started)
        return True

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._tasks.discard)
        return task


class SubscriptionsOnly:
    """The schema as this WebSocket serves it. Strawberry's handler streams whatever operation it
    is sent (`schema.stream` without allowed_operation_types); this passes SUBSCRIPTION only, so a
    query or mutation becomes a pre-execution error of its own operation id (worded by
    schema.schema.MaskUnexpectedErrors) and never runs."""

    def __init__(self, schema: BaseSchema) -> None:
        self._schema = schema

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["allowed_operation_types"] = (OperationType.SUBSCRIPTION,)
        return await self._schema.stream(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._schema, name)


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler for subscriptions only, with connection_init
    authenticated and the connection closed when its session ends (see the module's docstring)."""

    live: LiveSession | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Not a BaseSchema by inheritance: it forwards every other member to the schema it wraps.
        self.schema = cast(BaseSchema, SubscriptionsOnly(self.schema))

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload", {})
        if self.connection_timed_out or self.connection_init_received or not isinstance(payload, dict):
            await super().handle_connection_init(message)  # strawberry's own refusals (4400, 4429)
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        creds = credentials(self.context.request.headers, payload)
        call = self.context.call
        try:
            # The request pipeline identifies the connection's caller, as it does every request's.
            await pipeline.identify_call(call, *creds)
            expires_at = token_expiry(creds[0])
        except AuthFailure as exc:
            await self.close(FORBIDDEN, f"Forbidden: {exc.message}")
            return
        except Exception as exc:
            if database_unavailable(exc):
                await self.close(TRY_AGAIN_LATER, UNAVAILABLE)
            else:
                log.exception("could not authenticate a WebSocket connection")
                await self.close(INTERNAL_ERROR, "Internal server error")
            return
        if call.auth_failure is not None:
            await self.close(FORBIDDEN, f"Forbidden: {call.auth_failure.message}")
            return
        if call.viewer is None:
            await self.close(FORBIDDEN, NO_CREDENTIALS)
            return
        context = self.context
        # Who is asking, for the whole connection. What it may see is decided by each
        # subscription when it starts, with the policy of that moment (schema/tickets/subscriptions.py).
        context.authz = call.authorizer()
        self.live = context.live = LiveSession(self, creds, expires_at)
        await super().handle_connection_init(message)  # acknowledges
        if self.connection_acknowledged:
            self.live.start()

    async def close(self, code: int, reason: str) -> None:
        """End every operation of this connection, then close the socket (a client that does not
        read may hold this up; the operations are stopped before that)."""
        if self.live is not None:
            self.live.stop()
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(Exception):  # already closed by the client
            await self.websocket.close(code=code, reason=close_reason(reason))

    async def send_message(self, message: Message) -> None:
        if self.live is not None and self.live.ended:
            return  # closing: nothing more goes out (a subscription's last "complete" included)
        await super().send_message(message)

    async def shutdown(self) -> None:
        if self.live is not None:
            self.live.stop()
        await super().shutdown()
