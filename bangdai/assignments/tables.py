"""The assignment list: title, apprentice and mentors, due date, state with its flags, score."""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from bangdai.pairings.tables import mentor_names
from bangdai.plans.tables import PolicyBookMixin
from bangdai.plans.templatetags.practice_badges import badge_html

from .choices import Flag
from .models import Assignment
from .selectors import flags


class AssignmentTable(PolicyBookMixin, tables.Table):
    title = tables.LinkColumn("assignments:detail", args=[tables.A("pk")], verbose_name=_("Title"))
    apprentice = tables.Column(
        verbose_name=_("Apprentice"),
        accessor="pairing__apprentice__person__name",
        order_by=("pairing__apprentice__person__name",),
    )
    mentors = tables.Column(verbose_name=_("Mentors"), accessor="pairing", orderable=False)
    content_area = tables.Column(verbose_name=_("Content area"))
    due_on = tables.Column(verbose_name=_("Due"))
    status = tables.Column(verbose_name=_("Status"))
    score = tables.Column(verbose_name=_("Score"))

    class Meta:
        model = Assignment
        fields = ["title", "apprentice", "mentors", "content_area", "due_on", "status", "score"]
        sequence = fields
        order_by = ("-due_on",)
        empty_text = _("No assignments match.")

    pairing_accessor = "pairing"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flag_labels = dict(Flag.choices)

    def render_mentors(self, record):
        return mentor_names(record.pairing) or "–"

    def render_status(self, record, value):
        marks = format_html_join(
            " ",
            "{}",
            ((badge_html("overdue", self.flag_labels[f]),) for f in flags(record, self.today, self.book)),
        )
        return format_html("{} {}", badge_html(record.status, value), marks)
