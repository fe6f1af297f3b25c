"""Open311 GeoReport v2 in XML (the spec's default format), and the opt-in public GET of service
requests for open-data portals. Read with the standard library here, and by the PyPI `georeport`
client against a real server."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any
from xml.etree import ElementTree

import pytest
from georeport import GeoReport

from server.settings import settings
from tests.helpers import city_api_key
from tests.servers import serve, stop, wait_ready

WANG = "DG-20220110-000001"


async def _key(gql: Any, scopes: list[str]) -> str:
    return (await city_api_key(gql, scopes, "open311 xml test"))[0]


def _xml(response: Any, root: str) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml"), response.headers
    assert response.content.startswith(b"<?xml")
    element = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer, in a test
    assert element.tag == root, response.text
    return element


def _flat(element: ElementTree.Element) -> dict[str, str | None]:
    return {child.tag: child.text for child in element}


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error(response: Any, status: int) -> None:
    assert response.status_code == status, response.text
    [error] = _xml(response, "errors")
    assert error.tag == "error" and error.findtext("code") == str(status) and error.findtext("description")


def _public(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setattr("server.open311.settings", dataclasses.replace(settings, open311_public_get=on))


async def test_services_and_a_definition_in_xml_hold_what_the_json_holds(client: Any) -> None:
    services = _xml(await client.get("/open311/v2/services.xml"), "services")
    expected = (await client.get("/open311/v2/services.json")).json()
    assert [_flat(s) for s in services] == [{k: _as_text(v) for k, v in s.items()} for s in expected]
    assert all(s.tag == "service" for s in services)
    definition = _xml(await client.get("/open311/v2/services/occupying_road.xml"), "service_definition")
    assert (
        definition.findtext("service_code") == "occupying_road" and definition.find("attributes") is not None
    )
    _error(await client.get("/open311/v2/services/nope.xml"), 404)


async def test_requests_in_xml_and_their_errors(client: Any, gql: Any) -> None:
    key = await _key(gql, ["ticket"])
    listed = await client.get("/open311/v2/requests.xml", params={"api_key": key, "service_request_id": WANG})
    [request] = _xml(listed, "service_requests")
    [expected] = (await client.get(f"/open311/v2/requests/{WANG}.json", params={"api_key": key})).json()
    assert request.tag == "request" and _flat(request) == {k: _as_text(v) for k, v in expected.items()}
    [single] = _xml(
        await client.get(f"/open311/v2/requests/{WANG}.xml", params={"api_key": key}), "service_requests"
    )
    assert _flat(single) == _flat(request)
    assert "王" not in listed.text and "13800000001" not in listed.text
    _error(await client.get("/open311/v2/requests.xml", params={"api_key": key, "start_date": "soon"}), 400)
    _error(await client.get("/open311/v2/requests/DG-19990101-000001.xml", params={"api_key": key}), 404)
    _error(await client.get("/open311/v2/requests.xml"), 403)
    stations_only = await _key(gql, ["station"])
    _error(await client.get("/open311/v2/requests.xml", params={"api_key": stations_only}), 403)


async def test_post_in_xml_returns_the_receipt_and_errors_in_xml(client: Any, gql: Any) -> None:
    from server.tickets.models import Ticket

    submit = await _key(gql, ["ticket", "ticket_submit"])
    before = await Ticket.all().count()
    _error(await client.post("/open311/v2/requests.xml", data={"api_key": submit, "description": "x"}), 400)
    _error(await client.post("/open311/v2/requests.xml", data={"service_code": "occupying_road"}), 403)
    assert await Ticket.all().count() == before
    form = {"api_key": submit, "service_code": "occupying_road", "lat": "22.8282", "long": "113.811"}
    created = await client.post("/open311/v2/requests.xml", data={**form, "description": "商铺占道"})
    assert created.status_code == 201, created.text
    [receipt] = _xml(created, "service_requests")
    number = receipt.findtext("service_request_id")
    assert receipt.tag == "request" and number and await Ticket.exists(number=number)
    assert await Ticket.all().count() == before + 1


async def test_public_get_is_off_by_default_and_shows_public_fields_only(
    client: Any, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{WANG}.json"):
        refused = await client.get(path)
        assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    _public(monkeypatch, True)
    listed = await client.get("/open311/v2/requests.json", params={"start_date": "2022-01-01T00:00:00+08:00"})
    assert listed.status_code == 200, listed.text
    requests = listed.json()
    assert requests and all(r["description"] is None and r["status_notes"] is None for r in requests)
    assert all(r["address"] is None for r in requests)
    [wang] = (await client.get(f"/open311/v2/requests/{WANG}.json")).json()
    assert wang["service_code"] and wang["lat"] is not None and wang["description"] is None
    from server.tickets.models import Ticket

    reporters = await Ticket.exclude(reporter_phone="").values_list("reporter_name", "reporter_phone")
    for name, phone in reporters:
        assert phone not in listed.text and (len(name) < 2 or name not in listed.text)
    # Still a key for writing, and a bad key is still refused rather than treated as none.
    post = await client.post("/open311/v2/requests.json", data={"service_code": "occupying_road"})
    assert post.status_code == 403
    assert (await client.get("/open311/v2/requests.json", params={"api_key": "nope"})).status_code == 403


async def test_the_pypi_georeport_client_reads_the_xml_without_a_key(database_url: str) -> None:
    """The client sends no key on GET: the public GET setting is what lets it read requests."""
    server, address = serve(database_url, env={"LIANXIN_OPEN311_PUBLIC_GET": "1"})
    try:
        wait_ready(address, server)
        client = GeoReport(f"http://{address}/open311/v2", jurisdiction="dongguan", output_format="xml")
        services = await asyncio.to_thread(client.get_service_list)
        definition = await asyncio.to_thread(client.get_service_definition, "occupying_road")
        requests = await asyncio.to_thread(client.get_service_requests, service_request_id=WANG)
        single = await asyncio.to_thread(client.get_service_request, WANG)
    finally:
        stop(server)
    assert any(s["service_code"] == "occupying_road" for s in services)
    assert definition["service_code"] == "occupying_road"
    assert requests["service_request_id"] == WANG == single["service_request_id"]
    assert single["status"] == "closed" and single["description"] is None


async def test_anonymous_reads_are_held_to_a_keys_rate_per_address(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = dataclasses.replace(
        settings, open311_public_get=True, api_key_requests_per_minute=2, rate_limit_window_seconds=10**9
    )
    monkeypatch.setattr("server.open311.settings", limited)
    monkeypatch.setattr("server.pipeline.settings", limited)
    statuses = [(await client.get(f"/open311/v2/requests/{WANG}.json")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = await client.get(f"/open311/v2/requests/{WANG}.xml")
    _error(refused, 429)
    assert int(refused.headers["retry-after"]) > 0
