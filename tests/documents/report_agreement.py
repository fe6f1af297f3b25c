"""The handling report against the GraphQL supervision queries, for every session of a database:
used by the demo's test in the suite's process, and run as a program on a bench-generated
database (`python -m tests.documents.report_agreement URL`), whose app it starts itself."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

Ask = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

REPORT = """query($t: Int!, $s: Int!) { handlingReport(congressTerm: $t, session: $s) {
  received registered assigned repliedOnTime repliedLate pending overdue closed keySupervised
  keySupervisedOverdue rehandled
  byResult { mark count } ratings { rating count }
  units { department { id } role onTime late pending overdue onTimeRate }
  stations { code tickets { received resolved } } docxPath } }"""
UNITS = """query($t: Int!, $s: Int!) { unitTimeliness(congressTerm: $t, session: $s) {
  department { id } role onTime late pending overdue onTimeRate } }"""
PROPOSALS = """query($after: String) { proposals(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { congressTerm session status keySupervision
    outcomes { station { code } tickets { received resolved } } } } } }"""
OVERDUE = """query($key: Boolean, $after: String) {
  overdueProposals(keySupervision: $key, first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { congressTerm session } } } }"""


async def _all(ask: Ask, query: str, field: str, variables: dict[str, Any]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await ask(query, {**variables, "after": after}))[field]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def disagreements(ask: Ask) -> tuple[int, list[str]]:
    """(sessions compared, what differs between the report and the queries)."""
    proposals = await _all(ask, PROPOSALS, "proposals", {})
    overdue = Counter(
        (p["congressTerm"], p["session"]) for p in await _all(ask, OVERDUE, "overdueProposals", {"key": None})
    )
    key_overdue = Counter(
        (p["congressTerm"], p["session"]) for p in await _all(ask, OVERDUE, "overdueProposals", {"key": True})
    )
    sessions = sorted({(p["congressTerm"], p["session"]) for p in proposals})
    problems: list[str] = []
    for term, session in sessions:
        report = (await ask(REPORT, {"t": term, "s": session}))["handlingReport"]
        units = (await ask(UNITS, {"t": term, "s": session}))["unitTimeliness"]
        mine = [p for p in proposals if (p["congressTerm"], p["session"]) == (term, session)]
        lead = [u for u in units if u["role"] == "LEAD"]
        stations = sorted(
            (o["station"]["code"], o["tickets"]["received"], o["tickets"]["resolved"])
            for p in mine
            for o in p["outcomes"]
        )
        expected = {
            "units": units,
            "received": len(mine),
            "closed": sum(p["status"] == "CLOSED" for p in mine),
            "keySupervised": sum(p["keySupervision"] for p in mine),
            "repliedOnTime": sum(u["onTime"] for u in lead),
            "repliedLate": sum(u["late"] for u in lead),
            "pending": sum(u["pending"] for u in lead),
            "overdue": overdue[(term, session)],
            "keySupervisedOverdue": key_overdue[(term, session)],
            "stations": stations,
        }
        actual = {
            **{k: report[k] for k in expected if k != "stations"},
            "stations": sorted(
                (s["code"], s["tickets"]["received"], s["tickets"]["resolved"]) for s in report["stations"]
            ),
        }
        # The lead's overdue count is the overdue list's, read two ways.
        if report["overdue"] != overdue[(term, session)]:
            problems.append(
                f"{term}-{session}: lead overdue {report['overdue']} != list {overdue[(term, session)]}"
            )
        for key, value in expected.items():
            if actual[key] != value:
                problems.append(f"{term}-{session} {key}: report {actual[key]!r} != queries {value!r}")
        if sum(r["count"] for r in report["byResult"]) > report["repliedOnTime"] + report["repliedLate"]:
            problems.append(f"{term}-{session}: more result classes than replies")
    return len(sessions), problems


async def _main(url: str) -> None:
    import os

    os.environ["LIANXIN_DATABASE_URL"] = url
    import httpx

    from lianxin.app import create_app
    from server.auth.demo_accounts import DEMO_PASSWORD
    from server.authz.engine import engine
    from server.database import open_database

    async with open_database(url):
        await engine.reload()
        app = create_app(manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            login = (
                await http.post(
                    "/graphql",
                    json={
                        "query": 'mutation($p: String!) { login(username: "congress", password: $p) '
                        "{ ... on LoginSuccess { token } } }",
                        "variables": {"p": DEMO_PASSWORD},
                    },
                )
            ).json()
            token = login["data"]["login"]["token"]

            async def ask(query: str, variables: dict[str, Any]) -> dict[str, Any]:
                answer = (
                    await http.post(
                        "/graphql",
                        json={"query": query, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                ).json()
                if answer.get("errors"):
                    raise RuntimeError(answer["errors"])
                return dict(answer["data"])

            compared, problems = await disagreements(ask)
    print(json.dumps({"sessions": compared, "problems": problems}))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1]))
