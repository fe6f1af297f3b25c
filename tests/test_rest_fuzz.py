"""Every REST endpoint (Open311, CSV) against extreme values in every parameter: long strings, NUL
and control characters, huge, negative and non-finite numbers, far and impossible dates, bad ids.
Not one answer may be a 500; each is in the interface's own format, and the log holds no traceback."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import pytest

from tests.helpers import data
from tests.test_pipeline import _routes

EXTREMES = [
    "",
    "x" * 20_000,
    "\x00",
    "a\x00b",
    "\x1b[31m\x07\x7f\x9b",
    "\r\n\t",
    "-1",
    "0",
    "-99999999999999999999999999",
    "99999999999999999999999999",
    "1e308",
    "1e999",
    "-1e999",
    "nan",
    "inf",
    "0x10",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2022-02-30",
    "0000-00-00T00:00:00Z",
    "2022-01-01T25:61:61",
    "DG-" + "9" * 40,
    "DG-20220110-000001,DG-20220110-000001," * 100,
    ",,,,,,",
    "' OR 1=1 --",
    "%00%ff%",
    "../../../etc/passwd",
    "😀" * 2000,
    "=1+1",
]
# A JSON body's values need not be strings.
JSON_EXTREMES: list[Any] = [None, True, -1, 1e308, 2**80, [], {"a": 1}, "\x00", "x" * 20_000]
# The parameters of each endpoint, by path; a new endpoint fails the test until it is listed here.
QUERY = {
    "/open311/v2/services.json": ["api_key"],
    "/open311/v2/services/{code}.json": ["api_key"],
    "/open311/v2/requests.json": [
        "api_key",
        "start_date",
        "end_date",
        "service_request_id",
        "service_code",
        "status",
    ],
    "/open311/v2/requests/{id}.json": ["api_key"],
    "/export/stations.csv": [],
    "/export/scorecard.csv": ["from", "to", "jurisdiction"],
    "/geo/stations.geojson": ["kind", "status", "level", "jurisdiction", "bbox", "crs"],
    "/geo/tickets.geojson": [
        "status",
        "source",
        "jurisdiction",
        "station",
        "category",
        "department",
        "registered_from",
        "registered_to",
        "overdue",
        "due_before",
        "escalated",
        "bbox",
        "crs",
        "limit",
        "after",
    ],
    "/attachments/{id}/{variant}": ["by", "exp", "sig"],
    "/proposals/{number}/reply-letter.{format}": [],
    "/export/handling-report.{format}": ["term", "session"],
    "/export/stations.xlsx": [],
    "/export/scorecard.xlsx": ["from", "to", "jurisdiction"],
    "/export/tickets.xlsx": ["from", "to"],
    # the pages (signed in by the session cookie; their errors are HTML pages)
    "/app": [],
    "/app/static/{path:path}": [],
    "/app/login": ["expired"],
    "/app/logout": [],
    "/app/password": [],
    "/app/desk": [],
    "/app/desk/queue": [],
    "/app/desk/duplicates": ["category", "station"],
    "/app/desk/tickets": [],
    "/app/events": [],  # a stream that stays open: never fetched here
    "/app/tickets/{number}": [],
    "/app/tickets/{number}/{action}": [],
    "/app/board": ["view", "done"],
    "/app/board/dispatch": [],
    "/app/scorecard": ["from", "to"],
    "/app/scorecard.csv": ["from", "to", "jurisdiction"],
    "/app/map": [],
    "/app/proposals": [],
    "/app/proposals/{id}": [],
    "/app/proposals/{id}/rate": [],
    "/app/supervision": [],
    "/app/stations": ["year"],
    "/app/admin": [],
}
# The XML twins of the Open311 endpoints take the same parameters.
QUERY.update(
    {path.replace(".json", ".xml"): names for path, names in list(QUERY.items()) if "open311" in path}
)
PATH = {
    "{code}": "occupying_road",
    "{id}": "DG-20220110-000001",
    "{variant}": "file",
    "{number}": "16-6-0015",
    "{format}": "docx",
    "{path:path}": "htmx.min.js",
    "{action}": "dispatch",
}
FORM = [
    "api_key",
    "service_code",
    "lat",
    "long",
    "description",
    "first_name",
    "last_name",
    "phone",
    "address_string",
    "email",
    "device_id",
    "account_id",
    "media_url",
]


def _in_format(path: str, response: Any) -> bool:
    if path.endswith(".xml"):
        root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer, in a test
        return root.tag == "errors" and root.findtext("error/code") == str(response.status_code)
    if path.startswith("/app"):  # the pages answer errors as pages
        return response.headers["content-type"].startswith(("text/html", "text/plain"))
    body = response.json()
    if path.startswith("/open311/"):
        return isinstance(body, list) and body[0]["code"] == response.status_code
    return isinstance(body, dict) and isinstance(body["errors"][0]["extensions"]["code"], str)


@pytest.fixture
def no_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from server import pipeline

    monkeypatch.setattr(
        pipeline, "settings", dataclasses.replace(pipeline.settings, api_key_requests_per_minute=10**9)
    )


async def test_no_extreme_value_in_any_rest_parameter_is_a_500(
    app: Any, client: Any, gql: Any, no_rate_limit: None, caplog: pytest.LogCaptureFixture
) -> None:
    from server.pipeline import PipelineRoute

    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))["jurisdictions"][
        "nodes"
    ][0]
    key = data(
        await gql(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { ... on ApiKeyCreated { key } } }",
            {
                "i": {
                    "name": "fuzz",
                    "scopes": ["station", "stats", "ticket", "ticket_submit"],
                    "jurisdictionId": city["id"],
                }
            },
            as_user="admin",
        )
    )["createApiKey"]["key"]
    token = await gql.token("bureau")
    valid = {
        "api_key": key,
        "from": "2022-01-01",
        "to": "2022-12-31",
        "start_date": "2022-01-01T00:00:00+08:00",
        "end_date": "2022-01-31T00:00:00+08:00",
    }
    routes = [(p, r) for p, r in _routes(app.routes) if isinstance(r, PipelineRoute)]
    assert {p for p, _ in routes} == set(QUERY), "list the new endpoint's parameters in QUERY"
    answers: list[tuple[str, str, str, int]] = []

    async def check(label: str, value: str, response: Any, path: str) -> None:
        answers.append((label, path, value[:20], response.status_code))
        assert response.status_code < 500, (label, path, value[:50], response.text[:300])
        if response.status_code >= 400:
            assert _in_format(path, response), (label, path, value[:50], response.text[:300])

    with caplog.at_level(logging.INFO):
        for path, route in routes:
            headers = (
                {}
                if path.startswith("/open311/")
                else {"Cookie": f"lianxin_session={token}"}
                if path.startswith("/app")
                else {"Authorization": f"Bearer {token}"}
            )
            url = path
            for placeholder, default in PATH.items():
                url = url.replace(placeholder, default)
            base = {name: valid[name] for name in QUERY[path] if name in valid}
            for name in QUERY[path]:
                for value in EXTREMES:
                    response = await client.get(url, params={**base, name: value}, headers=headers)
                    await check(name, value, response, path)
                # not UTF-8 at all, as raw bytes in the query string
                response = await client.get(f"{url}?{name}=%ff%fe%00%ed%a0%80", headers=headers)
                await check(name, "%ff%fe", response, path)
            for placeholder in PATH:
                if placeholder in path:
                    for value in EXTREMES:
                        if not value or "/" in value:
                            continue  # another path, served by no route (Starlette's plain 404)
                        response = await client.get(
                            path.replace(placeholder, quote(value, safe="")), params=base, headers=headers
                        )
                        await check(placeholder, value, response, path)
            if "POST" in (route.methods or ()):
                form = {
                    "api_key": key,
                    "service_code": "occupying_road",
                    "lat": "22.82",
                    "long": "113.68",
                    "description": "fuzz",
                }
                for name in FORM:
                    for value in EXTREMES:
                        response = await client.post(url, data={**form, name: value})
                        await check(f"form {name}", value, response, path)
                    for other in JSON_EXTREMES:
                        response = await client.post(url, json={**form, name: other})
                        await check(f"json {name}", repr(other), response, path)
                for body in (b"\x00" * 10, b"{" * 100_000, b"[]", b"null", b'{"lat": 1e999}'):
                    response = await client.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                    await check("body", repr(body[:10]), response, path)
                response = await client.post(url, content=b"a=" + b"x" * 200_000)
                await check("body", "200 kB", response, path)
    assert len(answers) > 900
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert tracebacks == [], [r.getMessage() for r in tracebacks[:5]]
