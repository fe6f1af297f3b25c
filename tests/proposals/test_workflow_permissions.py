"""The permissions the proposal API names (proposalWorkflow, the mutations' and fields'
descriptions) are the ones policies/policy.csv grants, spelled the same."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.helpers import data
from tests.proposals.flow import MUTATIONS

POLICY = Path(__file__).resolve().parents[2] / "policies" / "policy.csv"
PERMISSION = re.compile(r"\b([a-z_]+):([a-z_]+)\b")

PROPOSAL_TYPES = (
    "Proposal",
    "HandlingTask",
    "ProposalUnit",
    "ProposalReply",
    "ProposalRating",
    "ProposalContact",
    "ProposalEvent",
    "StationOutcome",
    "WorkflowTransition",
    "Deputy",
)

INTROSPECTION = """{ __schema {
  mutationType { fields { name description } }
  queryType { fields { name description } }
  types { name description fields { name description } }
} }"""


def _granted() -> set[str]:
    lines = (line.split(",") for line in POLICY.read_text(encoding="utf-8").splitlines())
    return {f"{p[2].strip()}:{p[3].strip()}" for p in lines if len(p) == 4 and p[0].strip() == "p"}


async def test_every_permission_in_the_workflow_is_a_policy_line(gql: Any) -> None:
    rows = data(await gql("{ proposalWorkflow { action permission automatic } }"))["proposalWorkflow"]
    granted = _granted()
    named = {r["permission"] for r in rows if not r["automatic"]}
    assert named and named <= granted, named - granted
    assert all(r["permission"] is None for r in rows if r["automatic"])


async def test_descriptions_name_granted_permissions(gql: Any) -> None:
    schema = data(await gql(INTROSPECTION))["__schema"]
    mutations = {f["name"]: f["description"] or "" for f in schema["mutationType"]["fields"]}
    workflow = {
        r["action"]: r["permission"]
        for r in data(await gql("{ proposalWorkflow { action permission } }"))["proposalWorkflow"]
    }
    texts = [mutations[name] for name in (*MUTATIONS.values(), "createProposal")]
    texts += [f["description"] or "" for f in schema["queryType"]["fields"] if "roposal" in f["name"]]
    for t in schema["types"]:
        if t["name"] in PROPOSAL_TYPES:
            texts += [t["description"] or ""] + [f["description"] or "" for f in t["fields"] or []]
    named = {":".join(m) for text in texts for m in PERMISSION.findall(text)}
    assert named - _granted() == set()
    # Each workflow mutation names the permission its action needs.
    for action, name in MUTATIONS.items():
        assert f"Needs {workflow[action]}" in mutations[name], (name, workflow[action])
