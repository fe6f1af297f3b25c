"""Open311 GeoReport v2 in XML, the spec's default format: every /open311/v2/… .json endpoint also
answers at the same path ending in .xml, with the same data in the spec's XML shapes.

The JSON endpoints of server.open311 do the work; this module only renders their answers:
  services            <services><service>…</service></services>
  service definition  <service_definition><service_code/><attributes>…</attributes></service_definition>
  requests, a request <service_requests><request>…</request></service_requests>
  POST receipt        <service_requests><request><service_request_id/>…</request></service_requests>
  errors              <errors><error><code/><description/></error></errors>
A null is an empty element; booleans are true/false, as in the spec's examples.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from starlette.requests import Request
from starlette.responses import Response

from server import open311
from server.pipeline import Call, Endpoint, Interface, route

XML_MEDIA_TYPE = "text/xml"
# A list inside an item (the service definition's attributes, an attribute's values) names its
# members by the singular.
MEMBERS = {"attributes": "attribute", "values": "value"}


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(ElementTree.SubElement(element, name), inner)
    elif isinstance(value, list):
        member = MEMBERS.get(element.tag, "item")
        for inner in value:
            _fill(ElementTree.SubElement(element, member), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def render(root: str, item: str | None, body: Any) -> bytes:
    """`body` (a JSON answer) under `root`: each member of a list as an `item`, a single object's
    fields directly under the root."""
    element = ElementTree.Element(root)
    if item is None:
        _fill(element, body)
    else:
        for member in body if isinstance(body, list) else [body]:
            _fill(ElementTree.SubElement(element, item), member)
    return ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)


def xml_response(root: str, item: str | None, body: Any, status: int = 200) -> Response:
    return Response(render(root, item, body), status_code=status, media_type=XML_MEDIA_TYPE)


def error(status: int, description: str) -> Response:
    return xml_response("errors", "error", [{"code": status, "description": description}], status)


OPEN311_XML = Interface(
    name="open311",
    error=lambda status, _code, message: error(status, message),
    unauthenticated_status=open311.OPEN311.unauthenticated_status,
    credentials=open311.OPEN311.credentials,
)


def as_xml(endpoint: Endpoint, root: str, item: str | None) -> Endpoint:
    """The JSON endpoint, its answer rendered as XML (an error answer as the spec's errors)."""

    async def serve(request: Request, call: Call) -> Response:
        answer = await endpoint(request, call)
        body = json.loads(bytes(answer.body))
        if answer.status_code >= 400:
            rendered = xml_response("errors", "error", body, answer.status_code)
        else:
            rendered = xml_response(root, item, body, answer.status_code)
        if "retry-after" in answer.headers:
            rendered.headers["Retry-After"] = answer.headers["retry-after"]
        return rendered

    return serve


routes = [
    route(
        "/open311/v2/services.xml", as_xml(open311.services, "services", "service"), OPEN311_XML, public=True
    ),
    route(
        "/open311/v2/services/{code}.xml",
        as_xml(open311.service_definition, "service_definition", None),
        OPEN311_XML,
        public=True,
    ),
    route(
        "/open311/v2/requests.xml",
        as_xml(open311.requests_list, "service_requests", "request"),
        OPEN311_XML,
        methods=["GET", "POST"],
        public=True,
    ),
    route(
        "/open311/v2/requests/{id}.xml",
        as_xml(open311.request_detail, "service_requests", "request"),
        OPEN311_XML,
        public=True,
    ),
]
