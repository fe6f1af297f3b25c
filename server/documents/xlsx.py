"""The one XLSX writer of every export (openpyxl): a Chinese header row with the English names in
a second row beneath it (one column each, so a sheet sorts and filters as it should), both
frozen; column widths from the contents; dates and times as spreadsheet dates, numbers as numbers.

Text is always written as text: openpyxl would store a string starting with "=" as a formula, so
a citizen's `=HYPERLINK(…)` would run when opened. Setting the cell's type to string keeps it as
it was typed, with nothing added (the CSV writer must prefix a quote; XLSX need not).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from starlette.responses import Response

from server.clock import local
from server.documents.office import XLSX

MAX_WIDTH = 60


def split_header(header: str) -> tuple[str, str]:
    """'编号 code' → ('编号', 'code'): the CSV's one-line header as the XLSX's two rows."""
    zh, _, en = header.partition(" ")
    return zh, en


@dataclass
class Chart:
    """A bar chart of some rows' values (1-based data rows of the sheet, after the two headers)."""

    title: str
    first_row: int
    last_row: int
    value_column: int = 2
    label_column: int = 1
    anchor: str = "D3"


@dataclass
class Sheet:
    title: str
    headers: list[str]  # "中文 english", as the CSV's
    rows: Sequence[Sequence[object]]
    charts: list[Chart] = field(default_factory=list)


def _cell_value(value: object) -> object:
    if isinstance(value, datetime):
        # Spreadsheets have no time zones: the city's local time, as people read it.
        aware = local(value) or value
        return aware.replace(tzinfo=None)
    return value


def _write(sheet: Worksheet, spec: Sheet) -> None:
    pairs = [split_header(h) for h in spec.headers]
    sheet.append([zh for zh, _ in pairs])
    sheet.append([en for _, en in pairs])
    widths = [max(len(zh) * 2, len(en)) + 2 for zh, en in pairs]
    for row in spec.rows:
        values = [_cell_value(v) for v in row]
        sheet.append(values)
        for index, value in enumerate(values):
            cell = sheet.cell(row=sheet.max_row, column=index + 1)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
                width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in value) + 2
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
                width = 18
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
                width = 12
            else:
                width = len(str(value)) + 2 if value is not None else 0
            widths[index] = max(widths[index], min(width, MAX_WIDTH))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A3"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for spec_chart in spec.charts:
        chart = BarChart()
        chart.title = spec_chart.title
        chart.legend = None
        data = Reference(
            sheet,
            min_col=spec_chart.value_column,
            min_row=spec_chart.first_row + 2,
            max_row=spec_chart.last_row + 2,
        )
        labels = Reference(
            sheet,
            min_col=spec_chart.label_column,
            min_row=spec_chart.first_row + 2,
            max_row=spec_chart.last_row + 2,
        )
        chart.add_data(data, titles_from_data=False)
        chart.set_categories(labels)
        sheet.add_chart(chart, spec_chart.anchor)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.worksheets[0])
    for spec in sheets:
        sheet = book.create_sheet()
        sheet.title = spec.title[:31]
        _write(sheet, spec)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(sheets: Sequence[Sheet], filename: str) -> Response:
    return Response(
        xlsx_bytes(sheets),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
