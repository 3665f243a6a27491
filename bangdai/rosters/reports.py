"""Spreadsheets the roster pages hand out: the per-row report (errors highlighted) and the blank templates."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bangdai.core.exports import escape_cell

from .choices import RowAction
from .columns import LAYOUTS
from .importing import ROW, Report

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(sheet, value, *, fill=None, font=None):
    cell = WriteOnlyCell(sheet, value=escape_cell(value))
    if fill is not None:
        cell.fill = fill
    if font is not None:
        cell.font = font
    return cell


def report_xlsx(report: Report) -> bytes:
    """The original rows with the outcome and an error column; every cell with an error is highlighted."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Import report")[:31])
    labels = dict(RowAction.choices)
    title = report.title or LAYOUTS[report.kind].title
    sheet.append([_cell(sheet, f"{title} — {_('import report')}", font=BOLD)])
    sheet.append(
        [_cell(sheet, _("Row"), font=BOLD, fill=HEADER_FILL)]
        + [_cell(sheet, h, font=BOLD, fill=HEADER_FILL) for h in report.headers]
        + [
            _cell(sheet, _("Outcome"), font=BOLD, fill=HEADER_FILL),
            _cell(sheet, _("Errors"), font=BOLD, fill=HEADER_FILL),
        ]
    )
    for row in report.rows:
        bad_keys = set(row.errors)
        cells = [_cell(sheet, row.number)]
        for i, _header in enumerate(report.headers):
            value = row.cells[i] if i < len(row.cells) else ""
            bad = report.keys[i] in bad_keys
            cells.append(
                _cell(sheet, value, fill=ERROR_FILL if bad else None, font=ERROR_FONT if bad else None)
            )
        messages = []
        for key, texts in row.errors.items():
            prefix = f"{report.header_of(key)}：" if key != ROW else ""
            messages.extend(prefix + t for t in texts)
        cells.append(_cell(sheet, str(labels.get(row.action, row.action))))
        cells.append(_cell(sheet, "；".join(messages), fill=ERROR_FILL if messages else None))
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx(kind: str, title: str = "") -> bytes:
    """The roster template: a merged title row, the header row, one example row and a sheet of notes."""
    layout = LAYOUTS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = layout.title
    width = len(layout.columns)
    sheet.cell(row=1, column=1, value=title or f"XX县{layout.title}")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=16)
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    text_columns = {"id_number", "mentor_id", "apprentice_id", "phone", "region", "birth_date", "entry_date"}
    for index, column in enumerate(layout.columns, start=1):
        header = sheet.cell(row=2, column=index, value=column.header)
        header.font = BOLD
        header.fill = HEADER_FILL
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, min(24, len(column.header) * 3 + 4))
        example = sheet.cell(row=3, column=index, value=escape_cell(column.example))
        if column.key in text_columns:
            # Text format, so Excel keeps all 18 digits of an ID number and the leading digits of a code.
            for row in range(3, 203):
                sheet.cell(row=row, column=index).number_format = "@"
            example.number_format = "@"
    sheet.freeze_panes = "A3"
    notes = workbook.create_sheet("填表说明")
    notes.append(["列名", "说明", "也可写作"])
    for cell in notes[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for column in layout.columns:
        notes.append([column.header, column.note, "、".join(column.synonyms)])
    notes.append([])
    notes.append(
        ["", "标题行可有可无；表头行自动识别；全角字符和多余空格会被规范化；第三行为示例，导入前请删除。"]
    )
    notes.append(["", "导入先预览，再提交：全部行通过才写入，任何一行出错则一行也不写入。"])
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 90
    notes.column_dimensions["C"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
