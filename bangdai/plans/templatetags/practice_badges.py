"""Badges of plan and assignment states (their values overlap the pool's, with other colours)."""

from django import template

from bangdai.core.templatetags.badges import status_badge_html

register = template.Library()

COLOURS = {
    # plans
    "draft": "secondary",
    "submitted": "blue",
    "approved": "green",
    "returned": "orange",
    # assignments
    "issued": "azure",
    "reviewed": "green",
    "withdrawn": "secondary",
    # flags
    "overdue": "red",
    "late": "orange",
}


def badge_html(value: str, label) -> str:
    return status_badge_html(value, label, COLOURS)


@register.simple_tag
def practice_badge(obj, field: str = "status"):
    """``{% practice_badge plan %}``: a plan's or an assignment's state as a coloured badge."""
    return badge_html(getattr(obj, field), getattr(obj, f"get_{field}_display")())


@register.simple_tag
def flag_badge(value: str, label):
    """``{% flag_badge "overdue" _("Overdue") %}``."""
    return badge_html(value, label)
