"""Where citizens' personal data is held: one definition that the code, the redaction migration,
docs/personal-data.md and its test all read.

PERSONAL_FIELDS are a citizen's identity itself (name, phone): read with ticket_personal:read only,
never copied into an append-only table. FREE_TEXT_FIELDS are typed by staff or the citizen and may
hold a phone or ID number in passing: masked (server.privacy.masking.mask_text) for callers
without ticket_personal:read, and masked before they enter an append-only table. NOT_PERSONAL
names the fields whose names sound personal but are not, and why.
"""

from __future__ import annotations

from collections.abc import Callable

from server.privacy.masking import mask_name, mask_phone

PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "Ticket": ("reporter_name", "reporter_phone"),
}

# How each personal field is shown to staff who may read the ticket but not its personal data.
MASKS: dict[str, Callable[[str | None], str | None]] = {
    "reporter_name": mask_name,
    "reporter_phone": mask_phone,
}

FREE_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "Ticket": ("description", "resolution_note", "reject_reason", "citizen_feedback"),
    "TicketEvent": ("comment", "data"),
    "ReturnVisit": ("comment",),
    "ProposalEvent": ("comment", "data"),
    "AuditEntry": ("before", "after"),
}

NOT_PERSONAL: dict[str, dict[str, str]] = {
    "Ticket": {
        "citizen_satisfied": "the citizen's rating (satisfied or not): identifies no one; kept for figures",
        "registered_by": "the staff member who took the ticket: staff, not a citizen",
        "address": "where the street problem is, as published through Open311; not where the reporter lives",
        "close_reason": "why it was closed (satisfied, basically satisfied, unreachable): a code",
    },
    "TicketEvent": {
        "actor": "the account that took the step: staff, not a citizen",
    },
    "ReturnVisit": {
        "actor": "the account that recorded the visit: staff, not a citizen",
        "visited_by": "the staff member who made the visit: staff, not a citizen",
        "rating": "the citizen's rating: identifies no one; kept for the satisfaction rate",
    },
    "Attachment": {
        "uploaded_by": "the account that uploaded the file: staff or a data-sharing key, not a citizen",
        "file_name": "the uploaded file's name (IMG_0001.jpg), made safe; removed with the file at retention",
    },
}

# Tables the database refuses to UPDATE or DELETE (migrations 0004, 0005 and 0015): nothing personal may
# ever be written to them, because nothing written to them can be erased.
APPEND_ONLY_TABLES = (
    "audit_entry",
    "ticket_event",
    "proposal_event",
    "api_key_use",
    "personal_data_access",
    "return_visit",
)

# What an audit snapshot holds instead of a personal field's value.
SET = "[set]"
CHANGED = "[changed]"
REMOVED = "[removed]"
MARKERS = frozenset({SET, CHANGED, REMOVED})
