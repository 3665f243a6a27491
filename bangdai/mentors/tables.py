"""The mentor pool table: names link to the mentor's page; no personal data beyond the name."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import labels
from bangdai.core.templatetags.badges import status_badge_html

from .choices import MentorTitle
from .models import Mentor


class MentorTable(tables.Table):
    name = tables.LinkColumn(
        "mentors:detail",
        args=[tables.A("pk")],
        accessor="person__name",
        verbose_name=_("Name"),
        order_by=("person__name",),
    )
    programme = tables.Column(verbose_name=_("Programme"), order_by=("programme__name",))
    region = tables.Column(verbose_name=_("Home region"), order_by=("region__path",))
    titles = tables.Column(verbose_name=_("Titles"), orderable=False)
    places = tables.Column(
        verbose_name=_("Places taken"), accessor="load", attrs={"td": {"class": "tabular"}}
    )
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = Mentor
        fields = ["name", "programme", "tier", "titles", "region", "places", "status"]
        sequence = fields
        order_by = ("region", "name")
        empty_text = _("No mentors match.")

    def render_titles(self, value):
        return labels(MentorTitle, value) or "–"

    def render_places(self, record):
        return f"{record.load} / {record.capacity}"

    def render_status(self, record, value):
        return status_badge_html(record.status, value)
