"""The tables of the matching pages: runs, and the pairs of one run with their scores explained."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from bangdai.core.templatetags.badges import status_badge_html

from .explanations import parts, why_text
from .models import MatchPair, MatchRun


class RunTable(tables.Table):
    number = tables.LinkColumn(
        "matching:detail", args=[tables.A("pk")], verbose_name=_("Run"), text=lambda r: f"#{r.number}"
    )
    programme = tables.Column(verbose_name=_("Programme"), order_by=("programme__name",))
    region = tables.Column(verbose_name=_("Area"), order_by=("region__path",))
    status = tables.Column(verbose_name=_("Status"))
    paired = tables.Column(verbose_name=_("Paired"), accessor="summary", orderable=False)
    unpaired = tables.Column(verbose_name=_("Unpaired"), accessor="summary", orderable=False)
    mean_score = tables.Column(verbose_name=_("Mean score"), accessor="summary", orderable=False)
    parent = tables.Column(verbose_name=_("Adjusted from"), orderable=False)
    created_by = tables.Column(verbose_name=_("Run by"), order_by=("created_by__username",))
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), format="Y-m-d H:i")

    class Meta:
        model = MatchRun
        fields = [
            "number",
            "programme",
            "region",
            "status",
            "paired",
            "unpaired",
            "mean_score",
            "parent",
            "created_by",
            "created_at",
        ]
        sequence = fields
        empty_text = _("No matching runs yet.")
        attrs = {"class": "table table-vcenter card-table"}

    def render_status(self, record, value):
        return status_badge_html(record.status, value)

    def render_paired(self, value):
        return value.get("paired", "–")

    def render_unpaired(self, value):
        return value.get("unpaired", "–")

    def render_mean_score(self, value):
        return f"{value['mean_score']:.1f}" if "mean_score" in value else "–"

    def render_parent(self, record):
        return f"#{record.parent.number}"


def score_bar(score: float, breakdown: dict, weights: dict) -> str:
    """The score and a bar of its weighted parts, one coloured segment per criterion, each with its numbers."""
    segments = parts(breakdown, weights)
    bar = format_html_join(
        "",
        '<span class="score-part bg-{}" style="width: {}%" title="{}: {} / {}"></span>',
        (
            (p.colour, f"{p.points:.2f}", p.label, f"{p.points:.1f}", f"{p.most:.0f}")
            for p in segments
            if p.points > 0
        ),
    )
    words = format_html_join(
        "", "<li>{}: {} / {}</li>", ((p.label, f"{p.points:.1f}", f"{p.most:.0f}") for p in segments)
    )
    return format_html(
        '<div class="score-cell"><span class="score-value">{}</span>'
        '<span class="score-bar" aria-hidden="true">{}</span>'
        '<ul class="visually-hidden">{}</ul></div>',
        f"{score:.1f}",
        bar,
        words,
    )


class PairTable(tables.Table):
    """A run's proposed pairs; the select and action columns are for those who may change the run.

    Cells are rendered here rather than by TemplateColumns, which would run the context processors per cell.
    """

    select = tables.Column(verbose_name="", orderable=False, accessor="pk")
    apprentice = tables.Column(verbose_name=_("Apprentice"), order_by=("apprentice__person__name",))
    mentor = tables.Column(verbose_name=_("Mentor"), order_by=("mentor__person__name",))
    score = tables.Column(verbose_name=_("Score"), attrs={"td": {"class": "score-col"}})
    distance_km = tables.Column(
        verbose_name=_("Distance (km)"),
        attrs={"td": {"class": "text-end distance-col"}, "th": {"class": "text-end distance-col"}},
    )
    why = tables.Column(
        verbose_name=_("Why this mentor"), orderable=False, attrs={"td": {"class": "why-col"}}
    )
    actions = tables.Column(verbose_name="", orderable=False, accessor="pk")

    class Meta:
        model = MatchPair
        fields = ["select", "apprentice", "mentor", "score", "distance_km", "why", "actions"]
        sequence = fields
        empty_text = _("No pairs in this run.")
        attrs = {"class": "table table-vcenter card-table pair-table"}

    def __init__(self, *args, weights: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.weights = weights

    def render_select(self, record):
        return format_html(
            '<input type="checkbox" class="form-check-input m-0" name="pairs" value="{}" aria-label="{}">',
            record.pk,
            _("Select the pair of %(name)s") % {"name": record.apprentice.person.name},
        )

    def render_apprentice(self, record):
        return format_html(
            '<a href="{}" class="fw-medium">{}</a><div class="small text-secondary">{}</div>',
            reverse("apprentices:detail", args=[record.apprentice_id]),
            record.apprentice.person.name,
            record.apprentice.region.name,
        )

    def render_mentor(self, record):
        pin = format_html(
            '<i class="ti ti-pin text-primary me-1" title="{0}" aria-label="{0}"></i>', _("Pinned")
        )
        return format_html(
            '{}<a href="{}" class="fw-medium">{}</a><div class="small text-secondary">{} · {}</div>',
            pin if record.pinned else "",
            reverse("mentors:detail", args=[record.mentor_id]),
            record.mentor.person.name,
            record.mentor.get_tier_display(),
            record.mentor.region.name,
        )

    def render_actions(self, record):
        """Row buttons of the surrounding adjustment form: each posts ``row`` = "action:pair id"."""
        button = '<button type="submit" name="row" value="{}:{}" class="btn btn-sm{}" title="{}">' + (
            '<i class="ti {} me-1" aria-hidden="true"></i>{}</button>'
        )
        if record.pinned:
            first = format_html(
                button, "unpin", record.pk, "", _("Unpin and re-run"), "ti-pinned-off", _("Unpin")
            )
        else:
            first = format_html(
                button, "pin", record.pk, "", _("Keep this pair in every re-run"), "ti-pin", _("Pin")
            )
        remove = format_html(
            button,
            "remove",
            record.pk,
            " btn-ghost-danger",
            _("Never propose this pair; re-run"),
            "ti-link-off",
            pgettext("matching pair", "Remove"),
        )
        return format_html('<div class="btn-list flex-nowrap justify-content-end">{}{}</div>', first, remove)

    def render_score(self, record):
        return score_bar(record.score, record.breakdown, self.weights)

    def render_distance_km(self, value):
        return f"{value:.1f}"

    def render_why(self, record):
        """The reason in words, and the two mentors' scores criterion by criterion when there is a runner-up."""
        text = why_text(record)
        if not record.runner_up_id or not record.runner_up_breakdown:
            return format_html('<span class="why-text">{}</span>', text)
        own = parts(record.breakdown, self.weights)
        other = parts(record.runner_up_breakdown, self.weights)
        rows = format_html_join(
            "",
            '<tr><th scope="row"><span class="legend-dot bg-{}"></span>{}</th>'
            '<td class="text-end">{}</td><td class="text-end">{}</td></tr>',
            (
                (a.colour, a.label, f"{a.points:.1f}", f"{b.points:.1f}")
                for a, b in zip(own, other, strict=True)
            ),
        )
        return format_html(
            '<span class="why-text">{}</span><details class="why-details"><summary>{}</summary>'
            '<table class="table table-sm why-table"><thead><tr><th></th><th class="text-end">{}</th>'
            '<th class="text-end">{}</th></tr></thead><tbody>{}</tbody><tfoot><tr><th scope="row">{}</th>'
            '<td class="text-end">{}</td><td class="text-end">{}</td></tr></tfoot></table></details>',
            text,
            _("Criterion by criterion"),
            record.mentor.person.name,
            record.runner_up.person.name,
            rows,
            _("Score"),
            f"{record.score:.1f}",
            f"{record.runner_up_score or 0:.1f}",
        )
