"""The apprentice registry table."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import labels
from bangdai.core.templatetags.badges import status_badge_html

from .choices import ApprenticeCategory
from .models import Apprentice


class ApprenticeTable(tables.Table):
    name = tables.LinkColumn(
        "apprentices:detail",
        args=[tables.A("pk")],
        accessor="person__name",
        verbose_name=_("Name"),
        order_by=("person__name",),
    )
    programme = tables.Column(verbose_name=_("Programme"), order_by=("programme__name",))
    region = tables.Column(verbose_name=_("Workplace"), order_by=("region__path",))
    categories = tables.Column(verbose_name=_("Categories"), orderable=False)
    three_gates = tables.BooleanColumn(verbose_name=_("三门干部"))
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = Apprentice
        fields = ["name", "programme", "region", "categories", "three_gates", "status"]
        sequence = fields
        order_by = ("region", "name")
        empty_text = _("No apprentices match.")

    def render_categories(self, value):
        return labels(ApprenticeCategory, value) or "–"

    def render_status(self, record, value):
        return status_badge_html(record.status, value)
