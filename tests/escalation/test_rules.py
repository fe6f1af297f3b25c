"""Escalation and reminder rules as data: the seeded defaults (what escalateOverdueTickets did
before), a category's own rule, once per ticket per rule, and the bureau's edits."""

from __future__ import annotations

from typing import Any

from tests.helpers import data
from tests.tickets.workflow_helpers import Clock, at, ids, register

RULES = """{ escalationRules { id action level atPercent afterDue { amount unit } enabled version
  category { code } } }"""
HISTORY = """query($id: ID!) { node(id: $id) { ... on Ticket { escalationLevel
  history { action comment } } } }"""
ESCALATE = "mutation { escalateOverdueTickets { __typename ... on TicketsPayload { tickets { id } } } }"
RESULT = """__typename ... on EscalationRulePayload { rule { id action level atPercent
  afterDue { amount unit } enabled version category { code } } }
  ... on ValidationError { code fields { field code } } ... on ConflictError { code currentVersion }
  ... on ForbiddenError { code } ... on NotFoundError { code }"""
CREATE = (
    "mutation($a: RuleAction!, $l: Int!, $c: ID, $p: Int, $d: WorkTimeInput) {"
    " createEscalationRule(action: $a, level: $l, categoryId: $c, atPercent: $p, afterDue: $d) {"
    + RESULT
    + " } }"
)
UPDATE = (
    "mutation($id: ID!, $v: Int!, $p: Int, $d: WorkTimeInput, $e: Boolean) {"
    " updateEscalationRule(id: $id, version: $v, atPercent: $p, afterDue: $d, enabled: $e) {"
    + RESULT
    + " } }"
)
DISABLE = "mutation($id: ID!, $v: Int!) { disableEscalationRule(id: $id, version: $v) {" + RESULT + " } }"


async def _new_ticket(gql: Any, refs: dict[str, str]) -> str:
    result = await register(gql, refs)
    assert result["__typename"] == "RegisterTicketPayload", result
    return str(result["ticket"]["id"])


async def _history(gql: Any, ticket_id: str) -> tuple[int, list[str]]:
    node = data(await gql(HISTORY, {"id": ticket_id}))["node"]
    return node["escalationLevel"], [h["action"] for h in node["history"]]


