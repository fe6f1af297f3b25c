from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import data, error_codes, gid

WANG = "DG-20220110-000001"
XIAGANG_STATION = "长安镇厦岗社区城市服务驿站"

TICKET_FIELDS = """id number source sourceLabel status statusLabel registeredAt resolvedAt
  jurisdiction { id name parent { id name } } station { id name } category { id name }"""

LIST = f"""query($f: TicketFilter, $n: Int, $after: String) {{
  tickets(filter: $f, first: $n, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {TICKET_FIELDS} }} }} }}"""


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _tickets(
    gql: Any, filter: dict[str, Any], first: int = 500, as_user: str = "bureau"
) -> dict[str, Any]:
    return dict(data(await gql(LIST, {"f": filter, "n": first}, as_user=as_user))["tickets"])


async def _wang(gql: Any) -> dict[str, Any]:
    """Mr Wang's ticket, found through the list (there is no lookup by number)."""
    d = data(
        await gql(
            """{ tickets(filter: {registeredFrom: "2022-01-10T00:00:00+08:00",
                                  registeredTo: "2022-01-11T00:00:00+08:00"}, first: 100) {
                 nodes { id number registeredAt } } }"""
        )
    )
    [ticket] = [t for t in d["tickets"]["nodes"] if t["number"] == WANG]
    return dict(ticket)


async def _ids(gql: Any) -> dict[str, str]:
    d = data(
        await gql(
            """{ towns: jurisdictions(filter: {search: "长安镇", level: TOWN}) { nodes { id name } }
                 xiagang: jurisdictions(filter: {search: "厦岗社区"}) { nodes { id name } }
                 stations(filter: {search: "长安镇厦岗社区城市服务驿站"}) { nodes { id name } }
                 ticketCategories { id name } }"""
        )
    )
    [changan] = [n for n in d["towns"]["nodes"] if n["name"] == "长安镇"]
    [xiagang] = [n for n in d["xiagang"]["nodes"] if n["name"] == "厦岗社区"]
    [station] = [n for n in d["stations"]["nodes"] if n["name"] == XIAGANG_STATION]
    [category] = [c for c in d["ticketCategories"] if c["name"] == "占道经营"]
    return {
        "changan": changan["id"],
        "xiagang": xiagang["id"],
        "station": station["id"],
        "category": category["id"],
    }


# ---- Mr Wang's ticket --------------------------------------------------------------------------


WANG_QUERY = """query($id: ID!) { node(id: $id) { ... on Ticket {
  number source sourceLabel status statusLabel resolutionMethod resolutionNote resolutionMinutes
  registeredAt dispatchedAt onSiteAt resolvedAt closedAt responseDue resolutionDue
  reporterName reporterPhone description
  station { name kind } jurisdiction { name parent { name } }
  category { name responseMinutes resolutionMinutes }
  assignee { name postings { role } }
  history { actor action fromStatus toStatus at }
} } }"""


async def test_mr_wangs_ticket_as_the_bureau_sees_it(gql: Any) -> None:
    ticket = data(await gql(WANG_QUERY, {"id": (await _wang(gql))["id"]}))["node"]
    assert ticket["number"] == WANG
    assert (ticket["source"], ticket["sourceLabel"]) == ("WALK_IN", "驿站来访")
    assert ticket["station"] == {"name": XIAGANG_STATION, "kind": "SERVICE_STATION"}
    assert ticket["jurisdiction"] == {"name": "厦岗社区", "parent": {"name": "长安镇"}}
    assert ticket["category"]["name"] == "占道经营"
    assert ticket["resolutionMinutes"] == 30
    assert ticket["resolutionMethod"] == "SERVICE"
    assert ticket["reporterName"] == "王先生"
    assert ticket["reporterPhone"]
    assert ticket["status"] == "CLOSED"
    assert "AREA_CHIEF" in [p["role"] for p in ticket["assignee"]["postings"]]

    registered = _at(ticket["registeredAt"])
    assert registered.date().isoformat() == "2022-01-10"
    assert _at(ticket["resolvedAt"]) - registered == timedelta(minutes=30)
    steps = [ticket[k] for k in ("registeredAt", "dispatchedAt", "onSiteAt", "resolvedAt", "closedAt")]
    assert all(steps) and [_at(s) for s in steps] == sorted(_at(s) for s in steps)
    # the deadlines follow from the category's times
    assert _at(ticket["responseDue"]) - registered == timedelta(minutes=ticket["category"]["responseMinutes"])
    assert _at(ticket["resolutionDue"]) - registered == timedelta(
        minutes=ticket["category"]["resolutionMinutes"]
    )
    assert _at(ticket["resolvedAt"]) <= _at(ticket["resolutionDue"])

    history = ticket["history"]
    actions = [e["action"] for e in history]
    assert actions[0] == "register" and actions[-1] == "close"
    assert {"dispatch", "resolve"} <= set(actions)
    assert actions.index("dispatch") < actions.index("resolve") < actions.index("close")
    times = [_at(e["at"]) for e in history]
    assert times == sorted(times)
    assert times[0] == registered and times[-1] == _at(ticket["closedAt"])
    assert history[0]["fromStatus"] is None and history[0]["toStatus"] == "REGISTERED"
    for before, after in itertools.pairwise(history):
        assert after["fromStatus"] == before["toStatus"], (before, after)
    assert history[-1]["toStatus"] == "CLOSED"
    assert all(e["actor"] for e in history)


