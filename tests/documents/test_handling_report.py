"""The handling report (办理情况报告): its figures equal the supervision queries' for the demo's
sessions and for every session of a bench-generated database; it downloads as DOCX with its
tables and charts; only those who read the proposals' correspondence get it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

from docx import Document

from server.settings import ROOT
from tests.conftest import create_empty_database, drop_database
from tests.documents.report_agreement import disagreements
from tests.helpers import data, error_codes


async def test_the_demo_sessions_report_what_the_supervision_queries_say(gql: Any) -> None:
    async def ask(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return data(await gql(query, variables, as_user="congress"))

    compared, problems = await disagreements(ask)
    assert compared >= 2 and problems == []
    report = (
        await ask(
            "{ handlingReport(congressTerm: 16, session: 6) { received closed byResult { mark count } "
            "ratings { rating count } satisfactionRate } }",
            {},
        )
    )["handlingReport"]
    assert report["received"] >= 1 and report["closed"] >= 1
    assert {"mark": "A", "count": 1} in report["byResult"]
    assert {"rating": "SATISFIED", "count": 1} in report["ratings"]
    assert report["satisfactionRate"] == 1.0


async def test_the_report_downloads_as_docx_with_tables_and_charts(client: Any, gql: Any) -> None:
    token = await gql.token("congress")
    response = await client.get(
        "/export/handling-report.docx?term=16&session=6", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "第16届人大第6次会议代表建议办理情况的报告" in text
    assert len(document.tables) >= 4 and len(document.inline_shapes) >= 1  # tables and a chart
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "东莞市城市管理和综合执法局" in cells  # the lead unit's row


async def test_the_report_needs_the_correspondence_and_a_session(client: Any, gql: Any) -> None:
    query = "{ handlingReport(congressTerm: 16, session: 7) { received } }"
    assert error_codes(await gql(query, as_user="deputy")) == ["FORBIDDEN"]
    assert error_codes(await gql("{ handlingReport(congressTerm: 16, session: 0) { received } }")) == [
        "BAD_USER_INPUT"
    ]
    token = await gql.token("bureau")
    missing = await client.get(
        "/export/handling-report.docx?term=16", headers={"Authorization": f"Bearer {token}"}
    )
    assert missing.status_code == 400


async def test_a_bench_databases_sessions_report_what_the_queries_say() -> None:
    url = await create_empty_database("bench")
    try:
        generated = subprocess.run(
            [
                sys.executable,
                "bench/generate.py",
                *("--database-url", url, "--tickets", "300", "--days", "20", "--staff", "450"),
                *("--proposals", "60", "--deputies", "20", "--until", "2026-01-10"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert generated.returncode == 0, generated.stdout + generated.stderr
        compared = subprocess.run(
            [sys.executable, "-m", "tests.documents.report_agreement", url],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert compared.returncode == 0, compared.stderr[-3000:]
        result = json.loads(compared.stdout.strip().splitlines()[-1])
    finally:
        await drop_database(url)
    assert result["sessions"] >= 2 and result["problems"] == []
