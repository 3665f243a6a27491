"""HTML → PDF with WeasyPrint: set in Noto Serif CJK, and nothing loaded but ``data:`` URLs."""

import tempfile
from typing import IO

from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

# Documents of a few pages stay in memory; a programme's batch of certificates spills to disk.
SPOOL_BYTES = 8 * 2**20


class ResourceRefused(Exception):
    """A document tried to load something other than a data: URL (a file, a web address)."""


class DataOnlyURLFetcher(URLFetcher):
    """Loads ``data:`` URLs only; any other URL stops the rendering (no local files, no network)."""

    def __init__(self):
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)


def render_html(template_name: str, context: dict) -> str:
    # Documents are printed in Chinese whatever language the reader's pages are in.
    with translation.override("zh-hans"):
        return render_to_string(template_name, context)


def write_pdf(html: str, target: IO[bytes]) -> None:
    """Write the PDF of ``html`` to ``target``; fonts are subset and embedded (fonttools)."""
    try:
        HTML(string=html, url_fetcher=DataOnlyURLFetcher()).write_pdf(target, font_config=FontConfiguration())
    except FatalURLFetchingError as error:  # a BaseException: turn it into an ordinary error
        raise ResourceRefused(str(error)) from error


def pdf_response(template_name: str, context: dict, filename: str) -> FileResponse:
    """Render a template to PDF and stream it; ``filename`` may be Chinese (RFC 5987 ``filename*``)."""
    html = render_html(template_name, context)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (FileResponse closes it)
    try:
        write_pdf(html, spool)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)
    response = FileResponse(spool, content_type="application/pdf", filename=filename)
    response["Content-Length"] = str(size)
    return response
