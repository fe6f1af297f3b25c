"""GraphQL over HTTP, the transport rules (https://graphql.github.io/graphql-over-http/draft/):
which media type a client gets, which request bodies are accepted, the error bodies the transport
itself answers with, and one structured log line per request."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from graphql import Lexer, Source, TokenKind
from graphql.error import GraphQLSyntaxError
from starlette.responses import Response

from server import metrics

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# The media types we answer with; application/json is the legacy one, served when the client does
# not say (no Accept, or only wildcards).
CONTENT_TYPES = {
    GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8",
    JSON: JSON,
}

access_log = logging.getLogger("lianxin.http")


def _media_range(part: str) -> tuple[str, dict[str, str]]:
    media, *raw_params = part.split(";")
    params = {}
    for raw in raw_params:
        name, _, value = raw.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return media.strip().lower(), params


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with for this Accept header, or None when we can serve none it
    accepts (406). The most specific matching range decides each type's quality (RFC 9110 §12.5.1);
    at equal quality a type the client names beats one a wildcard covers, and of two named types
    application/graphql-response+json wins, of two wildcarded ones application/json."""
    if accept is None or not accept.strip():
        return JSON
    ranges = []
    for part in accept.split(","):
        if not part.strip():
            continue
        media, params = _media_range(part)
        try:
            quality = float(params.get("q", "1"))
        except ValueError:
            quality = 0.0
        charset = params.get("charset")
        if charset is not None and charset.lower() not in {"utf-8", "utf8"}:
            continue  # we only speak UTF-8
        ranges.append((media, quality))

    best: tuple[float, int, bool] | None = None
    chosen = None
    for candidate in (GRAPHQL_RESPONSE_JSON, JSON):
        kind = candidate.split("/")[0]
        matches = [
            (specificity, quality)
            for media, quality in ranges
            for specificity, pattern in ((2, candidate), (1, f"{kind}/*"), (0, "*/*"))
            if media == pattern
        ]
        if not matches:
            continue
        specificity, quality = max(matches)
        if quality <= 0:
            continue
        preferred = (candidate == GRAPHQL_RESPONSE_JSON) if specificity == 2 else (candidate == JSON)
        rank = (quality, specificity, preferred)
        if best is None or rank > best:
            best, chosen = rank, candidate
    return chosen


def is_multipart(content_type: str | None) -> bool:
    """A GraphQL multipart request (files): operations, map and the files as form parts."""
    return bool(content_type) and _media_range(content_type or "")[0] == "multipart/form-data"


def json_body_problem(content_type: str | None) -> str | None:
    """Why a POST body of this Content-Type cannot be read as a GraphQL request (415), or None."""
    if not content_type:
        return "Send the request as Content-Type: application/json."
    media, params = _media_range(content_type)
    if media != JSON:
        return f"Unsupported Content-Type {media!r}: send the request as application/json."
    charset = params.get("charset")
    if charset is not None and charset.lower() not in {"utf-8", "utf8"}:
        return f"Unsupported charset {charset!r}: send the request in UTF-8."
    return None


def describe_operation(query: Any, operation_name: Any) -> tuple[str | None, str | None]:
    """(type, name) of the operation a document will run, from its first tokens: for the log only,
    so anything unexpected (a syntax error, no such operation) is (None, operationName)."""
    name = operation_name if isinstance(operation_name, str) else None
    if not isinstance(query, str):
        return None, name
    try:
        lexer = Lexer(Source(query))
        depth = 0
        in_fragment = False
        token = lexer.advance()
        for _ in range(10_000):
            if token.kind == TokenKind.EOF:
                break
            if token.kind == TokenKind.BRACE_L:
                if depth == 0 and not in_fragment and name is None:
                    return "query", None  # the shorthand `{ … }`
                depth += 1
            elif token.kind == TokenKind.BRACE_R:
                depth -= 1
                if depth == 0:
                    in_fragment = False
            elif depth == 0 and token.kind == TokenKind.NAME:
                if token.value == "fragment":
                    in_fragment = True
                elif not in_fragment and token.value in {"query", "mutation", "subscription"}:
                    operation_type = token.value
                    following = lexer.advance()
                    found = following.value if following.kind == TokenKind.NAME else None
                    if name is None or found == name:
                        return operation_type, found
                    token = following
                    continue
            token = lexer.advance()
    except GraphQLSyntaxError:
        pass
    return None, name


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def json_response(
    body: dict[str, Any], status: int, media_type: str | None, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type=CONTENT_TYPES[media_type or JSON],
    )


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@dataclass
class Exchange:
    """One HTTP request to /graphql, from arrival to the log line."""

    request_id: str = field(default_factory=new_request_id)
    started: float = field(default_factory=time.perf_counter)
    method: str = ""
    media_type: str | None = None
    operation_type: str | None = None
    operation_name: str | None = None
    user: str = "-"  # until the credentials are read: "anonymous" when there are none
    status: int | None = None  # overrides the response's status when set
    error_codes: list[str] = field(default_factory=list)
    cause: str | None = None  # the exception behind a 5xx answered outside of the execution
    interface: str = "graphql"  # or the REST interface (open311, csv, …) that served it

    def outcome(self, status: int) -> str:
        if status >= 500 or {"INTERNAL_SERVER_ERROR", "DATABASE_UNAVAILABLE"} & set(self.error_codes):
            return "exception"
        if status >= 400 or self.error_codes:
            return "errors"
        return "ok"

    def log(self, status: int) -> None:
        outcome = self.outcome(status)
        seconds = time.perf_counter() - self.started
        graphql = self.interface == "graphql"
        metrics.observe_request(
            graphql=graphql,
            interface=(self.operation_type or self.method.lower()) if graphql else self.interface,
            operation=self.operation_name,
            outcome=outcome,
            seconds=seconds,
        )
        duration_ms = round(seconds * 1000, 1)
        access_log.log(
            logging.ERROR if outcome == "exception" else logging.INFO,
            "%s %s %s %s in %.1f ms",
            self.operation_type or self.method,
            self.operation_name or "-",
            status,
            outcome,
            duration_ms,
            extra={
                "request_id": self.request_id,
                "user": self.user,
                "method": self.method,
                "operation_type": self.operation_type,
                "operation_name": self.operation_name,
                "duration_ms": duration_ms,
                "outcome": outcome,
                "status": status,
                "error_codes": self.error_codes,
                **({"cause": self.cause} if self.cause else {}),
            },
        )
