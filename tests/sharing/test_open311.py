"""Open311 GeoReport v2, checked against the shapes of the spec's documented examples."""

from __future__ import annotations

from typing import Any

from tests.helpers import city_api_key, data

SPEC_SERVICE_KEYS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
SPEC_REQUEST_KEYS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


async def _key(gql: Any, scopes: list[str]) -> str:
    return (await city_api_key(gql, scopes, "open311 test"))[0]


def _is_error(body: Any, code: int) -> bool:
    return isinstance(body, list) and body[0]["code"] == code and isinstance(body[0]["description"], str)


async def test_service_list_needs_no_key_and_matches_the_spec(client: Any) -> None:
    response = await client.get("/open311/v2/services.json")
    assert response.status_code == 200
    services = response.json()
    assert services and all(set(s) == SPEC_SERVICE_KEYS for s in services)
    occupying = next(s for s in services if s["service_code"] == "occupying_road")
    assert (
        "占道经营" in occupying["service_name"]
        and occupying["metadata"] is False
        and occupying["type"] == "realtime"
    )
    definition = (await client.get("/open311/v2/services/occupying_road.json")).json()
    assert definition == {"service_code": "occupying_road", "attributes": []}
    missing = await client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404 and _is_error(missing.json(), 404)


async def test_requests_read_with_a_ticket_key_without_personal_data(client: Any, gql: Any) -> None:
    key = await _key(gql, ["ticket"])
    response = await client.get(
        "/open311/v2/requests.json", params={"api_key": key, "service_request_id": "DG-20220110-000001"}
    )
    assert response.status_code == 200
    [wang] = response.json()
    assert set(wang) == SPEC_REQUEST_KEYS | {"detailed_status"}
    assert wang["status"] == "closed" and wang["detailed_status"] == "CLOSED"
    assert wang["requested_datetime"] == "2022-01-10T09:00:00+08:00"
    assert "王" not in str(wang) and "13800000001" not in str(wang)
    detail = await client.get("/open311/v2/requests/DG-20220110-000001.json", params={"api_key": key})
    assert detail.json() == [wang]
    ranged = await client.get(
        "/open311/v2/requests.json",
        params={
            "api_key": key,
            "start_date": "2022-01-01T00:00:00+08:00",
            "end_date": "2022-01-31T23:59:59+08:00",
            "status": "open",
            "service_code": "occupying_road",
        },
    )
    assert ranged.status_code == 200 and all(r["status"] == "open" for r in ranged.json())


async def test_a_station_key_gets_403_and_bad_input_gets_the_spec_error(client: Any, gql: Any) -> None:
    stations_only = await _key(gql, ["station"])
    refused = await client.get("/open311/v2/requests.json", params={"api_key": stations_only})
    assert refused.status_code == 403 and _is_error(refused.json(), 403)
    key = await _key(gql, ["ticket"])
    for params in (
        {"start_date": "last tuesday"},
        {"service_code": "unicorns"},
        {"status": "pending"},
        {"start_date": "2022-02-01T00:00:00+08:00", "end_date": "2022-01-01T00:00:00+08:00"},
    ):
        bad = await client.get("/open311/v2/requests.json", params={"api_key": key, **params})
        assert bad.status_code == 400 and _is_error(bad.json(), 400), params
    no_key = await client.get("/open311/v2/requests.json")
    assert no_key.status_code == 403 and _is_error(no_key.json(), 403)


async def test_post_makes_a_department_ticket_and_bad_posts_change_nothing(client: Any, gql: Any) -> None:
    from server.tickets.models import Ticket

    submit = await _key(gql, ["ticket", "ticket_submit"])
    before = await Ticket.all().count()
    for form, code in (
        ({"service_code": "occupying_road", "description": "x"}, 403),  # no key
        ({"api_key": submit, "description": "无位置"}, 400),  # no service_code
        ({"api_key": submit, "service_code": "occupying_road", "description": "无位置"}, 400),  # no location
        (
            {"api_key": submit, "service_code": "nope", "lat": "22.8", "long": "113.8", "description": "x"},
            400,
        ),
    ):
        bad = await client.post("/open311/v2/requests.json", data=form)
        assert bad.status_code == code and _is_error(bad.json(), code), form
    reader = await _key(gql, ["ticket"])
    refused = await client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": reader,
            "service_code": "occupying_road",
            "lat": "22.82",
            "long": "113.68",
            "description": "x",
        },
    )
    assert refused.status_code == 403
    assert await Ticket.all().count() == before

    xiagang = data(
        await gql(
            '{ stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { latitude longitude } } }'
        )
    )
    place = xiagang["stations"]["nodes"][0]
    created = await client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": submit,
            "service_code": "occupying_road",
            "lat": str(place["latitude"]),
            "long": str(place["longitude"]),
            "description": "市场监管局转来：商铺占道",
            "first_name": "先生",
            "last_name": "李",
            "phone": "13800000099",
        },
    )
    assert created.status_code == 201, created.text
    [receipt] = created.json()
    assert set(receipt) == {"service_request_id", "service_notice", "account_id"}
    ticket = await Ticket.get(number=receipt["service_request_id"])
    assert ticket.source.value == "DEPARTMENT" and ticket.reporter_name == "李 先生"
    assert await Ticket.all().count() == before + 1


