"""GeoJSON maps (RFC 7946) of stations and tickets, over REST (/geo/*.geojson) and GraphQL."""

from __future__ import annotations

import json
from typing import Any

import geojson

from server.geo.datum import wgs84_to_gcj02
from tests.helpers import city_api_key, data, error_codes

XIAGANG = "dongguan/changan/xiagang"


async def _get(client: Any, gql: Any, path: str, user: str, **params: str) -> Any:
    token = await gql.token(user)
    return await client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


async def _key(gql: Any, scopes: list[str]) -> str:
    return (await city_api_key(gql, scopes, "map test"))[0]


def _valid(body: dict[str, Any]) -> list[dict[str, Any]]:
    """RFC 7946 structure, checked by the geojson package and by hand for what it lets pass:
    positions are [lon, lat] in range, a missing position is geometry null, ids are strings."""
    collection = geojson.loads(geojson.dumps(body))
    assert collection.is_valid, collection.errors()
    assert body["type"] == "FeatureCollection" and isinstance(body["features"], list)
    for feature in body["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["id"], str)
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        if geometry is not None:
            assert geometry["type"] == "Point"
            lon, lat = geometry["coordinates"]
            assert -180 <= lon <= 180 and -90 <= lat <= 90
    return list(body["features"])


async def test_stations_map_as_bureau_has_the_programmes_stations(client: Any, gql: Any) -> None:
    response = await _get(client, gql, "/geo/stations.geojson", "bureau")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/geo+json")
    features = _valid(response.json())
    operating = [f["properties"] for f in features if f["properties"]["status"] == "OPERATING"]
    assert len([p for p in operating if p["kind"] == "SERVICE_STATION"]) == 113
    assert len([p for p in operating if p["kind"] == "COMMUNITY_WORKSTATION"]) == 116
    xiagang = next(f for f in features if f["properties"]["name"] == "长安镇厦岗社区城市服务驿站")
    props = xiagang["properties"]
    assert props["kind_zh"] == "城市服务驿站" and props["status_zh"] and props["code"] == xiagang["id"]
    assert props["jurisdiction_code"] == XIAGANG and props["jurisdiction_name"] == "厦岗社区"
    # Lianxin stores WGS-84, which is what the map gives by default; GCJ-02 on request.
    node = data(
        await gql(
            '{ stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { latitude longitude } } }'
        )
    )["stations"]["nodes"][0]
    assert xiagang["geometry"]["coordinates"] == [round(node["longitude"], 6), round(node["latitude"], 6)]
    shifted = _valid((await _get(client, gql, "/geo/stations.geojson", "bureau", crs="gcj02")).json())
    moved = next(f for f in shifted if f["id"] == xiagang["id"])
    lat, lon = wgs84_to_gcj02(node["latitude"], node["longitude"])
    assert moved["geometry"]["coordinates"] == [round(lon, 6), round(lat, 6)]
    assert response.json()["datum"] == "WGS84"


async def test_stations_map_is_scoped_filtered_and_open_to_a_station_key(client: Any, gql: Any) -> None:
    worker = _valid((await _get(client, gql, "/geo/stations.geojson", "worker-xiagang")).json())
    assert worker and all(f["properties"]["jurisdiction_code"].startswith(XIAGANG) for f in worker)
    planned = _valid(
        (
            await _get(
                client, gql, "/geo/stations.geojson", "bureau", status="PLANNED", kind="SERVICE_STATION"
            )
        ).json()
    )
    assert planned and all(f["properties"]["status"] == "PLANNED" for f in planned)
    key = await _key(gql, ["station"])
    keyed = await client.get("/geo/stations.geojson", headers={"X-Api-Key": key})
    assert keyed.status_code == 200 and _valid(keyed.json())
    assert (await client.get("/geo/stations.geojson")).status_code == 401
    for params in ({"kind": "CASTLE"}, {"bbox": "1,2,3"}, {"bbox": "114,22,113,23"}, {"crs": "EPSG:3857"}):
        bad = await _get(client, gql, "/geo/stations.geojson", "bureau", **params)
        assert bad.status_code == 400, (params, bad.text)
        assert bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    missing = await _get(client, gql, "/geo/stations.geojson", "bureau", jurisdiction="dongguan/atlantis")
    assert missing.status_code == 404


async def test_a_community_worker_maps_only_its_own_tickets(client: Any, gql: Any) -> None:
    response = await _get(client, gql, "/geo/tickets.geojson", "worker-xiagang", limit="10000")
    assert response.status_code == 200, response.text
    features = _valid(response.json())
    total = data(await gql("{ tickets { totalCount } }", as_user="worker-xiagang"))["tickets"]["totalCount"]
    assert features and len(features) == total
    assert all(f["properties"]["jurisdiction_code"].startswith(XIAGANG) for f in features)
    everything = _valid((await _get(client, gql, "/geo/tickets.geojson", "bureau", limit="10000")).json())
    assert len(everything) > len(features)


async def test_ticket_map_filters_like_the_list_and_by_bbox(client: Any, gql: Any) -> None:
    chief = (await _get(client, gql, "/geo/tickets.geojson", "chief-changan", limit="10000")).json()
    placed = [f for f in _valid(chief) if f["geometry"] is not None]
    lons = sorted(f["geometry"]["coordinates"][0] for f in placed)
    lats = sorted(f["geometry"]["coordinates"][1] for f in placed)
    middle_lon, middle_lat = lons[len(lons) // 2], lats[len(lats) // 2]
    box = f"{lons[0]},{lats[0]},{middle_lon},{middle_lat}"
    inside = _valid(
        (await _get(client, gql, "/geo/tickets.geojson", "chief-changan", bbox=box, limit="10000")).json()
    )
    assert 0 < len(inside) < len(placed)
    for feature in inside:
        lon, lat = feature["geometry"]["coordinates"]
        assert lons[0] <= lon <= middle_lon and lats[0] <= lat <= middle_lat
    closed = _valid(
        (
            await _get(client, gql, "/geo/tickets.geojson", "chief-changan", status="CLOSED", limit="10000")
        ).json()
    )
    expected = data(
        await gql("{ tickets(filter: {status: CLOSED}) { totalCount } }", as_user="chief-changan")
    )
    assert len(closed) == expected["tickets"]["totalCount"] > 0
    assert all(f["properties"]["status"] == "CLOSED" for f in closed)
    occupying = _valid(
        (await _get(client, gql, "/geo/tickets.geojson", "chief-changan", category="occupying_road")).json()
    )
    assert occupying and all(f["properties"]["category"] == "occupying_road" for f in occupying)
    january = _valid(
        (
            await _get(
                client,
                gql,
                "/geo/tickets.geojson",
                "chief-changan",
                registered_from="2022-01-01T00:00:00+08:00",
                registered_to="2022-02-01T00:00:00+08:00",
            )
        ).json()
    )
    assert all(f["properties"]["registered_at"].startswith("2022-01") for f in january)
    for params in (
        {"status": "SOLVED"},
        {"overdue": "maybe"},
        {"limit": "0"},
        {"limit": "many"},
        {"limit": "10000000"},
        {"after": "not-a-cursor"},
        {"registered_from": "2022-02-01T00:00:00+08:00", "registered_to": "2022-01-01T00:00:00+08:00"},
        {"bbox": "113,22,114,nan"},
    ):
        bad = await _get(client, gql, "/geo/tickets.geojson", "chief-changan", **params)
        assert bad.status_code == 400, (params, bad.text)


async def test_ticket_map_pages_with_a_cursor(client: Any, gql: Any) -> None:
    first = await _get(client, gql, "/geo/tickets.geojson", "worker-xiagang", limit="3")
    page = first.json()
    assert len(page["features"]) == 3 and page["next"] and 'rel="next"' in first.headers["link"]
    second = (
        await _get(client, gql, "/geo/tickets.geojson", "worker-xiagang", limit="3", after=page["next"])
    ).json()
    everything = (await _get(client, gql, "/geo/tickets.geojson", "worker-xiagang", limit="6")).json()
    assert [f["id"] for f in page["features"] + second["features"]] == [
        f["id"] for f in everything["features"]
    ]


async def test_ticket_map_shows_no_personal_data_and_needs_ticket_scope(client: Any, gql: Any) -> None:
    from server.tickets.models import Ticket

    body = (await _get(client, gql, "/geo/tickets.geojson", "bureau", limit="10000")).text
    reporters = await Ticket.exclude(reporter_phone="").values_list("reporter_name", "reporter_phone")
    assert reporters
    for name, phone in reporters:
        assert phone not in body
        assert len(name) < 2 or f'"{name}"' not in body
    assert "13800000001" not in body and "王先生" not in body
    fields = {key for feature in json.loads(body)["features"] for key in feature["properties"]}
    assert fields == {
        "number",
        "status",
        "status_zh",
        "category",
        "category_name",
        "category_name_en",
        "registered_at",
        "jurisdiction_code",
        "jurisdiction_name",
    }
    stations_only = await _key(gql, ["station"])
    refused = await client.get("/geo/tickets.geojson", headers={"X-Api-Key": stations_only})
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    tickets_key = await _key(gql, ["ticket"])
    keyed = await client.get("/geo/tickets.geojson", headers={"X-Api-Key": tickets_key})
    assert keyed.status_code == 200 and _valid(keyed.json())


async def test_graphql_gives_the_same_documents(client: Any, gql: Any) -> None:
    rest = (await _get(client, gql, "/geo/stations.geojson", "bureau", kind="COMMUNITY_WORKSTATION")).json()
    answer = data(await gql("{ stationsGeoJson(filter: {kind: COMMUNITY_WORKSTATION}) }"))
    assert answer["stationsGeoJson"] == rest
    rest_tickets = (
        await _get(client, gql, "/geo/tickets.geojson", "worker-xiagang", limit="4", crs="gcj02")
    ).json()
    page = data(await gql("{ ticketsGeoJson(first: 4, crs: GCJ02) }", as_user="worker-xiagang"))[
        "ticketsGeoJson"
    ]
    assert page == rest_tickets and page["datum"] == "GCJ02"
    following = data(
        await gql(
            "query($a: String) { ticketsGeoJson(first: 4, after: $a, filter: {status: RESOLVED}) }",
            {"a": None},
            as_user="worker-xiagang",
        )
    )["ticketsGeoJson"]
    assert all(f["properties"]["status"] == "RESOLVED" for f in following["features"])


async def test_graphql_refusals_and_bad_input_are_typed(gql: Any) -> None:
    key_less = await gql("{ ticketsGeoJson }", as_user="admin")
    assert key_less["data"]["ticketsGeoJson"] is None and error_codes(key_less) == ["FORBIDDEN"]
    for query in (
        "{ stationsGeoJson(bbox: [113, 22, 114]) }",
        "{ ticketsGeoJson(bbox: [114, 22, 113, 23]) }",
        "{ ticketsGeoJson(first: 0) }",
        '{ ticketsGeoJson(after: "bm90IG91cnM=") }',
    ):
        refused = await gql(query)
        assert error_codes(refused) == ["BAD_USER_INPUT"], (query, refused)


async def test_a_ticket_map_costs_the_same_statements_for_2_features_as_for_30(client: Any, gql: Any) -> None:
    """Session, the page, its jurisdictions, its categories: no statement per feature."""
    from tests.conftest import count_sql

    token = await gql.token("bureau")
    counts = []
    for limit in ("1", "2", "30"):  # the first warms what a process reads once (the policy)
        with count_sql() as counter:
            response = await client.get(
                "/geo/tickets.geojson", params={"limit": limit}, headers={"Authorization": f"Bearer {token}"}
            )
        assert len(response.json()["features"]) == int(limit)
        counts.append(counter.count)
    assert counts[1] == counts[2] <= 4, counts


async def test_a_gcj02_bbox_is_read_in_gcj02(client: Any, gql: Any) -> None:
    """A box 100 m wide around where a Chinese base map draws the Xiagang station: read as GCJ-02
    it holds the station; read as WGS-84 (600 m away) it does not."""
    shifted = _valid((await _get(client, gql, "/geo/stations.geojson", "bureau", crs="gcj02")).json())
    station = next(f for f in shifted if f["properties"]["name"] == "长安镇厦岗社区城市服务驿站")
    lon, lat = station["geometry"]["coordinates"]
    box = f"{lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
    found = (await _get(client, gql, "/geo/stations.geojson", "bureau", crs="gcj02", bbox=box)).json()
    assert station["id"] in [f["id"] for f in _valid(found)]
    assert all(f["geometry"]["coordinates"][0] <= lon + 0.0006 for f in found["features"])
    elsewhere = (await _get(client, gql, "/geo/stations.geojson", "bureau", bbox=box)).json()
    assert station["id"] not in [f["id"] for f in _valid(elsewhere)]
