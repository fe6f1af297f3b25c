"""Masked forms of a citizen's personal data, so staff can tell people apart without the full data.

The usual Chinese forms: a mobile number keeps its first three and last four digits
(138****0000), a name its family name (王*), an 18-digit resident ID number its first six and last
four characters (440301********123X). Free text (descriptions, notes, feedback) is returned with
mobile numbers, landlines and ID numbers masked the same way.
"""

from __future__ import annotations

import re

# A mainland mobile number (1[3-9] and nine more digits), optionally +86 / 0086 / 86 first and
# spaced or hyphenated as people type them (138 1234 5678, 138-1234-5678). Not inside a longer
# run of digits (a ticket number, a longer ID).
MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]){8}(?![0-9])")
# An 18-digit resident identity number (last character may be X), or the old 15-digit form.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:[1-9][0-9]{16}[0-9Xx]|[1-9][0-9]{14})(?![0-9A-Za-z])")
# A landline with area code (0769-2345-6789, 0769 23456789, 076923456789).
LANDLINE = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}[ \-]?[0-9]{3,4}[ \-]?[0-9]{4}(?![0-9])")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "Xx")


def mask_phone(phone: str | None) -> str | None:
    """138****0000 for a mobile; other numbers keep their first three and last four digits."""
    if phone is None:
        return None
    digits = _digits(phone)
    if not digits:
        return ""
    if len(digits) >= 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 1)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str | None) -> str | None:
    """王* / 欧阳** / J*** : the first character (or a two-character family name) and stars."""
    if name is None:
        return None
    name = name.strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    keep = 2 if len(name) >= 4 and not name.isascii() else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_id_number(number: str) -> str:
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_text(text: str | None) -> str | None:
    """Free text with ID numbers, mobile numbers and landlines masked."""
    if not text:
        return text
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = MOBILE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    return LANDLINE.sub(lambda m: mask_phone(m.group(0)) or "", text)


def contains_personal_numbers(text: str | None) -> bool:
    return bool(text) and bool(ID_NUMBER.search(text) or MOBILE.search(text) or LANDLINE.search(text))  # type: ignore[arg-type]
