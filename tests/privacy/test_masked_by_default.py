"""Item 3: staff who may read a ticket but not its citizen's personal data see masked forms
(138****0000, 王*), in the ticket's own fields, its free text, its history and the audit trail;
the full name, phone and ID number reach only those with ticket_personal:read."""

from __future__ import annotations

import json
from typing import Any

from server.privacy.masking import mask_id_number, mask_name, mask_phone
from tests.helpers import data
from tests.privacy.flow import Citizen, ticket_through_workflow

TICKET = """query($id: ID!) { node(id: $id) { ... on Ticket { number description resolutionNote rejectReason
  citizenFeedback reporterName reporterPhone reporterNameMasked reporterPhoneMasked address
  history { actor action comment } latestEvent { comment } } } }"""
AUDIT = """{ auditTrail(objectType: "Ticket", first: 200) { nodes { objectId operation before after } } }"""
LIST = """{ tickets(first: 20) { nodes { number description resolutionNote citizenFeedback
  reporterNameMasked reporterPhoneMasked history { comment } } } }"""

# From policies/policy.csv: the roles holding ticket_personal:read where the test ticket lies
# (厦岗社区, 长安镇). The data-sharing key's scope names tickets only.
PERSONAL = {"bureau", "chief-changan", "worker-xiagang"}
ROLES = ["admin", "bureau", "congress", "deputy", "chief-changan", "worker-xiagang", "liaison", "key"]


async def _everything(gql: Any, ticket: dict[str, Any], **who: Any) -> dict[str, Any]:
    """Every answer the caller gets about the two tickets: node, list, history, audit trail."""
    return {
        "ticket": await gql(TICKET, {"id": ticket["id"]}, **who),
        "rejected": await gql(TICKET, {"id": ticket["rejected_id"]}, **who),
        "list": await gql(LIST, **who),
        "audit": await gql(AUDIT, **who),
    }


async def test_full_personal_data_reaches_only_roles_with_ticket_personal(gql: Any) -> None:
    citizen = Citizen(2)
    ticket = await ticket_through_workflow(gql, citizen)
    city = data(await gql("{ jurisdictions(filter: {level: CITY}) { nodes { id } } }"))["jurisdictions"]
    key = data(
        await gql(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { ... on ApiKeyCreated { key } } }",
            {"i": {"name": "privacy roles", "scopes": ["ticket"], "jurisdictionId": city["nodes"][0]["id"]}},
            as_user="admin",
        )
    )["createApiKey"]["key"]

    leaks: dict[str, list[str]] = {}
    readers = set()
    for role in ROLES:
        who = {"token": key} if role == "key" else {"as_user": role}
        answers = await _everything(gql, ticket, **who)
        text = json.dumps(answers, ensure_ascii=False)
        seen = [what for what, value in citizen.secrets.items() if value in text]
        if role in PERSONAL:
            node = answers["ticket"]["data"]["node"]
            assert node["reporterName"] == citizen.new_name and node["reporterPhone"] == citizen.phone(2)
            assert citizen.id_number in node["description"] and citizen.phone(3) in node["description"]
            assert citizen.phone(4) in node["resolutionNote"] and citizen.phone(5) in node["citizenFeedback"]
            assert citizen.phone(6) in answers["rejected"]["data"]["node"]["rejectReason"]
        else:
            leaks[role] = seen
        readable = answers["ticket"]["data"] and answers["ticket"]["data"]["node"]
        if readable:  # masked forms for everyone who may read the ticket
            readers.add(role)
            assert readable["reporterNameMasked"] == mask_name(citizen.new_name) == "司马**"
            assert readable["reporterPhoneMasked"] == mask_phone(citizen.phone(2)) == "139****0002"
        if readable and role not in PERSONAL:
            assert readable["reporterName"] is None and readable["reporterPhone"] is None
            assert mask_id_number(citizen.id_number) in readable["description"]
            assert "139****0004" in readable["resolutionNote"] and "司马**" in readable["resolutionNote"]
            assert "139****0005" in readable["citizenFeedback"]
            rejected = answers["rejected"]["data"] and answers["rejected"]["data"]["node"]
            if rejected:  # not the liaison's: never transferred to its department
                assert "139****0006" in rejected["rejectReason"]
    assert leaks == {role: [] for role in ROLES if role not in PERSONAL}
    assert readers == {"bureau", "deputy", "chief-changan", "worker-xiagang", "liaison", "key"}
    # who could read what, as the issue found it: the admin reads the audit, not the ticket
    admin = await _everything(gql, ticket, as_user="admin")
    assert admin["ticket"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    entries = [e for e in admin["audit"]["data"]["auditTrail"]["nodes"] if e["operation"] == "ticket.update"]
    assert any(e["after"].get("reporter_phone") == "[changed]" for e in entries)


async def test_reading_full_free_text_with_numbers_is_a_logged_personal_read(gql: Any) -> None:
    citizen = Citizen(3)
    ticket = await ticket_through_workflow(gql, citizen)
    await gql("query($id: ID!) { node(id: $id) { ... on Ticket { description } } }", {"id": ticket["id"]})
    reads = data(
        await gql(
            "query($n: String) { personalDataReads(ticketNumber: $n) { nodes { actor fieldsRead } } }",
            {"n": ticket["number"]},
            as_user="admin",
        )
    )["personalDataReads"]["nodes"]
    assert {"actor": "bureau", "fieldsRead": "free_text"} in reads
    # masked reads are not personal-data reads
    before = len(reads)
    await gql(
        "query($id: ID!) { node(id: $id) { ... on Ticket { description } } }",
        {"id": ticket["id"]},
        as_user="deputy",
    )
    after = data(
        await gql(
            "query($n: String) { personalDataReads(ticketNumber: $n) { totalCount } }",
            {"n": ticket["number"]},
            as_user="admin",
        )
    )["personalDataReads"]["totalCount"]
    assert after == before
