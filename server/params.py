"""Bounds on the parameters of REST endpoints (query strings, forms, path segments): every value a
client sends is checked here before it reaches a service or the database, and a bad one is a
ValidationFailed that the request pipeline answers in the interface's own 4xx format."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from server.errors import DomainError, FieldProblem, ValidationFailed
from server.validation import text_defect

# The dates the system deals in: the programme's records, with room on both sides. Far dates
# (year 1 or 9999) overflow time-zone arithmetic and are nobody's real question.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


class TooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"


def bad(field: str, message: str, code: str = "INVALID") -> ValidationFailed:
    return ValidationFailed(problems=[FieldProblem(field, message, code)])


def text(
    value: object, field: str, *, max_length: int, free_text: bool = False, required: bool = False
) -> str:
    """A string parameter within `max_length` characters, without control characters (free text
    may hold tabs and line breaks); "" when absent and not required."""
    if value is None or value == "":
        if required:
            raise bad(field, "is required", "REQUIRED")
        return ""
    if not isinstance(value, str):
        raise bad(field, "must be a string")
    if defect := text_defect(value, max_length=max_length, multiline=free_text):
        code, message = defect
        raise bad(field, message, code)
    return value


def text_list(value: object, field: str, *, max_items: int, max_length: int) -> list[str]:
    """A comma-separated list of short strings."""
    raw = text(value, field, max_length=max_items * (max_length + 1))
    items = [s.strip() for s in raw.split(",") if s.strip()]
    if len(items) > max_items:
        raise bad(field, f"at most {max_items} values", "TOO_LONG")
    for item in items:
        text(item, field, max_length=max_length)
    return items


def number(value: object, field: str, *, low: float, high: float) -> float | None:
    """A finite number within [low, high]; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad(field, "must be a number")
    if isinstance(value, str) and len(value) > 40:
        raise bad(field, "must be a number", "TOO_LONG")
    try:
        parsed = float(value)
    except ValueError:
        raise bad(field, "must be a number") from None
    if not math.isfinite(parsed) or not low <= parsed <= high:
        raise bad(field, f"must be a number from {low} to {high}", "OUT_OF_RANGE")
    return parsed


def _in_range(day: date, field: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise bad(field, f"must lie between {EARLIEST} and {LATEST}", "OUT_OF_RANGE")


def day(value: object, field: str, *, required: bool = False) -> date | None:
    """A calendar date, YYYY-MM-DD, within the supported range."""
    raw = text(value, field, max_length=10, required=required)
    if not raw:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise bad(field, "must be a date YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        raise bad(field, "must be a date YYYY-MM-DD") from None
    _in_range(parsed, field)
    return parsed


def moment(value: object, field: str) -> datetime | None:
    """A W3C/ISO 8601 date-time within the supported range (its own offset, or city time when it
    has none); None when absent."""
    raw = text(value, field, max_length=40)
    if not raw:
        return None
    message = "must be a W3C date-time such as 2022-01-10T09:00:00+08:00"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ][0-9:.,+\-Z]*)?", raw):
        raise bad(field, message)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad(field, message) from None
    _in_range(parsed.date(), field)
    return parsed
