"""The tables of teaching sites and open classes."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea, labels
from bangdai.core.templatetags.badges import status_badge_html

from .models import OpenClass, TeachingSite
from .templatetags.teaching import class_badge_html


class SiteTable(tables.Table):
    name = tables.LinkColumn("teaching:site_detail", args=[tables.A("pk")], verbose_name=_("Site name"))
    village = tables.Column(verbose_name=_("Host village"), order_by=("village__path",))
    level = tables.Column(verbose_name=_("Level"))
    themes = tables.Column(verbose_name=_("Themes"), orderable=False)
    capacity_per_session = tables.Column(verbose_name=_("Capacity per session"))
    academy = tables.Column(verbose_name=_("Academy"))
    status = tables.Column(verbose_name=_("Status"))

    class Meta:
        model = TeachingSite
        fields = ["name", "village", "level", "themes", "capacity_per_session", "academy", "status"]
        sequence = fields
        empty_text = _("No teaching sites match.")

    def render_themes(self, value):
        return labels(ContentArea, value)

    def render_status(self, record, value):
        return status_badge_html(record.status, value)


class ClassTable(tables.Table):
    title = tables.LinkColumn("teaching:class_detail", args=[tables.A("pk")], verbose_name=_("Class title"))
    starts_at = tables.Column(verbose_name=_("Starts"))
    mentor = tables.Column(
        verbose_name=_("Mentor"), accessor="mentor__person__name", order_by=("mentor__person__name",)
    )
    where = tables.Column(verbose_name=_("Where"), accessor="village__name", order_by=("village__path",))
    content_areas = tables.Column(verbose_name=_("Content areas"), orderable=False)
    seats = tables.Column(verbose_name=_("Enrolled"), accessor="enrolled_count")
    status = tables.Column(verbose_name=_("Status"), orderable=False, empty_values=())

    class Meta:
        model = OpenClass
        fields = ["title", "starts_at", "mentor", "where", "content_areas", "seats", "status"]
        sequence = fields
        empty_text = _("No open classes match.")

    def render_starts_at(self, value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")

    def render_where(self, record, value):
        return f"{record.site.name} · {value}" if record.site_id else value

    def render_content_areas(self, value):
        return labels(ContentArea, value)

    def render_seats(self, record):
        return f"{record.enrolled_count} / {record.capacity}"

    def render_status(self, record):
        return class_badge_html(record)
