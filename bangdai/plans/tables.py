"""The plan list: one row per running pairing (or pairing with a plan), its plan's state, deadline and progress."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.pairings.tables import mentor_names
from bangdai.programmes.versions import PolicyBook, days_after

from .choices import HANDED_IN_STATES
from .templatetags.practice_badges import badge_html


def plan_due(book: PolicyBook, pairing):
    return days_after(pairing.start_date, book[pairing].plan_due_days)


def is_overdue(book: PolicyBook, pairing, today) -> bool:
    due = plan_due(book, pairing)
    plan = getattr(pairing, "plan", None)
    handed_in = plan is not None and plan.status in HANDED_IN_STATES
    return due is not None and due < today and not handed_in and pairing.status in RUNNING_STATES


class PolicyBookMixin:
    """Tables whose cells read each pairing's rules: the rules of a page's rows are loaded in one query."""

    pairing_accessor = ""  # the path from a row's record to its pairing ("" when the rows are pairings)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.book = PolicyBook([])
        self.today = timezone.localdate()

    def before_render(self, request):
        page = getattr(self, "page", None)
        if page is not None:
            path = self.pairing_accessor
            self.book = PolicyBook(
                [getattr(row.record, path) if path else row.record for row in page.object_list]
            )


class PlanTable(PolicyBookMixin, tables.Table):
    apprentice = tables.LinkColumn(
        "plans:pairing",
        args=[tables.A("pk")],
        accessor="apprentice__person__name",
        verbose_name=_("Apprentice"),
        order_by=("apprentice__person__name",),
    )
    mentors = tables.Column(verbose_name=_("Mentors"), accessor="pk", orderable=False)
    region = tables.Column(verbose_name=_("Region"), order_by=("region__path",))
    start_date = tables.Column(verbose_name=_("Start date"))
    due = tables.Column(verbose_name=_("Plan due"), accessor="pk", orderable=False)
    plan = tables.Column(verbose_name=_("Plan"), accessor="pk", order_by=("plan__status",))
    progress = tables.Column(verbose_name=_("Goals met"), accessor="goals_total", orderable=False)

    class Meta:
        model = Pairing
        fields = ["apprentice", "mentors", "region", "start_date", "due", "plan", "progress"]
        sequence = fields
        empty_text = _("No running pairings match.")

    def render_mentors(self, record):
        return mentor_names(record) or "–"

    def render_due(self, record):
        due = plan_due(self.book, record)
        if due is None:
            return "–"
        if is_overdue(self.book, record, self.today):
            return format_html("{} {}", due.isoformat(), badge_html("overdue", _("Overdue")))
        return due.isoformat()

    def render_plan(self, record):
        plan = getattr(record, "plan", None)
        if plan is None:
            return _("No plan yet")
        label = badge_html(plan.status, plan.get_status_display())
        return (
            format_html('{} <span class="text-secondary small">r{}</span>', label, plan.revision)
            if plan.revision
            else label
        )

    def render_progress(self, record):
        total = record.goals_total or 0
        return f"{record.goals_met or 0}/{total}" if total else "–"
