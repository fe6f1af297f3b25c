from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import data, gid

CREATE = """mutation($input: CreateStationInput!) { createStation(input: $input) {
  __typename
  ... on StationPayload { station { id code name status version restAreaShare amenities
                                    jurisdiction { name } } }
  ... on ValidationError { code message fields { field code message } }
  ... on NotFoundError { code objectType objectId }
  ... on ConflictError { code currentVersion }
} }"""

UPDATE = CREATE.replace("CreateStationInput", "UpdateStationInput").replace("createStation", "updateStation")


async def _xiagang_id(gql: Any) -> str:
    d = data(await gql('{ jurisdictions(filter: {search: "Xiagang"}) { nodes { id } } }'))
    return str(d["jurisdictions"]["nodes"][0]["id"])


def _station_input(jurisdiction_id: str, **overrides: Any) -> dict[str, Any]:
    base = {
        "code": f"test-{uuid.uuid4().hex[:10]}",
        "name": "测试驿站",
        "kind": "SERVICE_STATION",
        "level": "TOWN",
        "floorArea": 50.0,
        "restArea": 35.0,
        "address": "长安镇厦岗社区测试路1号",
        "jurisdictionId": jurisdiction_id,
        "amenities": ["KETTLE", "PUBLIC_WIFI"],
        "latitude": 22.8,
        "longitude": 113.8,
    }
    return base | overrides


async def _station_count(gql: Any) -> int:
    return int(data(await gql("{ stations { totalCount } }"))["stations"]["totalCount"])


async def _audit_count() -> int:
    from server.audit.models import AuditEntry

    return await AuditEntry.all().count()


async def test_create_then_update_a_station_with_audit(gql: Any) -> None:
    jid = await _xiagang_id(gql)
    audits = await _audit_count()
    created = data(await gql(CREATE, {"input": _station_input(jid)}))["createStation"]
    assert created["__typename"] == "StationPayload"
    station = created["station"]
    assert station["status"] == "PLANNED" and station["version"] == 1
    assert station["restAreaShare"] == 0.7
    assert station["jurisdiction"]["name"] == "厦岗社区"
    assert sorted(station["amenities"]) == ["KETTLE", "PUBLIC_WIFI"]

    updated = data(
        await gql(
            UPDATE,
            {
                "input": {
                    "id": station["id"],
                    "version": 1,
                    "status": "UNDER_CONSTRUCTION",
                    "name": "测试驿站（建设中）",
                }
            },
        )
    )
    assert updated["updateStation"]["station"]["status"] == "UNDER_CONSTRUCTION"
    assert updated["updateStation"]["station"]["version"] == 2
    assert await _audit_count() == audits + 2

    stale = data(await gql(UPDATE, {"input": {"id": station["id"], "version": 1, "name": "x"}}))
    assert stale["updateStation"] == {"__typename": "ConflictError", "code": "CONFLICT", "currentVersion": 2}

    skip = data(await gql(UPDATE, {"input": {"id": station["id"], "version": 2, "status": "CLOSED"}}))
    assert skip["updateStation"]["__typename"] == "StationPayload"
    reopen = data(await gql(UPDATE, {"input": {"id": station["id"], "version": 3, "status": "OPERATING"}}))
    assert reopen["updateStation"]["__typename"] == "ValidationError"
    assert reopen["updateStation"]["fields"][0]["code"] == "FORBIDDEN_TRANSITION"