async def test_mr_wangs_name_is_personal_data(gql: Any) -> None:
    wang = await _wang(gql)
    q = "query($id: ID!) { node(id: $id) { ... on Ticket { number reporterName reporterPhone } } }"
    worker = data(await gql(q, {"id": wang["id"]}, as_user="worker-xiagang"))["node"]
    assert worker["reporterName"] == "王先生"

    deputy = await gql(q, {"id": wang["id"]}, as_user="deputy")
    assert deputy["data"]["node"] == {"number": WANG, "reporterName": None, "reporterPhone": None}
    assert error_codes(deputy) == ["FORBIDDEN", "FORBIDDEN"]
    assert sorted(e["path"][-1] for e in deputy["errors"]) == ["reporterName", "reporterPhone"]

    other_town = await gql(q, {"id": wang["id"]}, as_user="chief-humen")
    assert other_town["data"] == {"node": None} and error_codes(other_town) == ["NOT_FOUND"]


# ---- filters -----------------------------------------------------------------------------------


async def test_filter_by_status_and_source(gql: Any) -> None:
    d = data(
        await gql(
            """{ all: tickets { totalCount }
                 closed: tickets(filter: {status: CLOSED}, first: 500) {
                   totalCount nodes { status statusLabel } }
                 walkIn: tickets(filter: {source: WALK_IN}, first: 500) {
                   totalCount nodes { source station { id } } }
                 hotline: tickets(filter: {source: HOTLINE_12345}, first: 500) { totalCount nodes { source } }
                 patrol: tickets(filter: {source: PATROL}) { totalCount }
                 department: tickets(filter: {source: DEPARTMENT}) { totalCount }
                 both: tickets(filter: {source: WALK_IN, status: CLOSED}, first: 500) {
                   nodes { source status } } }"""
        )
    )
    total = d["all"]["totalCount"]
    closed = d["closed"]
    assert 0 < closed["totalCount"] == len(closed["nodes"]) < total
    assert {(n["status"], n["statusLabel"]) for n in closed["nodes"]} == {("CLOSED", "已办结")}
    walk_in = d["walkIn"]
    assert 0 < walk_in["totalCount"] == len(walk_in["nodes"]) < total
    assert all(n["source"] == "WALK_IN" for n in walk_in["nodes"])
    # a walk-in happens at a station
    assert all(n["station"] for n in walk_in["nodes"])
    assert d["hotline"]["nodes"] and all(n["source"] == "HOTLINE_12345" for n in d["hotline"]["nodes"])
    # every ticket has exactly one source
    by_source = sum(d[k]["totalCount"] for k in ("walkIn", "hotline", "patrol", "department"))
    assert by_source == total
    assert d["both"]["nodes"] and {(n["source"], n["status"]) for n in d["both"]["nodes"]} == {
        ("WALK_IN", "CLOSED")
    }


