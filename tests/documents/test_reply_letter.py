"""Reply letters (答复函) through the public API: the demo proposal's letter carries its number,
unit, result class and reply text; only those who read the reply may download it; issuing keeps
it unchanged; the PDF renders (one LibreOffice conversion in this module, at the issue)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from server.documents import office
from tests.helpers import data, gid

NUMBER = "16-6-0015"  # the demo's replied and closed proposal
LETTER = f"/proposals/{NUMBER}/reply-letter"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "reply-letter.png"

ISSUE = """mutation($id: ID!) { issueReplyLetter(proposalId: $id) { __typename
  ... on ReplyLetterPayload { docxPath pdfPath attachments { id stage contentType fileName url } }
  ... on ValidationError { code fields { field code message } }
  ... on ForbiddenError { code message } ... on NotFoundError { code } } }"""


async def _get(client: Any, gql: Any, path: str, user: str | None) -> Any:
    headers = {"Authorization": f"Bearer {await gql.token(user)}"} if user else {}
    return await client.get(path, headers=headers)


async def _proposal_id(gql: Any) -> str:
    result = data(await gql("{ proposals(first: 50) { edges { node { id number } } } }"))
    return next(e["node"]["id"] for e in result["proposals"]["edges"] if e["node"]["number"] == NUMBER)


def _text(docx: bytes) -> str:
    document = Document(io.BytesIO(docx))
    return "\n".join(p.text for p in document.paragraphs)


async def test_the_demo_letter_carries_number_unit_result_class_and_reply(client: Any, gql: Any) -> None:
    response = await _get(client, gql, LETTER + ".docx", "bureau")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == office.DOCX
    text = _text(response.content)
    assert NUMBER in text
    assert "东莞市城市管理和综合执法局" in text or "城市管理" in text
    assert "A类" in text
    assert "已在各镇街人流较多的公园和广场增设公共饮水点" in text
    assert "2020年4月10日" in text  # the reply's date, in Chinese form
    assert "示例联系人" in text
    assert "示例代表二" in text  # the deputy the letter answers


async def test_only_readers_of_the_reply_download_the_letter(client: Any, gql: Any) -> None:
    assert (await _get(client, gql, LETTER + ".docx", "deputy2")).status_code == 200  # the author
    assert (await _get(client, gql, LETTER + ".docx", "congress")).status_code == 200
    other = await _get(client, gql, LETTER + ".docx", "deputy")  # reads the proposal, not the reply
    assert other.status_code == 404, other.text
    assert other.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await _get(client, gql, LETTER + ".docx", None)).status_code == 401
    assert (await _get(client, gql, "/proposals/16-9-9999/reply-letter.docx", "bureau")).status_code == 404
    assert (await _get(client, gql, LETTER + ".odt", "bureau")).status_code == 404


async def test_issuing_keeps_the_letter_unchanged_and_only_once(
    client: Any, gql: Any, tmp_path: Path
) -> None:
    pid = await _proposal_id(gql)
    refused = data(await gql(ISSUE, {"id": pid}, as_user="congress"))["issueReplyLetter"]
    assert refused["__typename"] == "ForbiddenError", refused
    issued = data(await gql(ISSUE, {"id": pid}))["issueReplyLetter"]
    assert issued["__typename"] == "ReplyLetterPayload", issued
    files = issued["attachments"]
    assert files[0]["stage"] == "REPLY" and files[0]["contentType"] == office.DOCX
    first = await _get(client, gql, issued["docxPath"], "bureau")
    again = await _get(client, gql, issued["docxPath"], "deputy2")
    assert first.content == again.content  # the issued file, not a fresh rendering
    by_link = await client.get(files[0]["url"])
    assert by_link.status_code == 200 and by_link.content == first.content
    second = data(await gql(ISSUE, {"id": pid}))["issueReplyLetter"]
    assert second["__typename"] == "ValidationError"
    assert second["fields"][0]["code"] == "ALREADY_ISSUED"
    history = data(
        await gql("query($id: ID!) { node(id: $id) { ... on Proposal { history { action } } } }", {"id": pid})
    )
    assert [e["action"] for e in history["node"]["history"]].count("issue_letter") == 1

    if office.soffice() is None:
        pytest.skip("LibreOffice (libreoffice-writer-nogui) is not installed: no PDF is made here")
    assert [f["contentType"] for f in files] == [office.DOCX, office.PDF]
    pdf = await _get(client, gql, issued["pdfPath"], "deputy2")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    _renders(pdf.content, tmp_path)


def _renders(pdf: bytes, work: Path) -> None:
    """pdftoppm draws the first page; the committed screenshot is such a drawing."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    (work / "letter.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-singlefile", str(work / "letter.pdf"), str(work / "page")],
        capture_output=True,
        check=True,
    )
    png = (work / "page.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    assert SCREENSHOT.is_file() and SCREENSHOT.read_bytes().startswith(b"\x89PNG")


async def test_without_libreoffice_the_pdf_is_a_clear_error_and_the_docx_works(
    client: Any, gql: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(office, "soffice", lambda: None)
    response = await _get(client, gql, LETTER + ".pdf", "bureau")
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "PDF_UNAVAILABLE"
    assert (await _get(client, gql, LETTER + ".docx", "bureau")).status_code == 200


async def test_a_reply_contact_longer_than_the_letter_allows_is_refused(gql: Any) -> None:
    result = await gql(
        """mutation($i: ReplyToProposalInput!) { replyToProposal(input: $i) { __typename
          ... on ValidationError { fields { field code } } ... on MutationError { code } } }""",
        {
            "i": {
                "id": gid("Proposal", 1),
                "version": 1,
                "result": "SOLVED",
                "body": "x",
                "contact": "长" * 101,
            }
        },
    )
    answer = data(result)["replyToProposal"]
    # Whatever the proposal's state, an over-long contact is never accepted.
    assert answer["__typename"] in ("ValidationError", "TransitionError", "ForbiddenError", "ConflictError")
    if answer["__typename"] == "ValidationError":
        assert {"field": "contact", "code": "TOO_LONG"} in answer["fields"]
