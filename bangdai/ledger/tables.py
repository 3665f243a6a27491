"""The region ledger table: one row per entry, the pairing's people from one prefetch."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bangdai.pairings.tables import mentor_names

from .models import Activity
from .templatetags.ledger import activity_badges


class ActivityTable(tables.Table):
    occurred_on = tables.LinkColumn(
        "ledger:detail", args=[tables.A("pk")], verbose_name=_("Date"), attrs={"td": {"class": "text-nowrap"}}
    )
    apprentice = tables.Column(
        verbose_name=_("Apprentice"),
        accessor="pairing__apprentice__person__name",
        order_by=("pairing__apprentice__person__name",),
    )
    mentors = tables.Column(verbose_name=_("Mentors"), accessor="pk", orderable=False)
    method = tables.Column(verbose_name=_("Method"))
    duration_min = tables.Column(verbose_name=_("Minutes"), attrs={"td": {"class": "tabular text-end"}})
    place = tables.Column(verbose_name=_("Place"), order_by=("place__path",))
    on_site = tables.BooleanColumn(verbose_name=_("On site"))
    files = tables.Column(verbose_name=_("Files"), accessor="pk", orderable=False)
    standing = tables.Column(verbose_name=_("Standing"), accessor="pk", orderable=False)
    summary = tables.Column(
        verbose_name=_("Summary"), orderable=False, attrs={"td": {"class": "ledger-summary-cell"}}
    )

    class Meta:
        model = Activity
        fields = [
            "occurred_on",
            "apprentice",
            "mentors",
            "method",
            "duration_min",
            "place",
            "on_site",
            "files",
            "standing",
            "summary",
        ]
        sequence = fields
        order_by = ("-occurred_on",)
        empty_text = _("No activities match.")

    def render_mentors(self, record):
        return mentor_names(record.pairing) or "–"

    def render_files(self, record):
        n = len(record.files)
        return format_html('<i class="ti ti-paperclip" aria-hidden="true"></i> {}', n) if n else "–"

    def render_standing(self, record):
        return activity_badges(record)

    def render_summary(self, record, value):
        return value if len(value) <= 40 else value[:40] + "…"
