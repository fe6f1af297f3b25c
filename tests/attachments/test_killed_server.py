"""A real server killed while a photo is being uploaded to it: no ticket, no file."""

from __future__ import annotations

import json
import socket
from typing import Any

from tests.attachments.helpers import jpeg, stored_files
from tests.attachments.test_acceptance import REGISTER, _count_tickets, _input
from tests.servers import serve, wait_ready
from tests.tickets.workflow_helpers import ids

BOUNDARY = "lianxin-test-boundary"


def _body(variables: dict[str, Any], photo: bytes) -> bytes:
    def part(name: str, value: bytes, extra: str = "") -> bytes:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{extra}\r\n\r\n'
        return head.encode() + value + b"\r\n"

    return (
        part("operations", json.dumps({"query": REGISTER, "variables": variables}).encode())
        + part("map", json.dumps({"0": ["variables.photos.0"]}).encode())
        + part("0", photo, '; filename="slow.jpg"\r\nContent-Type: image/jpeg')
        + f"--{BOUNDARY}--\r\n".encode()
    )


async def test_a_server_killed_mid_upload_leaves_no_ticket_and_no_file(gql: Any, database_url: str) -> None:
    ident = await ids(gql)
    token = await gql.token("worker-xiagang")
    before, tickets = stored_files(), await _count_tickets(gql)
    body = _body({"i": _input(ident, "上传途中服务器被终止"), "photos": [None]}, jpeg(size=(1600, 1200)))
    proc, address = serve(database_url)
    try:
        wait_ready(address, proc)
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            head = (
                f"POST /graphql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            # All but the end of the photo: the server holds a request it cannot finish.
            conn.sendall(head.encode() + body[: len(body) - 1000])
            proc.kill()
            proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=15)
    assert await _count_tickets(gql) == tickets
    assert stored_files() == before
