"""docs/domain.md shows both workflows as tables of (state, action, who, next state). The tables are
derived here from the code (server/tickets/workflow.py, server/proposals/workflow.py) and the
policy (policies/policy.csv), and must match the document word for word: a change to a workflow or
to who may take a step fails this test until the document says so too.

To refresh the tables after such a change: `python -m tests.docs.test_domain_doc` prints them.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from server.proposals import workflow as proposal_workflow
from server.tickets import workflow as ticket_workflow

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "domain.md"
POLICY = ROOT / "policies" / "policy.csv"


def policy_roles() -> dict[tuple[str, str], list[str]]:
    """(object, action) → the roles whose policy lines allow it, in the file's order."""
    roles: dict[tuple[str, str], list[str]] = {}
    with POLICY.open(encoding="utf-8") as lines:
        for row in csv.reader(line for line in lines if line.strip() and not line.startswith("#")):
            kind, role, obj, act = (cell.strip() for cell in row)
            if kind == "p" and role not in roles.setdefault((obj, act), []):
                roles[(obj, act)].append(role)
    return roles


def ticket_rows() -> list[tuple[str, str, str, str]]:
    roles = policy_roles()
    rows = []
    for from_status, action, to_status in ticket_workflow.TRANSITIONS:
        # the policy lines the table names for the action (an action may need a line of
        # another name: recording a return visit is ticket:feedback)
        lines = ticket_workflow.PERMISSIONS[action]
        who = [role for obj, act in lines if obj == "ticket" for role in roles.get((obj, act), [])]
        who += [
            f"{role} (tickets transferred to its department)"
            for obj, act in lines
            if obj == "department_ticket"
            for role in roles.get((obj, act), [])
        ]
        rows.append((from_status.value, action, ", ".join(who) or "nobody", to_status.value))
    return rows


def proposal_rows() -> list[tuple[str, str, str, str]]:
    roles = policy_roles()
    rows = []
    for from_status, action, to_status in proposal_workflow.TRANSITIONS:
        if action in proposal_workflow.AUTOMATIC:
            who = ["automatic: a DISSATISFIED rating"]
        else:
            obj, act = proposal_workflow.permission(action)
            lead = " (staff of the lead unit)" if action in proposal_workflow.LEAD_UNIT_ACTIONS else ""
            if obj == proposal_workflow.OWN:
                whose = "author or co-signer" if action in proposal_workflow.COSIGNER_ACTIONS else "author"
                who = [f"{role} (its {whose})" for role in roles.get((obj, act), [])]
            else:
                who = [role + lead for role in roles.get((obj, act), [])]
        rows.append((from_status.value, action, ", ".join(who) or "nobody", to_status.value))
    return rows


def table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| state | action | who (Casbin role) | next state |", "|---|---|---|---|"]
    lines += [f"| {state} | `{action}` | {who} | {to} |" for state, action, who, to in rows]
    return "\n".join(lines)


def documented(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name}: begin.*?-->\n(.*?)\n<!-- {name}: end -->", text, re.S)
    assert found, f"docs/domain.md has no <!-- {name}: begin --> … <!-- {name}: end --> block"
    return found.group(1).strip()


def test_ticket_workflow_table_matches_the_code() -> None:
    assert documented("ticket-workflow") == table(ticket_rows())


def test_proposal_workflow_table_matches_the_code() -> None:
    assert documented("proposal-workflow") == table(proposal_rows())


def test_every_role_in_the_policy_is_described() -> None:
    text = DOC.read_text(encoding="utf-8")
    roles = {role for pairs in policy_roles().values() for role in pairs}
    assert sorted(role for role in roles if f"`{role}`" not in text) == []


if __name__ == "__main__":
    print("ticket-workflow:\n" + table(ticket_rows()) + "\n\nproposal-workflow:\n" + table(proposal_rows()))
