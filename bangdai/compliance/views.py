"""Compliance and trends (帮带成效监测): a pairing's compliance panel, and for the governing roles of a region the
pairings falling behind (filterable, exportable), silent mentors and month trends per child region."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django_tables2 import RequestConfig

from bangdai.core.exports import export_response
from bangdai.core.views import ScopedMixin
from bangdai.pairings.models import Pairing

from . import selectors
from .forms import BehindForm, SilentForm, TrendsForm, governed_region
from .tables import ComplianceTable
from .templatetags.compliance import light_label

PER_PAGE = 50


class Rows(list):
    """A computed list handed to ``core.exports.export_response`` (which iterates querysets in chunks)."""

    def iterator(self, chunk_size=None):
        return iter(self)


EXPORT_COLUMNS = [
    (_("Light"), lambda i: light_label(i.light)),
    (_("Score"), lambda i: "" if i.score is None else i.score),
    (_("Apprentice"), lambda i: i.pairing.apprentice),
    (_("Mentors"), lambda i: i.mentors),
    (_("Region code"), lambda i: i.pairing.region_code),
    (_("Region"), lambda i: i.pairing.region_name),
    (_("Programme"), lambda i: i.pairing.programme),
    (_("Start date"), lambda i: i.pairing.start_date),
    (_("Pairing"), lambda i: i.pairing.pk),
    (_("Reasons"), lambda i: "\n".join(r.text for r in i.reasons)),
]


class RegionPageMixin(LoginRequiredMixin):
    """The region pages: for those who govern the region (org admins, township committees, auditors)."""

    form_class = None
    tab = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.form = self.form_class(request.GET, user=request.user)
        valid = self.form.is_valid()
        code = self.form.cleaned_data.get("region") if valid else request.GET.get("region")
        self.region = governed_region(request.user, code, request.region)
        self.valid = valid
        return super().dispatch(request, *args, **kwargs)

    def pairings(self):
        return selectors.in_region(Pairing.objects.visible_to(self.request.user), self.region)

    def get_context_data(self, **kwargs):
        return super().get_context_data(region=self.region, form=self.form, tab=self.tab, **kwargs)


class BehindView(RegionPageMixin, TemplateView):
    """Pairings falling behind: red and amber first, with their reasons; filters; CSV and xlsx."""

    form_class = BehindForm
    tab = "behind"
    template_name = "compliance/behind.html"

    def items(self):
        if not self.valid:
            return [], selectors.Summary()
        data = self.form.cleaned_data
        pairings = selectors.narrowed(self.pairings(), programme=data.get("programme"), q=data.get("q"))
        everything = selectors.compliance_of(pairings)
        summary = selectors.Summary.of(everything)
        light = data.get("light") or "behind"
        shown = selectors.filter_results(
            everything, light="" if light == "all" else light, rule=data.get("rule")
        )
        return shown, summary

    def get(self, request, *args, **kwargs):
        items, summary = self.items()
        fmt = request.GET.get("export")
        if fmt in ("csv", "xlsx"):
            return export_response(
                f"compliance-{self.region.code}", EXPORT_COLUMNS, Rows(items), fmt, request
            )
        table = ComplianceTable(items)
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
        context = self.get_context_data(table=table, summary=summary, **kwargs)
        if getattr(request, "htmx", False) and not request.htmx.boosted:
            return render(request, "compliance/_behind_table.html", context)
        return self.render_to_response(context)


class SilentView(RegionPageMixin, TemplateView):
    """Mentors whose running pairings recorded nothing for N days, with those pairings."""

    form_class = SilentForm
    tab = "silent"
    template_name = "compliance/silent.html"

    def get_context_data(self, **kwargs):
        days = self.form.cleaned_data.get("days") if self.valid else selectors.SILENT_DAYS
        days = days or selectors.SILENT_DAYS
        mentors = selectors.silent_mentors(self.pairings(), days=days)
        return super().get_context_data(mentors=mentors, days=days, **kwargs)


class TrendsView(RegionPageMixin, TemplateView):
    """Month trends of the region and of each child region (ECharts; the figures as a table too)."""

    form_class = TrendsForm
    tab = "trends"
    template_name = "compliance/trends.html"

    def get_context_data(self, **kwargs):
        months = (self.form.cleaned_data.get("months") if self.valid else None) or selectors.TREND_MONTHS
        trends = selectors.trends(self.region, Pairing.objects.visible_to(self.request.user), months=months)
        return super().get_context_data(trends=trends, chart=chart_data(trends), months=months, **kwargs)


def _series(points) -> dict:
    return {
        "activities": [p.activities for p in points],
        "on_site": [p.on_site for p in points],
        "confirmed_share": [
            None if p.confirmed_share is None else round(100 * p.confirmed_share, 1) for p in points
        ],
        "pairings": [p.pairings for p in points],
        "per_pairing": [p.per_pairing for p in points],
    }


def chart_data(trends: selectors.Trends) -> dict:
    """What static/compliance/charts.js draws, passed through ``json_script``."""
    return {
        "months": [f"{m:%Y-%m}" for m in trends.months],
        "total": _series(trends.total),
        "children": [
            {"name": region.name, "code": region.code, **_series(points)}
            for region, points in trends.children
        ],
    }


class PairingComplianceView(ScopedMixin, View):
    """A pairing's compliance panel: a fragment for htmx (other pages load it), a page otherwise."""

    model = Pairing

    def base_queryset(self):
        return selectors.with_people(Pairing.objects.all())

    def get(self, request, pk):
        pairing = get_object_or_404(self.get_queryset(), pk=pk)
        item = selectors.pairing_compliance(pairing)  # None unless the pairing is running
        context = {"pairing": pairing, "item": item, "running": item is not None}
        if getattr(request, "htmx", False) and not request.htmx.boosted:
            return render(request, "compliance/_panel.html", context)
        return render(request, "compliance/pairing.html", context)
