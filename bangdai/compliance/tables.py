"""The falling-behind table: one row per pairing with its light, score and reasons."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .templatetags.compliance import light_badge, reason_item


class ComplianceTable(tables.Table):
    light = tables.Column(verbose_name=_("Light"), accessor="light", attrs={"td": {"class": "text-nowrap"}})
    score = tables.Column(
        verbose_name=_("Score"), accessor="score", attrs={"td": {"class": "tabular text-end"}}
    )
    apprentice = tables.Column(verbose_name=_("Apprentice"), accessor="pairing__apprentice")
    mentors = tables.Column(verbose_name=_("Mentors"), accessor="mentors")
    region = tables.Column(verbose_name=_("Region"), accessor="pairing__region_name")
    reasons = tables.Column(
        verbose_name=_("Reasons"), accessor="result", attrs={"td": {"class": "compliance-reasons"}}
    )

    class Meta:
        orderable = False
        empty_text = _("No pairing matches.")
        attrs = {"class": "table table-vcenter card-table compliance-table"}

    def render_light(self, value):
        return light_badge(value)

    def render_score(self, value):
        return "–" if value is None else value

    def render_apprentice(self, record, value):
        url = reverse("compliance:pairing", args=[record.pairing.pk])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_reasons(self, record):
        reasons = record.reasons
        if not reasons:
            return "–"
        return format_html(
            '<ul class="list-unstyled mb-0">{}</ul>',
            format_html_join("", "{}", ((reason_item(r),) for r in reasons)),
        )