async def test_filter_by_jurisdiction_within_a_town(gql: Any) -> None:
    ids = await _ids(gql)
    changan = await _tickets(gql, {"jurisdictionId": ids["changan"]})
    nodes = changan["nodes"]
    assert 0 < changan["totalCount"] == len(nodes)
    for n in nodes:
        assert ids["changan"] in (n["jurisdiction"]["id"], (n["jurisdiction"]["parent"] or {}).get("id"))
    assert WANG in [n["number"] for n in nodes]
    everywhere = data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"]
    assert everywhere > len(nodes)

    xiagang = await _tickets(gql, {"jurisdictionId": ids["xiagang"]})
    assert xiagang["nodes"] and {n["jurisdiction"]["id"] for n in xiagang["nodes"]} == {ids["xiagang"]}
    assert xiagang["totalCount"] < changan["totalCount"]

    # the town's chief sees exactly what the bureau finds with the town filter
    chief = await _tickets(gql, {}, as_user="chief-changan")
    assert sorted(n["id"] for n in chief["nodes"]) == sorted(n["id"] for n in nodes)


async def test_filter_by_station_and_category(gql: Any) -> None:
    ids = await _ids(gql)
    at_station = await _tickets(gql, {"stationId": ids["station"]})
    assert at_station["nodes"]
    assert {n["station"]["id"] for n in at_station["nodes"]} == {ids["station"]}
    assert WANG in [n["number"] for n in at_station["nodes"]]

    occupying = await _tickets(gql, {"categoryId": ids["category"]})
    assert occupying["nodes"] and {n["category"]["name"] for n in occupying["nodes"]} == {"占道经营"}
    assert WANG in [n["number"] for n in occupying["nodes"]]

    both = await _tickets(gql, {"categoryId": ids["category"], "stationId": ids["station"]})
    assert {(n["station"]["id"], n["category"]["name"]) for n in both["nodes"]} == {
        (ids["station"], "占道经营")
    }
    assert WANG in [n["number"] for n in both["nodes"]]
    # Each list is its newest 500: what both pages hold is in the combined filter's page as long
    # as that page is not cut either (other tests keep adding tickets to the shared database).
    if not both["pageInfo"]["hasNextPage"]:
        assert {n["id"] for n in at_station["nodes"]} & {n["id"] for n in occupying["nodes"]} <= {
            n["id"] for n in both["nodes"]
        }
    assert both["totalCount"] <= min(at_station["totalCount"], occupying["totalCount"])

    nowhere = await _tickets(gql, {"stationId": gid("Station", 999_999)})
    assert nowhere["totalCount"] == 0 and nowhere["nodes"] == []


async def test_filter_by_registration_time(gql: Any) -> None:
    wang = await _wang(gql)
    moment = wang["registeredAt"]

    january = await _tickets(
        gql, {"registeredFrom": "2022-01-01T00:00:00+08:00", "registeredTo": "2022-02-01T00:00:00+08:00"}
    )
    assert january["nodes"]
    for n in january["nodes"]:
        assert _at("2022-01-01T00:00:00+08:00") <= _at(n["registeredAt"]) < _at("2022-02-01T00:00:00+08:00")

    # registeredFrom is inclusive, registeredTo exclusive. Wang is looked for in a one-minute window:
    # the open-ended list is newest first, and the suite registers more than a page of tickets.
    from_wang = await _tickets(gql, {"registeredFrom": moment})
    minute = (_at(moment) + timedelta(minutes=1)).isoformat()
    assert WANG in [
        n["number"]
        for n in (await _tickets(gql, {"registeredFrom": moment, "registeredTo": minute}))["nodes"]
    ]
    assert all(_at(n["registeredAt"]) >= _at(moment) for n in from_wang["nodes"])
    before_wang = await _tickets(gql, {"registeredTo": moment})
    assert WANG not in [n["number"] for n in before_wang["nodes"]]
    assert all(_at(n["registeredAt"]) < _at(moment) for n in before_wang["nodes"])
    everything = data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"]
    assert from_wang["totalCount"] + before_wang["totalCount"] == everything

    empty = await _tickets(gql, {"registeredFrom": moment, "registeredTo": moment})
    assert empty["totalCount"] == 0


