"""The programme table."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from bangdai.core.templatetags.badges import status_badge_html

from .models import Programme


class ProgrammeTable(tables.Table):
    name = tables.LinkColumn("programmes:detail", args=[tables.A("pk")], verbose_name=_("Programme name"))
    region = tables.Column(verbose_name=_("Organising region"), order_by=("region__path",))
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = Programme
        fields = ["name", "year", "region", "status", "created_at"]
        sequence = fields
        order_by = ("-year", "name")
        empty_text = _("No programmes yet.")

    def render_status(self, record, value):
        return status_badge_html(record.status, value)