BAD_INPUTS = {
    "rest area below 60%": ({"restArea": 29.0}, "restArea", "REST_AREA_BELOW_60_PERCENT"),
    "rest area above floor": ({"restArea": 51.0}, "restArea", "OUT_OF_RANGE"),
    "negative floor area": ({"floorArea": -5.0}, "floorArea", "OUT_OF_RANGE"),
    "zero floor area": ({"floorArea": 0.0, "restArea": 0.0}, "floorArea", "OUT_OF_RANGE"),
    "absurd floor area": ({"floorArea": 1e12, "restArea": 1e11}, "floorArea", "OUT_OF_RANGE"),
    "negative rest area": ({"restArea": -1.0}, "restArea", "OUT_OF_RANGE"),
    "overlong name": ({"name": "驿" * 101}, "name", "TOO_LONG"),
    "overlong address": ({"address": "路" * 5000}, "address", "TOO_LONG"),
    "empty name": ({"name": "   "}, "name", "REQUIRED"),
    "coordinates off the map": ({"latitude": 48.85, "longitude": 2.35}, "latitude", "OFF_MAP"),
    "malformed jurisdiction id": ({"jurisdictionId": "no-such-id"}, "jurisdictionId", "INVALID_ID"),
    "jurisdiction id of another type": (
        {"jurisdictionId": gid("Station", 1)},
        "jurisdictionId",
        "INVALID_ID",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
async def test_bad_station_input_is_a_typed_error_and_writes_nothing(gql: Any, case: str) -> None:
    overrides, field, code = BAD_INPUTS[case]
    jid = await _xiagang_id(gql)
    before, audits = await _station_count(gql), await _audit_count()
    result = data(await gql(CREATE, {"input": _station_input(jid, **overrides)}))["createStation"]
    assert result["__typename"] == "ValidationError", result
    assert result["code"] == "BAD_USER_INPUT"
    assert (field, code) in [(f["field"], f["code"]) for f in result["fields"]], result["fields"]
    assert await _station_count(gql) == before
    assert await _audit_count() == audits


async def test_unknown_ids_are_not_found_and_write_nothing(gql: Any) -> None:
    before = await _station_count(gql)
    missing_j = data(await gql(CREATE, {"input": _station_input(gid("Jurisdiction", 999_999))}))
    assert missing_j["createStation"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "objectType": "Jurisdiction",
        "objectId": gid("Jurisdiction", 999_999),
    }
    jid = await _xiagang_id(gql)
    missing_p = data(await gql(CREATE, {"input": _station_input(jid, proposalId=gid("Proposal", 999_999))}))
    assert missing_p["createStation"]["__typename"] == "NotFoundError"
    missing_s = data(await gql(UPDATE, {"input": {"id": gid("Station", 999_999), "version": 1, "name": "x"}}))
    assert missing_s["updateStation"]["__typename"] == "NotFoundError"
    assert await _station_count(gql) == before


async def test_a_station_cannot_be_credited_to_a_proposal_the_caller_may_not_read(gql: Any) -> None:
    """A draft is its author's alone: crediting a station to it is NOT_FOUND, as reading it is."""
    from tests.proposals.flow import draft

    proposal = await draft(gql, as_user="deputy2")
    jid = await _xiagang_id(gql)
    before, audits = await _station_count(gql), await _audit_count()
    created = data(await gql(CREATE, {"input": _station_input(jid, proposalId=proposal["id"])}))
    assert created["createStation"]["__typename"] == "NotFoundError"
    assert created["createStation"]["objectType"] == "Proposal"
    station = data(await gql("{ stations(first: 1) { nodes { id version } } }"))["stations"]["nodes"][0]
    updated = data(
        await gql(
            UPDATE,
            {"input": {"id": station["id"], "version": station["version"], "proposalId": proposal["id"]}},
        )
    )
    assert updated["updateStation"]["__typename"] == "NotFoundError"
    assert await _station_count(gql) == before
    assert await _audit_count() == audits


async def test_unknown_enum_value_and_wrong_types_never_500(gql: Any, client: Any) -> None:
    jid = await _xiagang_id(gql)
    for bad in ({"kind": "CASTLE"}, {"floorArea": "big"}, {"amenities": ["JACUZZI"]}):
        response = await client.post(
            "/graphql", json={"query": CREATE, "variables": {"input": _station_input(jid, **bad)}}
        )
        assert response.status_code < 500
        body = response.json()
        assert body["errors"] and not body.get("data")


async def test_duplicate_code_is_refused(gql: Any) -> None:
    jid = await _xiagang_id(gql)
    first = _station_input(jid)
    assert data(await gql(CREATE, {"input": first}))["createStation"]["__typename"] == "StationPayload"
    again = data(await gql(CREATE, {"input": first}))["createStation"]
    assert again["__typename"] == "ValidationError"
    assert again["fields"][0]["code"] == "DUPLICATE"


async def test_update_enforces_rest_area_rule_against_stored_values(gql: Any) -> None:
    jid = await _xiagang_id(gql)
    station = data(await gql(CREATE, {"input": _station_input(jid)}))["createStation"]["station"]
    shrink = data(await gql(UPDATE, {"input": {"id": station["id"], "version": 1, "restArea": 10.0}}))
    assert shrink["updateStation"]["__typename"] == "ValidationError"
    assert shrink["updateStation"]["fields"][0]["code"] == "REST_AREA_BELOW_60_PERCENT"
    grow = data(await gql(UPDATE, {"input": {"id": station["id"], "version": 1, "floorArea": 100.0}}))
    assert grow["updateStation"]["__typename"] == "ValidationError"
