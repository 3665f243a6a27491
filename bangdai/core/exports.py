"""Exports of filtered lists to CSV and xlsx, escaped against formula injection."""

import csv
import io
from collections.abc import Callable, Iterable

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def escape_cell(value) -> object:
    """Neutralise a value a spreadsheet would run as a formula (CSV and xlsx alike)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


Column = tuple[str, Callable[[object], object]]


def _rows(columns: list[Column], objects: Iterable) -> Iterable[list]:
    for obj in objects:
        yield [escape_cell(getter(obj)) for _, getter in columns]


class _Echo:
    def write(self, value):
        return value


def export_response(name: str, columns: list[Column], queryset, fmt: str, request) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    header = [str(label) for label, _ in columns]
    objects = queryset.iterator(chunk_size=2000)
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff"  # so that Excel opens UTF-8 Chinese text correctly
            yield writer.writerow(header)
            for row in _rows(columns, objects):
                yield writer.writerow(row)

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(name[:31])
    sheet.append(header)
    for row in _rows(columns, objects):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
    return response
