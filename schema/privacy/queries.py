"""A person's request: what is held about a phone number (PIPL)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from schema.privacy.types import (
    PersonalDataAccessRecord,
    PersonalDataErasure,
    PersonalDataReport,
    PersonalDataTicket,
)
from server.enums import TicketStatus
from server.privacy import requests

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# strawberry types are dataclasses, which is what _copy reads their fields from.
T = TypeVar("T", bound="DataclassInstance")


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="Every ticket whose reporter gave this phone (digits compared, spaces, hyphens and "
        "+86 ignored) or whose free text mentions it (in any form masking recognises), what it "
        "holds, every logged read of it and earlier erasures for the phone. "
        "Needs personal_data_request:read. The report is itself a read of personal data, and logged."
    )
    async def personal_data_report(self, info: strawberry.Info, phone: str) -> PersonalDataReport:
        ctx = info.context
        found = await requests.report(phone, caller=ctx.caller)
        for ticket in found.tickets:
            if ticket.reporter_name:
                ctx.personal_reads.append((ticket.id, ticket.number, "reporter_name"))
            if ticket.reporter_phone:
                ctx.personal_reads.append((ticket.id, ticket.number, "reporter_phone"))
        return PersonalDataReport(
            phone_masked=found.phone_masked,
            ticket_count=found.ticket_count,
            tickets=[_copy(PersonalDataTicket, t, status=TicketStatus(t.status)) for t in found.tickets],
            read_count=found.read_count,
            reads=[_copy(PersonalDataAccessRecord, r) for r in found.reads],
            erasures=[_copy(PersonalDataErasure, e, tickets_anonymised=e.count) for e in found.erasures],
        )


def _copy(api_type: type[T], record: object, **given: Any) -> T:
    """The GraphQL type's fields taken from the service's record of the same names."""
    names = (f.name for f in dataclasses.fields(api_type))
    return api_type(**{name: getattr(record, name) for name in names if name not in given}, **given)
