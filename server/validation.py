"""Small checks shared by services. Each appends a FieldProblem instead of raising, so that
one answer lists everything wrong with the input."""

from __future__ import annotations

import re

from server.errors import FieldProblem

# Dongguan lies within about 22.6–23.2 N, 113.5–114.3 E; leave a margin.
DONGGUAN_LAT = (22.3, 23.5)
DONGGUAN_LNG = (113.2, 114.6)


class Problems(list[FieldProblem]):
    def add(self, field: str, message: str, code: str = "INVALID") -> None:
        self.append(FieldProblem(field, message, code))

    def text(self, field: str, value: str | None, *, max_length: int, required: bool = False) -> None:
        if value is None:
            if required:
                self.add(field, "is required", "REQUIRED")
            return
        if required and not value.strip():
            self.add(field, "must not be empty", "REQUIRED")
        elif len(value) > max_length:
            self.add(field, f"must be at most {max_length} characters (got {len(value)})", "TOO_LONG")

    def coordinates(self, lat_field: str, lat: float | None, lng_field: str, lng: float | None) -> None:
        if (lat is None) != (lng is None):
            self.add(lat_field if lat is None else lng_field, "give both latitude and longitude")
            return
        if lat is not None and not DONGGUAN_LAT[0] <= lat <= DONGGUAN_LAT[1]:
            self.add(lat_field, f"{lat} is outside Dongguan ({DONGGUAN_LAT[0]}–{DONGGUAN_LAT[1]})", "OFF_MAP")
        if lng is not None and not DONGGUAN_LNG[0] <= lng <= DONGGUAN_LNG[1]:
            self.add(lng_field, f"{lng} is outside Dongguan ({DONGGUAN_LNG[0]}–{DONGGUAN_LNG[1]})", "OFF_MAP")


# Dates the system accepts from clients. The domain's dates are from the 2010s on (stations built,
# the 16th congress, tickets); centuries of headroom either side keep every computation on them
# (deadlines + months, time zone shifts, working-day counts) far from the limits of Python's
# datetime (years 1–9999) and of both databases.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200

# C0 and C1 controls, DEL, and lone surrogates (JSON can carry "\ud800"; no database can store
# it). Free text may hold line breaks and tabs; a name, a search or an ID may not. Used by GraphQL
# (schema/bounds.py) and the REST endpoints (server/params.py) alike.
_BAD_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_defect(value: str, *, max_length: int, multiline: bool = False) -> tuple[str, str] | None:
    """(code, message) of what is wrong with a client's text, or None. Never echoes the value."""
    if len(value) > max_length:
        return "TOO_LONG", f"must be at most {max_length:,} characters (got {len(value):,})"
    bad = (_BAD_IN_TEXT if multiline else _BAD_IN_LINE).search(value)
    if bad is None:
        return None
    point = ord(bad.group())
    if 0xD800 <= point <= 0xDFFF:
        return "INVALID_CHARACTER", f"must not contain a lone surrogate (U+{point:04X})"
    allowed = " (only line breaks and tabs are allowed here)" if multiline else ""
    return "CONTROL_CHARACTER", f"must not contain control character U+{point:04X}{allowed}"


def year_defect(year: int) -> tuple[str, str] | None:
    if EARLIEST_YEAR <= year <= LATEST_YEAR:
        return None
    return "OUT_OF_RANGE", f"must lie in the years {EARLIEST_YEAR}–{LATEST_YEAR} (got year {year})"
