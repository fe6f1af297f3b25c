"""Masked forms of a citizen's personal data, so staff can tell people apart without the full data.

The usual Chinese forms: a mobile number keeps its first three and last four digits
(138****0000), a name its family name (王*), an 18-digit resident ID number its first six and last
four characters (440301********123X). Free text (descriptions, notes, feedback) is returned with
mobile numbers, landlines and ID numbers masked the same way.

Numbers are found however people type them: any Unicode decimal digit (full-width １３９… from a
Chinese input method as well as 139…), and between digits up to three of the separators people
use — spaces of every kind, hyphen, dot, underscore, slash, commas, brackets, their full-width
forms, a dash — with an area code optionally in parentheses. Only the number itself is
rewritten; the rest of the text is left exactly as typed (no NFKC: that would also turn the Chinese
comma ， into ","). A masked number is written in ASCII digits.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# What people type between the digits of one number: any white space (tabs, line breaks, em and
# ideographic spaces), zero-width spaces and joiners, a soft hyphen, hyphen, dot, middle dots and
# bullets (138·1234·5678), underscore, slash, brackets, their full-width forms, the dashes, box
# lines and the minus sign; up to four of them in a row ("138  1234  5678", "138 - 1234 - 5678",
# "(138)12345678"). Masking more than a number is the safe side of this rule.
SEP = (
    r"[\s\-._/\\()\[\]\u00ad\u00b7\u2022\u2027\u30fb\uff65\u200b-\u200d\u2060\ufeff\uff08\uff09"
    r"\uff0d\uff0e\uff0f\uff3f\ufe63\u2010-\u2015\u2212\u2500\u2501]"
)
_S = SEP + "{0,4}"
# A mobile number's strict shape (1[3-9] and nine more digits) also allows commas and other marks
# between its digits (138,1234,5678 / 138，1234，5678 / 138、1234、5678 / 138~1234~5678 / 138:1234:5678)
# and longer runs of them; ID numbers and landlines do not, so that a list of dates, times or amounts
# is not taken for one.
_SM = r"(?:" + SEP + r"|[,\u3001\uff0c~*:;|+'\uff5e\uff1a\uff1b]){0,6}"
_D = r"\d"  # str patterns: every Unicode decimal digit, full-width ones included
# A mainland mobile number (1[3-9] and nine more digits), optionally +86 / 0086 / 86 first, typed
# with separators, even between every digit (138 1234 5678, 139.8765.4321, 1 3 8 1 2 3 4 5 6 7 8,
# １３９８７６５４３２１). Not inside a longer run of digits (a ticket number, a longer ID).
MOBILE = re.compile(
    rf"(?<!\d)(?:(?:[+＋]|[0０]{{2}})?[8８][6６]{_SM})?[1１]{_SM}[3-9３-９](?:{_SM}{_D}){{9}}(?!\d)"
)
# An 18-digit resident identity number (last character may be X), or the old 15-digit form, its
# digits possibly grouped (440301 19900101 1234, 440301·19900101·123X).
ID_NUMBER = re.compile(
    rf"(?<![\dA-Za-zＡ-Ｚａ-ｚ])(?:[1-9１-９](?:{_S}{_D}){{16}}{_S}[\dXxＸｘ]|[1-9１-９](?:{_S}{_D}){{14}})"
    r"(?![\dA-Za-zＡ-Ｚａ-ｚ])"
)
# A landline with area code (0769-2345-6789, 0769 23456789, (0769) 2345 6789), or after +86 / 0086
# with the area code's 0 left out (+86 769 2345 6789).
_AREA = rf"[0０][1-9１-９]{_D}{{1,2}}"
_AREA_INTL = rf"(?:[+＋]|[0０]{{2}})?[8８][6６]{_S}[(（]?[0０]?[1-9１-９]{_D}{{1,2}}[)）]?"
LANDLINE = re.compile(rf"(?<!\d)(?:{_AREA_INTL}|[(（]{_AREA}[)）]|{_AREA}){_S}{_D}{{3,4}}{_S}{_D}{{4}}(?!\d)")
# A local 8-digit number without area code, as Dongguan's landlines are dialled (2234 5678,
# 2234-5678, 22345678): first digit 2-8, grouped 4+4 at most by one space or hyphen, and not part
# of a date, a time or an amount (no dot, slash, colon or further digits around it; not starting
# like a year, 19xx or 20xx).
LOCAL = re.compile(
    r"(?<![\d.\-/,，])(?<![\d.\-/,，][ \-])(?!19|20|１９|２０)[2-8２-８]\d{3}[ \-\u3000]?\d{4}"
    r"(?![\d.\-/:：%％]|[ \-]\d)"
)


def fold_digits(text: str) -> str:
    """Every decimal digit (full-width, Arabic-Indic, …) as its ASCII digit; nothing else changed."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _digits(text: str) -> str:
    """The digits (in ASCII) and a final X of an ID number."""
    return "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() else "X"
        for ch in text
        if ch.isdecimal() or ch in "XxＸｘ"
    )


