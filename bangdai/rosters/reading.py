"""Reading uploaded xlsx rosters: the pre-check before any parsing, header detection and cell normalisation.

No database access here: the result is rows of raw cells keyed by column, which ``importing`` validates.
"""

import datetime as dt
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from typing import IO

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from .columns import Layout, header_key

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100
# Ratios only mean something for entries of some size; a 300-byte XML part may well compress 100:1.
RATIO_FLOOR_BYTES = 64 * 1024
HEADER_SEARCH_ROWS = 20
MAX_COLUMNS = 60


class RosterFileError(Exception):
    """The file is refused as a whole (not an xlsx, too large, a zip bomb, no recognisable header)."""


def precheck(file: IO[bytes]) -> int:
    """Refuse a file before parsing it: size, zip structure, compression ratio, the workbook part.

    Reads only the zip's central directory (a few KB), never the compressed data. Returns the size in bytes.
    """
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    if size > MAX_UPLOAD_BYTES:
        raise RosterFileError(
            _("The file is %(size).1f MB; at most %(limit)d MB can be imported.")
            % {"size": size / 1024 / 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    if size == 0 or not zipfile.is_zipfile(file):
        raise RosterFileError(
            _("This is not an xlsx workbook. Save it in Excel as “Excel Workbook (*.xlsx)” and upload again.")
        )
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise RosterFileError(_("The workbook is damaged and cannot be read.")) from None
    finally:
        file.seek(0)
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.flag_bits & 0x1:
            raise RosterFileError(_("The workbook is encrypted; remove the password and upload again."))
        if entry.file_size > RATIO_FLOOR_BYTES and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise RosterFileError(
                _(
                    "The workbook is refused: one of its parts expands more than %(ratio)d times (a zip bomb?)."
                )
                % {"ratio": MAX_RATIO}
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise RosterFileError(
            _("The workbook is refused: it expands to more than %(limit)d MB.")
            % {"limit": MAX_UNCOMPRESSED_BYTES // 1024 // 1024}
        )
    if "xl/workbook.xml" not in {entry.filename for entry in entries}:
        raise RosterFileError(
            _(
                "This is not an xlsx workbook (no xl/workbook.xml). Save it in Excel as *.xlsx and upload again."
            )
        )
    return size


@dataclass
class SheetRow:
    number: int  # the row number Excel shows
    raw: dict[str, object]  # column key → cell value as read
    cells: list[object]  # every cell of the row, in the file's column order


@dataclass
class Sheet:
    name: str
    title: str  # the merged title row above the header, if any
    header_row: int
    headers: list[str]  # the file's own header texts
    keys: list[str | None]  # the column key of each header (None: not ours, kept in the error report)
    rows: list[SheetRow] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)


def read_sheet(file: IO[bytes], layout: Layout) -> Sheet:
    """The first worksheet whose header row (found in its first rows) names the layout's required columns."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged part
        raise RosterFileError(_("The workbook cannot be read: %(error)s") % {"error": error}) from None
    try:
        for worksheet in workbook.worksheets:
            if getattr(worksheet, "sheet_state", "visible") != "visible":
                continue
            worksheet.reset_dimensions()  # some writers record a wrong dimension; read what is there
            sheet = _read_worksheet(worksheet, layout)
            if sheet is not None:
                return sheet
    finally:
        workbook.close()
    required = "、".join(layout.column(k).header for k in layout.required)
    raise RosterFileError(
        _("No header row with the columns %(columns)s was found in the first %(n)d rows of any sheet.")
        % {"columns": required, "n": HEADER_SEARCH_ROWS}
    )


def _read_worksheet(worksheet, layout: Layout) -> Sheet | None:
    rows = worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    title, header, header_number = "", None, 0
    for number, values in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            return None
        if _has_required(layout, values):
            header, header_number = values, number
            break
        if not title:
            title = next((normalise_text(v) for v in values if v not in (None, "")), "")
    if header is None:
        return None
    width = max((i + 1 for i, v in enumerate(header) if v not in (None, "")), default=0)
    headers = [normalise_text(v) for v in header[:width]]
    keys: list[str | None] = []
    seen: set[str] = set()
    for text in headers:
        key = header_key(layout, text)
        if key in seen:  # a second column of the same meaning is kept but not read
            key = None
        keys.append(key)
        if key:
            seen.add(key)
    sheet = Sheet(
        name=worksheet.title,
        title=title,
        header_row=header_number,
        headers=headers,
        keys=keys,
        unknown_headers=[h for h, k in zip(headers, keys, strict=True) if h and k is None],
    )
    blank_run = 0
    for number, values in enumerate(rows, start=header_number + 1):
        cells = list(values[:width]) + [None] * (width - len(values[:width]))
        if all(is_blank(v) for v in cells):
            blank_run += 1
            if blank_run > 1000:  # formatting applied to a whole column, nothing more to read
                break
            continue
        blank_run = 0
        raw = {key: cells[i] for i, key in enumerate(keys) if key and key != "seq"}
        if all(is_blank(v) for v in raw.values()):
            continue  # only a 序号 or columns we do not read
        sheet.rows.append(SheetRow(number=number, raw=raw, cells=cells))
    return sheet


def _has_required(layout: Layout, values) -> bool:
    keys = {header_key(layout, v) for v in values if v not in (None, "")}
    return set(layout.required) <= keys


_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def normalise_text(value) -> str:
    """A cell as clean text: full-width to half-width (NFKC), no zero-width characters, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if not value.time() else value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).translate(_ZERO_WIDTH)
    return " ".join(text.split())


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not normalise_text(value))


def compact(value) -> str:
    """Text without any whitespace: names, numbers, codes (“张  三” is 张三)."""
    return normalise_text(value).replace(" ", "")


@dataclass(frozen=True)
class YearMonth:
    """A 出生年月 without a day."""

    year: int
    month: int


class DateError(ValueError):
    pass


_DATE_RE = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*(?:[-./月]\s*(?:(\d{1,2})\s*日?)?)?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")


def parse_date(value) -> dt.date | YearMonth | None:
    """Excel dates and serials, and text like 2021.3.5, 2021-03-05, 2021年3月5日, 2021/3/5, 20210305, 2021.03."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise DateError(_("Not a date."))
    if isinstance(value, int | float):
        if 10000 < value < 80000:  # an Excel serial (1927–2119) in a cell not formatted as a date
            return from_excel(value).date()
        if isinstance(value, float) and 1900 < value < 2100:
            # “1985.03” typed into a General cell arrives as the number 1985.03; 1985.1 could be January or October.
            year, _dot, fraction = repr(value).partition(".")
            if len(fraction) == 2:
                return _checked(int(year), int(fraction), None)
            raise DateError(_("Write the month with two digits (1985.10, not 1985.1) or use an Excel date."))
        text = str(int(value)) if float(value).is_integer() else str(value)
    else:
        text = normalise_text(value)
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not match:
        raise DateError(_("Not a date: write 2021.3.5, 2021-03-05, 2021年3月5日 or 2021/3/5."))
    year, month, day = match.groups()
    return _checked(int(year), int(month), int(day) if day else None)


def _checked(year: int, month: int, day: int | None) -> dt.date | YearMonth:
    if not 1900 <= year <= 2100 or not 1 <= month <= 12:
        raise DateError(_("Not a valid date."))
    if day is None:
        return YearMonth(year, month)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateError(_("Not a valid date.")) from None
