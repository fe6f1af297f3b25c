"""A person's request: erasure of what is held about a phone number (PIPL)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.errors import ForbiddenError, ValidationError, error_member
from schema.privacy.types import ErasePersonalDataPayload
from server.errors import DomainError
from server.privacy import requests

ErasePersonalDataResult = Annotated[
    ErasePersonalDataPayload | ValidationError | ForbiddenError, strawberry.union("ErasePersonalDataResult")
]


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Anonymise every ticket whose reporter gave this phone, as retention does, and mask "
        "the phone where other tickets' free text mentions it (their own reporter left alone). Refused "
        "(code TICKET_OPEN on field force) while one of the reporter's tickets is open, unless force is "
        "true. The reason "
        "is required (at most 500 characters). Audited with a keyed hash of the phone, never the phone. "
        "Needs personal_data_request:erase."
    )
    async def erase_personal_data(
        self, info: strawberry.Info, phone: str, reason: str, force: bool = False
    ) -> ErasePersonalDataResult:
        ctx = info.context
        try:
            done = await requests.erase(phone, reason, force, caller=ctx.caller)
        except DomainError as exc:
            return error_member(exc)
        return ErasePersonalDataPayload(
            tickets_anonymised=done.anonymised,
            ticket_numbers=done.ticket_numbers,
            open_tickets=done.open_tickets,
            erased_at=done.at,
        )