@functools.lru_cache(maxsize=1024)
def number_pattern(digits: str) -> re.Pattern[str]:
    """This number (ASCII digits, no country code) however it may be typed in free text: each digit
    in any script, the separators of SEP between them, +86 / 0086 / 86 in front."""
    body = _SM.join(_digit(d) for d in digits)
    return re.compile(rf"(?<!\d)(?:(?:[+＋]|[0０]{{2}})?[8８][6６]{_S})?{body}(?!\d)")


def _digit(d: str) -> str:
    """One ASCII digit, matched as any decimal digit of the same value."""
    return "[" + _same_value()[int(d)] + "]"


@functools.cache
def _same_value() -> tuple[str, ...]:
    """Every decimal digit character by value, 0-9 (computed once per process: ~0.15 s)."""
    found: list[list[str]] = [[] for _ in range(10)]
    for ch in re.findall(r"\d", "".join(map(chr, range(0x110000)))):
        found[unicodedata.decimal(ch)].append(ch)
    return tuple("".join(chars) for chars in found)


def mask_phone(phone: str | None) -> str | None:
    """138****0000 for a mobile; other numbers keep their first three and last four digits."""
    if phone is None:
        return None
    digits = "".join(str(unicodedata.decimal(ch)) for ch in phone if ch.isdecimal())
    if not digits:
        return ""
    if len(digits) >= 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 1)
    if len(digits) <= 10:  # a local number: its first digits would give most of it away
        return "*" * (len(digits) - 4) + digits[-4:]
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
    """440301********123X, however the number was typed (full-width digits, grouped)."""
    chars = _digits(number)
    return chars[:6] + "*" * (len(chars) - 10) + chars[-4:]


def phone_digits(phone: str) -> str:
    """The digits of a phone number (ASCII) without the country code: '+86 138-0013-8000' →
    '13800138000'."""
    digits = "".join(str(unicodedata.decimal(ch)) for ch in phone if ch.isdecimal())
    if digits.startswith("0086"):
        return digits[4:]
    if phone.strip()[:1] in "+＋" and digits.startswith("86"):
        return digits[2:]
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    return digits


def mask_number(text: str, digits: str) -> str:
    """The text with every occurrence of this one number (however typed) masked."""
    if len(digits) < 5 or not text:
        return text
    return number_pattern(digits).sub(lambda m: mask_phone(m.group(0)) or "", text)


# Ticket numbers (DG-20260302-000017) are never personal data, and their digits next to a date or
# another number could otherwise read as an ID number or a mobile.
TICKET_NUMBER = re.compile(r"[A-Z]{2}-\d{8}-\d{6}")


def mask_text(text: str | None) -> str | None:
    """Free text with ID numbers, mobile numbers and landlines masked (ticket numbers kept)."""
    if not text:
        return text
    kept = TICKET_NUMBER.findall(text)
    parts = [_mask_numbers(part) for part in TICKET_NUMBER.split(text)]
    return "".join(part + (kept[i] if i < len(kept) else "") for i, part in enumerate(parts))


def _mask_numbers(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = MOBILE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    text = LANDLINE.sub(lambda m: mask_phone(m.group(0)) or "", text)
    return LOCAL.sub(lambda m: mask_phone(m.group(0)) or "", text)
