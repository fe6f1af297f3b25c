"""Downloads: /attachments/{id}/file and /attachments/{id}/thumbnail, through the request
pipeline. The caller is the one its Authorization header (or X-Api-Key) names, or the one a
signed link (?by=…&exp=…&sig=…, from Attachment.url) was made for; either way its access to the
attachment's ticket or proposal is checked again now: a file outside its scope is NOT_FOUND,
exactly as node(id:) answers, and a citizen's photo needs ticket_personal:read and is logged as a
personal-data read."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from server.attachments import media, service
from server.auth.service import AuthFailure, link_viewer
from server.caller import Caller
from server.errors import NotFound
from server.pipeline import Call, Interface, admit, json_error, route

DOWNLOADS = Interface(name="attachment", error=json_error, unauthenticated_status=401)
INLINE = {media.JPEG, media.PNG, media.WEBP}


def _attachment_id(raw: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("Attachment", raw)
    return int(raw)


async def download(request: Request, call: Call) -> Response:
    attachment_id = _attachment_id(request.path_params["id"])
    variant = request.path_params["variant"]
    if call.viewer is None:  # no credentials in headers: a signed link, or nothing
        params = request.query_params
        holder, expires, signature = params.get("by", ""), params.get("exp", ""), params.get("sig", "")
        if not (holder and expires and signature):
            return json_error(
                401,
                "UNAUTHENTICATED",
                "Send Authorization: Bearer <token>, or use the attachment's signed url.",
            )
        problem = service.verify_link(attachment_id, variant, holder[:200], expires, signature[:100])
        if problem is not None:
            return json_error(401, "UNAUTHENTICATED", problem)
        try:
            call.viewer = await link_viewer(holder)
        except AuthFailure as exc:
            return json_error(401, exc.code, exc.message)
        rate = await admit(call)  # a key's link counts against the key's limit as its requests do
        if rate is not None and not rate.allowed:
            return json_error(429, "RATE_LIMITED", rate.message())
    found = await service.download(attachment_id, variant, Caller.of(call))
    inline = found.content_type in INLINE
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.file_name)}",
        # Links are personal and short-lived: no shared cache keeps the file.
        "Cache-Control": "private, max-age=300",
        "X-Content-Type-Options": "nosniff",
        # A document never runs anything in our origin, whatever it contains.
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    }
    return Response(found.data, media_type=found.content_type, headers=headers)


routes = [
    route("/attachments/{id}/{variant}", download, DOWNLOADS, public=True),
]