async def test_the_defaults_are_seeded_and_only_bureau_staff_read_them(gql: Any) -> None:
    rules = data(await gql(RULES))["escalationRules"]
    assert [(r["action"], r["level"], r["atPercent"], r["afterDue"], r["category"]) for r in rules] == [
        ("REMIND", 0, 75, None, None),
        ("ESCALATE", 1, None, {"amount": 0, "unit": "NATURAL_HOURS"}, None),
        ("ESCALATE", 2, 200, None, None),
    ]
    for user in ("chief-changan", "admin", "deputy"):
        refused = await gql(RULES, as_user=user)
        assert refused["data"] is None or refused["data"]["escalationRules"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_reminder_then_town_then_city_each_once(gql: Any, monkeypatch: Any) -> None:
    clock = Clock(monkeypatch, at(2026, 4, 1, 9, 0))
    refs = await ids(gql)
    ticket = await _new_ticket(gql, refs)  # 占道经营: resolution due in 120 minutes, at 11:00

    clock.set(10, 29)
    await gql(ESCALATE)
    assert await _history(gql, ticket) == (0, ["register"])
    clock.set(10, 30)  # 75% of the resolution time
    await gql(ESCALATE)
    await gql(ESCALATE)
    assert await _history(gql, ticket) == (0, ["register", "remind"])
    clock.set(11, 0)  # due: the town
    escalated = data(await gql(ESCALATE))["escalateOverdueTickets"]["tickets"]
    assert ticket in [t["id"] for t in escalated]
    clock.set(12, 59)
    assert ticket not in [t["id"] for t in data(await gql(ESCALATE))["escalateOverdueTickets"]["tickets"]]
    assert await _history(gql, ticket) == (1, ["register", "remind", "escalate"])
    clock.set(13, 0)  # a further resolution period later: the city
    await gql(ESCALATE)
    await gql(ESCALATE)
    assert await _history(gql, ticket) == (2, ["register", "remind", "escalate", "escalate"])


async def test_a_category_rule_replaces_the_general_one(gql: Any, monkeypatch: Any) -> None:
    clock = Clock(monkeypatch, at(2026, 3, 13, 9, 0))  # a Friday
    refs = await ids(gql)
    city = data(
        await gql(
            CREATE,
            {"a": "ESCALATE", "l": 2, "c": refs["category"], "d": {"amount": 1, "unit": "WORKING_DAYS"}},
        )
    )["createEscalationRule"]
    assert city["__typename"] == "EscalationRulePayload", city
    assert city["rule"]["category"] == {"code": "occupying_road"}
    ticket = await _new_ticket(gql, refs)  # due Friday 11:00

    clock.value = at(2026, 3, 14, 13, 30)  # Saturday: past 200%, but this category waits a working day
    await gql(ESCALATE)
    assert (await _history(gql, ticket))[0] == 1
    clock.value = at(2026, 3, 17, 12, 0)  # the working day after Friday 11:00 has passed
    await gql(ESCALATE)
    level, actions = await _history(gql, ticket)
    assert level == 2 and actions.count("escalate") == 2


async def test_rule_edits_are_checked_version_guarded_and_audited(gql: Any) -> None:
    before = data(await gql(RULES))["escalationRules"]
    remind = before[0]

    both = data(
        await gql(CREATE, {"a": "REMIND", "l": 0, "p": 50, "d": {"amount": 1, "unit": "WORKING_HOURS"}})
    )
    assert both["createEscalationRule"]["__typename"] == "ValidationError"
    bad_level = data(await gql(CREATE, {"a": "ESCALATE", "l": 3, "p": 100}))["createEscalationRule"]
    assert ("level", "INVALID") in [(f["field"], f["code"]) for f in bad_level["fields"]]
    twice = data(await gql(CREATE, {"a": "REMIND", "l": 0, "p": 50}))["createEscalationRule"]
    assert ("level", "DUPLICATE") in [(f["field"], f["code"]) for f in twice["fields"]]
    negative = data(
        await gql(UPDATE, {"id": remind["id"], "v": 1, "d": {"amount": -1, "unit": "WORKING_DAYS"}})
    )
    assert negative["updateEscalationRule"]["__typename"] == "ValidationError"
    refused = data(await gql(UPDATE, {"id": remind["id"], "v": 1, "p": 50}, as_user="chief-changan"))
    assert refused["updateEscalationRule"]["__typename"] == "ForbiddenError"
    assert data(await gql(RULES))["escalationRules"] == before  # nothing changed

    moved = data(await gql(UPDATE, {"id": remind["id"], "v": 1, "p": 50}))["updateEscalationRule"]
    assert moved["rule"]["atPercent"] == 50 and moved["rule"]["version"] == 2
    stale = data(await gql(DISABLE, {"id": remind["id"], "v": 1}))["disableEscalationRule"]
    assert stale == {"__typename": "ConflictError", "code": "CONFLICT", "currentVersion": 2}
    off = data(await gql(DISABLE, {"id": remind["id"], "v": 2}))["disableEscalationRule"]
    assert off["rule"]["enabled"] is False and off["rule"]["version"] == 3

    trail = data(
        await gql(
            '{ auditTrail(objectType: "EscalationRule") { nodes { actor operation } } }', as_user="admin"
        )
    )["auditTrail"]["nodes"]
    assert [(e["actor"], e["operation"]) for e in trail] == [("bureau", "escalation_rule.update")] * 2


async def test_a_disabled_rule_fires_no_more(gql: Any, monkeypatch: Any) -> None:
    clock = Clock(monkeypatch, at(2026, 4, 1, 9, 0))
    refs = await ids(gql)
    remind = data(await gql(RULES))["escalationRules"][0]
    await gql(DISABLE, {"id": remind["id"], "v": remind["version"]})
    ticket = await _new_ticket(gql, refs)
    clock.set(10, 45)
    await gql(ESCALATE)
    assert await _history(gql, ticket) == (0, ["register"])