async def test_far_dates_and_bad_ids_get_the_spec_error(client: Any, gql: Any) -> None:
    key = await _key(gql, ["ticket"])
    for params in (
        {"start_date": "9999-12-31T23:59:59+08:00"},
        {"end_date": "9999-12-31T23:59:59-12:00"},
        {"start_date": "0001-01-01T00:00:00+14:00"},
        {"start_date": "2022-01-01T00:00:00\x00"},
        {"service_request_id": "DG-" + "9" * 100},
        {"service_code": "a\x00b"},
    ):
        bad = await client.get("/open311/v2/requests.json", params={"api_key": key, **params})
        assert bad.status_code == 400 and _is_error(bad.json(), 400), (params, bad.text)
    for path in ("/open311/v2/requests/%00.json", "/open311/v2/services/" + "x" * 5000 + ".json"):
        bad = await client.get(path, params={"api_key": key})
        assert bad.status_code == 400 and _is_error(bad.json(), 400), path


async def test_free_text_is_masked_unless_the_key_may_read_personal_data(client: Any, gql: Any) -> None:
    submit = await _key(gql, ["ticket", "ticket_submit"])
    xiagang = data(
        await gql(
            '{ stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { latitude longitude } } }'
        )
    )["stations"]["nodes"][0]
    created = await client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": submit,
            "service_code": "occupying_road",
            "lat": str(xiagang["latitude"]),
            "long": str(xiagang["longitude"]),
            "description": "商铺占道，请回电 13812345678",
        },
    )
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]

    reader = await _key(gql, ["ticket"])
    masked = await client.get(f"/open311/v2/requests/{number}.json", params={"api_key": reader})
    assert masked.json()[0]["description"] == "商铺占道，请回电 138****5678"

    reads = "query($n: String) { personalDataReads(ticketNumber: $n) { nodes { actor fieldsRead } } }"
    assert data(await gql(reads, {"n": number}, as_user="admin"))["personalDataReads"]["nodes"] == []
    personal = await _key(gql, ["ticket", "ticket_personal"])
    full = await client.get(f"/open311/v2/requests/{number}.json", params={"api_key": personal})
    assert full.json()[0]["description"] == "商铺占道，请回电 13812345678"
    [read] = data(await gql(reads, {"n": number}, as_user="admin"))["personalDataReads"]["nodes"]
    assert read["fieldsRead"] == "free_text" and read["actor"].startswith("key:")  # as GraphQL records it


async def test_the_reporters_own_name_is_redacted_and_its_full_read_logged_as_in_graphql(
    client: Any, gql: Any
) -> None:
    """Open311 redacts free text by the rule GraphQL uses (the ticket's own reporter included), and
    records a full read of text that holds only the reporter's name, as GraphQL does."""
    from tests.tickets.workflow_helpers import ids, register, step

    refs = await ids(gql)
    t = (
        await register(
            gql,
            refs,
            reporterName="张三丰",
            reporterPhone="13622220001",
            description="改：张三丰 电话 13722222222，门口占道",
        )
    )["ticket"]
    number = t["number"]
    in_graphql = data(
        await gql(
            "query($n: String!) { ticket(number: $n) { description } }", {"n": number}, as_user="deputy"
        )
    )["ticket"]["description"]
    reader = await _key(gql, ["ticket"])
    masked = await client.get(f"/open311/v2/requests/{number}.json", params={"api_key": reader})
    assert masked.json()[0]["description"] == in_graphql == "改：张** 电话 137****2222，门口占道"
    assert "张三丰" not in masked.text

    # text that holds the reporter's name and nothing else: masked without ticket_personal, and
    # with it a logged read of personal data, in Open311 as in GraphQL
    rejected = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {"t": {"id": t["id"], "version": t["version"]}, "r": "张三丰本人撤回", "_types": ", $r: String!"},
        "chief-changan",
    )
    assert rejected["__typename"] == "TicketPayload", rejected
    name_only = (
        await register(
            gql, refs, reporterName="张三丰", reporterPhone="13622220001", description="张三丰反映门口占道"
        )
    )["ticket"]["number"]
    for n in (number, name_only):
        got = (await client.get(f"/open311/v2/requests/{n}.json", params={"api_key": reader})).json()[0]
        assert "张三丰" not in str(got) and "张**" in (got["status_notes"] or got["description"])
    reads = "query($n: String) { personalDataReads(ticketNumber: $n) { nodes { actor fieldsRead } } }"

    async def key_reads(n: str) -> list[dict[str, Any]]:
        nodes = data(await gql(reads, {"n": n}, as_user="admin"))["personalDataReads"]["nodes"]
        return [r for r in nodes if r["actor"].startswith("key:")]

    assert await key_reads(name_only) == []

    personal = await _key(gql, ["ticket", "ticket_personal"])
    full = await client.get(
        "/open311/v2/requests.json",
        params={"api_key": personal, "service_request_id": f"{number},{name_only}"},
    )
    by_number = {r["service_request_id"]: r for r in full.json()}
    assert by_number[number]["status_notes"] == "张三丰本人撤回"
    assert by_number[name_only]["description"] == "张三丰反映门口占道"
    [read] = await key_reads(name_only)
    assert read["fieldsRead"] == "free_text"
    # GraphQL records the same read of the same text
    await gql("query($n: String!) { ticket(number: $n) { description } }", {"n": name_only})
    nodes = data(await gql(reads, {"n": name_only}, as_user="admin"))["personalDataReads"]["nodes"]
    assert {"actor": "bureau", "fieldsRead": "free_text"} in nodes
