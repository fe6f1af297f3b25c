"""A citizen's ticket from intake to feedback, with personal data typed everywhere it can be, for
the privacy tests: every test that uses it gets citizens of its own (their values appear nowhere
else), and checks where those values end up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.helpers import data
from tests.tickets.workflow_helpers import ids, register, step

FAMILY = "甲乙丙丁戊己庚辛"


@dataclass(frozen=True)
class Citizen:
    """Made-up people: plainly generated names (欧阳甲远), unused mobile ranges, an invalid ID."""

    n: int

    @property
    def name(self) -> str:
        return f"欧阳{FAMILY[self.n]}远"

    @property
    def new_name(self) -> str:
        return f"司马{FAMILY[self.n]}光"

    def phone(self, k: int) -> str:
        return f"139{self.n:02d}{k:02d}0{k:03d}"

    @property
    def id_number(self) -> str:
        return f"44190019900{self.n:02d}1234X"

    @property
    def secrets(self) -> dict[str, str]:
        """Every full value of this citizen the workflow types in."""
        return {
            "name": self.name,
            "new name": self.new_name,
            "phone": self.phone(1),
            "new phone": self.phone(2),
            "phone in the description": self.phone(3),
            "phone in the note": self.phone(4),
            "phone in the feedback": self.phone(5),
            "phone in the rejection": self.phone(6),
            "ID number": self.id_number,
        }


async def ticket_through_workflow(gql: Any, citizen: Citizen) -> dict[str, Any]:
    """Register (name, phone, a description with a phone and an ID number), correct the reporter,
    dispatch, on site, transfer to the market regulator (so its liaison reads it too), resolve
    with a note naming the reporter and a phone, feedback with a phone. Returns refs and the
    ticket's id and number. Also a second ticket of the same citizen, rejected with a phone in
    the reason."""
    refs = await ids(gql)
    registered = await register(
        gql,
        refs,
        description=f"门口商铺占道经营，请回电{citizen.phone(3)}，身份证{citizen.id_number}",
        reporterName=citizen.name,
        reporterPhone=citizen.phone(1),
    )
    assert registered["__typename"] == "RegisterTicketPayload", registered
    t = {"id": registered["ticket"]["id"], "version": registered["ticket"]["version"]}

    async def go(mutation: str, args: str, extra: dict[str, Any], as_user: str, types: str = "") -> None:
        result = await step(gql, mutation, args, {"t": dict(t), **extra, "_types": types}, as_user)
        assert result["__typename"] == "TicketPayload", result
        t["version"] = result["ticket"]["version"]

    updated = data(
        await gql(
            "mutation($t: TicketVersion!, $n: String!, $p: String!) { updateTicket(ticket: $t, "
            "reporterName: $n, reporterPhone: $p) { __typename "
            "... on TicketPayload { ticket { version } } } }",
            {"t": t, "n": citizen.new_name, "p": citizen.phone(2)},
            as_user="worker-xiagang",
        )
    )["updateTicket"]
    assert updated["__typename"] == "TicketPayload", updated
    t["version"] = updated["ticket"]["version"]
    await go("dispatchTicket", ", assigneeId: $a", {"a": refs["chief"]}, "chief-changan", ", $a: ID!")
    await go("markTicketOnSite", "", {}, "chief-changan")
    await go("transferTicket", ", departmentId: $d", {"d": refs["market"]}, "chief-changan", ", $d: ID!")
    await go(
        "resolveTicket",
        ", method: SERVICE, note: $n",
        {"n": f"已劝离，{citizen.new_name}确认，回访电话{citizen.phone(4)}"},
        "chief-changan",
        ", $n: String!",
    )
    await go(
        "recordCitizenFeedback",
        ", satisfied: true, comment: $c",
        {"c": f"满意，以后打{citizen.phone(5)}"},
        "worker-xiagang",
        ", $c: String!",
    )
    number = data(
        await gql("query($id: ID!) { node(id: $id) { ... on Ticket { number } } }", {"id": t["id"]})
    )["node"]["number"]

    second = await register(gql, refs, reporterName=citizen.new_name, reporterPhone=citizen.phone(2))
    assert second["__typename"] == "RegisterTicketPayload", second
    rejected = await step(
        gql,
        "rejectTicket",
        ", reason: $r",
        {
            "t": {"id": second["ticket"]["id"], "version": second["ticket"]["version"]},
            "r": f"重复来电，号码{citizen.phone(6)}",
            "_types": ", $r: String!",
        },
        "chief-changan",
    )
    assert rejected["__typename"] == "TicketPayload", rejected
    return {"refs": refs, "id": t["id"], "number": number, "rejected_id": second["ticket"]["id"]}
