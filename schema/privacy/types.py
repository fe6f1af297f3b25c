"""What a person's request about their personal data answers (PIPL)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.enums import TicketStatus


@strawberry.type(description="A ticket that holds the phone, and what it holds.")
class PersonalDataTicket:
    number: str
    status: TicketStatus
    registered_at: datetime
    final_at: datetime | None = strawberry.field(
        description="When it was closed (or resolved, rejected, marked duplicate); null while open."
    )
    reporter_name: str
    reporter_phone: str
    fields_mentioning_phone: list[str] = strawberry.field(
        description="Free-text fields that contain the number: description, resolution_note, "
        "reject_reason, citizen_feedback."
    )
    held_as_reporter: bool = strawberry.field(
        description="True when the phone is this ticket's reporter's. False when the ticket only mentions "
        "it in its free text (fieldsMentioningPhone) and its reporter is someone else, whose name and "
        "phone are then not shown (empty); an erasure masks the mentions and leaves that reporter alone."
    )


@strawberry.type(description="A logged read of a ticket's personal data.")
class PersonalDataAccessRecord:
    at: datetime
    actor: str
    interface: str = strawberry.field(description="graphql, open311, csv, …")
    ticket_number: str
    fields_read: str
    request_id: str


@strawberry.type(description="An earlier erasure for the phone, found by its keyed hash.")
class PersonalDataErasure:
    at: datetime
    actor: str
    ticket_numbers: list[str]
    tickets_anonymised: int
    forced: bool
    reason: str


@strawberry.type(description="What is held about a phone number, who read it, and earlier erasures.")
class PersonalDataReport:
    phone_masked: str = strawberry.field(description="The number asked about, masked (138****0000).")
    ticket_count: int
    tickets: list[PersonalDataTicket] = strawberry.field(description="The newest 1,000 at most.")
    read_count: int
    reads: list[PersonalDataAccessRecord] = strawberry.field(description="The newest 1,000 at most.")
    erasures: list[PersonalDataErasure]


@strawberry.type(description="The phone's personal data was erased from these tickets.")
class ErasePersonalDataPayload:
    tickets_anonymised: int
    ticket_numbers: list[str]
    open_tickets: int = strawberry.field(description="How many of them were still open (erased with force).")
    erased_at: datetime
