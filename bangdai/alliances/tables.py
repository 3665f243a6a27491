"""The tables of the alliance pages: alliances and the planner's proposals."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangdai.core.templatetags.badges import status_badge_html as badge_html

from .models import Alliance, PlanRun


class AllianceTable(tables.Table):
    name = tables.LinkColumn("alliances:detail", args=[tables.A("pk")], verbose_name=_("Alliance"))
    hub = tables.Column(verbose_name=_("Hub village"), order_by=("hub__path",))
    lead_mentor = tables.Column(
        verbose_name=_("Lead mentor"),
        accessor="lead_mentor__person__name",
        order_by=("lead_mentor__person__name",),
    )
    members = tables.Column(verbose_name=_("Villages"), accessor="member_count", orderable=False)
    region = tables.Column(verbose_name=_("Organised by"), order_by=("region__path",))
    status = tables.Column(verbose_name=_("Status"))
    founded_on = tables.DateColumn(verbose_name=_("Founded on"), format="Y-m-d")

    class Meta:
        model = Alliance
        fields = ["name", "theme", "hub", "lead_mentor", "members", "region", "status", "founded_on"]
        sequence = fields
        empty_text = _("No alliances match.")
        attrs = {"class": "table table-vcenter card-table"}

    def render_status(self, record, value):
        badge = badge_html(record.status, value)
        if record.spans_counties:
            return badge + badge_html("active", _("across counties"))
        return badge


class PlanTable(tables.Table):
    id = tables.LinkColumn(
        "alliances:plan_detail",
        args=[tables.A("pk")],
        verbose_name=pgettext_lazy("alliance plan", "Plan"),
        text=lambda r: f"#{r.pk}",
    )
    region = tables.Column(verbose_name=pgettext_lazy("alliance plan", "Area"), order_by=("region__path",))
    status = tables.Column(verbose_name=_("Status"))
    hubs = tables.Column(verbose_name=_("Alliances"), accessor="summary", orderable=False)
    gap = tables.Column(verbose_name=_("Proven gap"), accessor="summary", orderable=False)
    created_by = tables.Column(verbose_name=_("Planned by"), order_by=("created_by__username",))
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), format="Y-m-d H:i")

    class Meta:
        model = PlanRun
        fields = ["id", "region", "status", "hubs", "gap", "created_by", "created_at"]
        sequence = fields
        empty_text = _("No plans yet.")
        attrs = {"class": "table table-vcenter card-table"}

    def render_status(self, record, value):
        return badge_html(record.status, value)

    def render_hubs(self, value):
        return value.get("proposal", {}).get("hubs", "–")

    def render_gap(self, value):
        solver = value.get("solver")
        return f"{solver['gap_pct']:.2f} %" if solver else "–"
