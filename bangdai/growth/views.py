"""Growth file (成长档案) pages: an apprentice's timeline with its figures, and the printable PDF."""

from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.views import View

from bangdai.documents.rendering import pdf_response

from . import selectors
from .choices import Kind
from .forms import TimelineFilter


def pdf_filename(apprentice) -> str:
    return f"成长档案-{apprentice.person.name}-{apprentice.pk}.pdf"


def query(kinds, year, **extra) -> str:
    """The query string of a filter (and a page), in a stable order."""
    pairs = [("kind", k) for k in Kind.values if k in kinds]
    if year is not None:
        pairs.append(("year", year))
    pairs += [(k, v) for k, v in extra.items() if v is not None]
    return urlencode(pairs)


def kind_links(file, kinds, year) -> list[dict]:
    """The filter chips: each kind with its count in the chosen year, toggled in and out of the choice."""
    counts = selectors.kind_counts(selectors.filtered(file.keys, year=year))
    links = []
    for kind in Kind:
        chosen = kind.value in kinds
        toggled = [k for k in kinds if k != kind.value] if chosen else [*kinds, kind.value]
        links.append(
            {
                "kind": kind.value,
                "label": kind.label,
                "count": counts[kind.value],
                "active": chosen,
                "query": query(toggled, year),
            }
        )
    return links


def year_links(file, kinds, year) -> list[dict]:
    links = [{"year": None, "active": year is None, "query": query(kinds, None)}]
    links += [{"year": y, "active": y == year, "query": query(kinds, y)} for y in selectors.years(file.keys)]
    return links


class GrowthFileMixin(LoginRequiredMixin):
    """The apprentice's file if the user may open it (their own, their apprentice's, or in their region); else 404."""

    def get_file(self, pk) -> selectors.GrowthFile:
        file = selectors.open_growth_file(self.request.user, pk)
        if file is None:
            raise Http404
        return file

    def get_filters(self) -> tuple[list[str], int | None]:
        return TimelineFilter(self.request.GET).choice()


class GrowthFileView(GrowthFileMixin, View):
    """The page: figures, pairings and plans beside a timeline filtered by kind and year; htmx loads more."""

    def get(self, request, pk):
        file = self.get_file(pk)
        kinds, year = self.get_filters()
        timeline = selectors.timeline_page(file, kinds, year, request.GET.get("page"))
        page = timeline.page
        context = {
            "file": file,
            "apprentice": file.apprentice,
            "timeline": timeline,
            "next_query": query(kinds, year, page=page.next_page_number()) if page.has_next() else "",
            "filter_query": query(kinds, year),
        }
        if request.htmx and not request.htmx.boosted:
            return render(request, "growth/_timeline.html", context)
        summary = selectors.summary(file)
        context.update(
            summary=summary,
            plans=selectors.plan_rows(file, summary),
            kind_links=kind_links(file, kinds, year),
            year_links=year_links(file, kinds, year),
            kinds=kinds,
            year=year,
            filtered=bool(kinds or year),
            sees_everything=file.sees_everything,
        )
        return render(request, "growth/detail.html", context)


class GrowthPdfView(GrowthFileMixin, View):
    """The file as a printed document (cover, figures, plans, a section per kind, page numbers)."""

    def get(self, request, pk):
        file = self.get_file(pk)
        kinds, year = self.get_filters()
        with translation.override("zh-hans"):  # the document is printed in Chinese
            document = selectors.document(file, kinds, year)
        return pdf_response("documents/growth.html", {"doc": document}, pdf_filename(file.apprentice))
