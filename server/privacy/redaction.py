"""What may enter an append-only table (audit snapshots, ticket and proposal history): no personal
field's value, and free text with phone and ID numbers masked. Those tables can never be erased
(migrations 0004, 0005), so a citizen's data written there would outlive any retention period.

An audit snapshot keeps that a personal field is set or changed, not its value:
    before: {"reporter_phone": "[set]"}           (absent when it was empty)
    after:  {"reporter_phone": "[changed]"}       when it differs from before
            {"reporter_phone": "[set]"}           when it is unchanged (or on creation)
            {"reporter_phone": "[removed]"}       when it was emptied
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from server.privacy.inventory import CHANGED, FREE_TEXT_FIELDS, MARKERS, MASKS, PERSONAL_FIELDS, REMOVED, SET
from server.privacy.masking import mask_number, mask_text, phone_digits

Known = list[tuple[str, str]]  # (personal field, value) of the citizen a text may mention


def known_values(*sources: Any, fields: Iterable[str] = ("reporter_name", "reporter_phone")) -> Known:
    """The personal values held by tickets or snapshot dicts, to find them in free text as well."""
    found: Known = []
    for source in sources:
        if source is None:
            continue
        for field in fields:
            value = source.get(field) if isinstance(source, Mapping) else getattr(source, field, None)
            if isinstance(value, str) and value.strip() and value not in MARKERS:
                found.append((field, value.strip()))
    return found


def redact_text(text: str | None, known: Sequence[tuple[str, str]] = ()) -> str:
    """The text with the citizen's own name and phone (when known) and any phone or ID number masked.
    The phone is found however it was typed (server.privacy.masking.number_pattern). A one-character
    name is left alone: it would mask that character everywhere."""
    if not text:
        return text or ""
    for field, value in sorted(known, key=lambda pair: -len(pair[1])):
        if field == "reporter_phone":
            text = mask_number(text, phone_digits(value))
        elif len(value) >= 2 and value in text:
            text = text.replace(value, MASKS[field](value) or "")
    return mask_text(text) or ""


def free_text_read(text: str | None, ticket: Any, may_read_personal: bool, reads: list[Any]) -> str:
    """A ticket's free text as a caller sees it, for every interface (GraphQL, Open311): whole for
    ticket_personal:read, else redacted (numbers, the reporter's own name and phone). A whole read is
    recorded in `reads` as a read of the ticket's personal data (field `free_text`) exactly when the
    redacted form would differ: the text holds a phone or ID number, or the reporter's name or phone."""
    text = text or ""
    redacted = redact_text(text, known_values(ticket))
    if not may_read_personal:
        return redacted
    if redacted != text:
        reads.append((ticket.id, ticket.number, "free_text"))
    return text


def redact_json(value: Any, known: Sequence[tuple[str, str]] = ()) -> Any:
    """Every string inside a JSON value through redact_text."""
    if isinstance(value, str):
        return redact_text(value, known)
    if isinstance(value, list):
        return [redact_json(v, known) for v in value]
    if isinstance(value, dict):
        return {k: redact_json(v, known) for k, v in value.items()}
    return value


def _marker(field: str, before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> str | None:
    now = after.get(field)
    if now in MARKERS:
        return str(now)  # already redacted
    if before is None:
        return SET if now else None
    was = before.get(field)
    if not now:
        return REMOVED if was else None
    if was in MARKERS:
        return CHANGED  # the old value is no longer known: say only that it may have changed
    return CHANGED if was != now else SET


def redact_snapshots(
    object_type: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Audit before/after of an object of this type, fit for an append-only table. Idempotent."""
    personal = PERSONAL_FIELDS.get(object_type, ())
    free = FREE_TEXT_FIELDS.get(object_type, ())
    if not personal and not free:
        return before, after
    known = known_values(before, after, fields=personal)

    def text_fields(snapshot: dict[str, Any]) -> dict[str, Any]:
        return {k: (redact_json(v, known) if k in free else v) for k, v in snapshot.items()}

    new_before = new_after = None
    if before is not None:
        new_before = {k: v for k, v in text_fields(before).items() if k not in personal}
        for field in personal:
            value = before.get(field)
            if value:
                new_before[field] = value if value in MARKERS else SET
    if after is not None:
        new_after = {k: v for k, v in text_fields(after).items() if k not in personal}
        for field in personal:
            marker = _marker(field, before, after)
            if marker is not None:
                new_after[field] = marker
    return new_before, new_after
