"""A person's request: what is held about a phone number (PIPL)."""

from __future__ import annotations

import strawberry

from schema.privacy.types import (
    PersonalDataAccessRecord,
    PersonalDataErasure,
    PersonalDataReport,
    PersonalDataTicket,
)
from server.privacy import requests


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
        found = await requests.report(phone, authz=ctx.authz)
        for t in found.tickets:
            if t.reporter_name:
                ctx.personal_reads.append((t.id, t.number, "reporter_name"))
            if t.reporter_phone:
                ctx.personal_reads.append((t.id, t.number, "reporter_phone"))
        return PersonalDataReport(
            phone_masked=found.phone_masked,
            ticket_count=found.ticket_count,
            tickets=[
                PersonalDataTicket(
                    number=t.number,
                    status=t.status,
                    registered_at=t.registered_at,
                    final_at=t.final_at,
                    reporter_name=t.reporter_name,
                    reporter_phone=t.reporter_phone,
                    fields_mentioning_phone=t.fields_mentioning_phone,
                    held_as_reporter=t.held_as_reporter,
                )
                for t in found.tickets
            ],
            read_count=found.read_count,
            reads=[
                PersonalDataAccessRecord(
                    at=r.at,
                    actor=r.actor,
                    interface=r.interface,
                    ticket_number=r.ticket_number,
                    fields_read=r.fields_read,
                    request_id=r.request_id,
                )
                for r in found.reads
            ],
            erasures=[
                PersonalDataErasure(
                    at=e.at,
                    actor=e.actor,
                    ticket_numbers=e.ticket_numbers,
                    tickets_anonymised=e.count,
                    forced=e.forced,
                    reason=e.reason,
                )
                for e in found.erasures
            ],
        )
