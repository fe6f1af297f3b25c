"""The one CSV writer of every export: UTF-8 with a byte-order mark (so Excel opens Chinese
correctly), every cell quoted, and text that a spreadsheet would run as a formula neutralised.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before
reading the formula) is prefixed with a single quote, as OWASP's "CSV Injection" guidance says: a
citizen's text such as `=HYPERLINK(…)` then shows as text instead of running. Numbers written by
the code itself (a negative share, a coordinate) are not text and are left as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from starlette.responses import Response

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return BOM + buffer.getvalue()


def csv_response(rows: Iterable[Iterable[object]], filename: str) -> Response:
    return Response(
        csv_text(rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
