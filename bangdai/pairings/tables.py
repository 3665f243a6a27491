"""The pairing table: one row per pairing, its mentors from one prefetch."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from bangdai.core.templatetags.badges import status_badge_html

from .models import Pairing


def mentor_names(pairing) -> str:
    return "、".join(m.mentor.person.name for m in pairing.members.all())


class PairingTable(tables.Table):
    apprentice = tables.LinkColumn(
        "pairings:detail",
        args=[tables.A("pk")],
        accessor="apprentice__person__name",
        verbose_name=_("Apprentice"),
        order_by=("apprentice__person__name",),
    )
    mentors = tables.Column(verbose_name=_("Mentors"), accessor="pk", orderable=False)
    programme = tables.Column(verbose_name=_("Programme"), order_by=("programme__name",))
    region = tables.Column(verbose_name=_("Region"), order_by=("region__path",))
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = Pairing
        fields = [
            "apprentice",
            "mentors",
            "programme",
            "region",
            "mode",
            "status",
            "start_date",
            "planned_end_date",
        ]
        sequence = fields
        empty_text = _("No pairings match.")

    def render_mentors(self, record):
        return mentor_names(record) or "–"

    def render_status(self, record, value):
        return status_badge_html(record.status, value)