async def test_the_time_range_may_be_given_in_any_offset(gql: Any) -> None:
    wang = await _wang(gql)
    utc = _at(wang["registeredAt"]).astimezone(UTC)
    assert utc.hour == 1  # 09:00 in Dongguan
    for start in (utc.isoformat(), utc.isoformat().replace("+00:00", "Z")):
        window = await _tickets(
            gql, {"registeredFrom": start, "registeredTo": (utc + timedelta(minutes=1)).isoformat()}
        )
        assert [n["number"] for n in window["nodes"]] == [WANG], start
    wide = await _tickets(
        gql, {"registeredFrom": "2022-01-10T00:00:00+00:00", "registeredTo": "2022-01-10T02:00:00Z"}
    )
    assert WANG in [n["number"] for n in wide["nodes"]]


async def test_a_reversed_time_range_is_bad_user_input(gql: Any) -> None:
    result = await gql(
        LIST,
        {"f": {"registeredFrom": "2022-02-01T00:00:00+08:00", "registeredTo": "2022-01-01T00:00:00+08:00"}},
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result["data"] == {"tickets": None}


BAD_IDS = {
    "malformed jurisdictionId": {"jurisdictionId": "nope"},
    "malformed stationId": {"stationId": "nope"},
    "stationId of another type": {"stationId": gid("Jurisdiction", 1)},
    "categoryId of another type": {"categoryId": gid("Station", 1)},
}


@pytest.mark.parametrize("case", BAD_IDS, ids=list(BAD_IDS))
async def test_bad_ids_in_the_filter_are_bad_user_input(gql: Any, case: str) -> None:
    result = await gql(LIST, {"f": BAD_IDS[case]})
    assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_unknown_enum_in_the_filter_is_refused(gql: Any) -> None:
    result = await gql("{ tickets(filter: {status: LOST}) { totalCount } }")
    assert result["errors"] and result.get("data") is None


# ---- order and pagination ----------------------------------------------------------------------


async def test_newest_first_and_cursor_pagination(gql: Any) -> None:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = data(await gql(LIST, {"f": None, "n": 7, "after": after}))["tickets"]
        assert len(page["nodes"]) <= 7
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    ids = [n["id"] for n in seen]
    assert len(ids) == len(set(ids)) == page["totalCount"] > 7
    times = [_at(n["registeredAt"]) for n in seen]
    assert times == sorted(times, reverse=True)


async def test_page_limits(gql: Any) -> None:
    assert error_codes(await gql("{ tickets(first: 100000) { totalCount } }")) == ["BAD_USER_INPUT"]
    assert error_codes(await gql('{ tickets(after: "zzz") { totalCount } }')) == ["BAD_USER_INPUT"]
    empty = data(await gql("{ tickets(first: 0) { totalCount nodes { id } pageInfo { hasNextPage } } }"))
    assert empty["tickets"]["nodes"] == [] and empty["tickets"]["totalCount"] > 0


# ---- categories --------------------------------------------------------------------------------


async def test_ticket_categories(gql: Any) -> None:
    categories = data(
        await gql("{ ticketCategories { id code name nameEn responseMinutes resolutionMinutes } }")
    )["ticketCategories"]
    by_name = {c["name"]: c for c in categories}
    assert "占道经营" in by_name
    occupying = by_name["占道经营"]
    assert occupying["nameEn"]
    assert 0 < occupying["responseMinutes"] <= occupying["resolutionMinutes"]
    for c in categories:
        assert c["name"] and c["code"] and 0 < c["responseMinutes"] <= c["resolutionMinutes"]
    assert len({c["code"] for c in categories}) == len(categories)
    # other readers see the same categories
    for user in ("deputy", "worker-xiagang", "liaison"):
        theirs = data(await gql("{ ticketCategories { id } }", as_user=user))["ticketCategories"]
        assert [c["id"] for c in theirs] == [c["id"] for c in categories]


async def test_tickets_without_personal_data_for_a_deputy(gql: Any) -> None:
    result = await gql("{ tickets(first: 5) { totalCount nodes { number reporterName } } }", as_user="deputy")
    nodes = result["data"]["tickets"]["nodes"]
    assert nodes and all(n["reporterName"] is None and n["number"] for n in nodes)
    assert error_codes(result) == ["FORBIDDEN"] * len(nodes)
    everything = data(await gql("{ tickets { totalCount } }"))["tickets"]["totalCount"]
    # ticket statistics and tickets are open to deputies, personal data aside
    assert result["data"]["tickets"]["totalCount"] == everything
