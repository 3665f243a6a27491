"""Status badges: one colour per state value, shared by tables and pages."""

from collections.abc import Mapping

from django import template
from django.utils.html import format_html

register = template.Library()

# State values are distinct across programmes, mentors, apprentices and pairings (or mean the same thing).
COLOURS = {
    "open": "green",
    "closed": "secondary",
    "submitted": "secondary",
    "unit_recommended": "azure",
    "vetting": "blue",
    "collective_review": "indigo",
    "publicity": "purple",
    "active": "green",
    "rejected": "red",
    "suspended": "orange",
    "expired": "secondary",
    "retired": "secondary",
    "dismissed": "red",
    "eligible": "yellow",
    "paired": "green",
    "graduated": "teal",
    "exited": "secondary",
    "proposed": "yellow",
    "confirmed": "cyan",
    "extended": "lime",
    "completed": "teal",
    "terminated": "red",
    "declined": "secondary",
    "queued": "secondary",
    "running": "blue",
    "failed": "red",
    "accepted": "green",
    "discarded": "secondary",
    "forming": "yellow",
    "dissolved": "secondary",
    "adopted": "green",
    # open classes: where a class stands (teaching.choices.ClassPhase)
    "upcoming": "blue",
    "check_in": "green",
    "ended": "secondary",
    "cancelled": "red",
}


def status_badge_html(
    value: str, label, colours: Mapping[str, str] = COLOURS, default: str = "secondary"
) -> str:
    """A state as a coloured badge; an app whose values mean other things here passes its own ``colours``."""
    return format_html(
        '<span class="badge bg-{}-lt status-badge">{}</span>', colours.get(value, default), label
    )


@register.simple_tag
def status_badge(obj, field: str = "status"):
    """``{% status_badge mentor %}``: the object's state as a coloured badge."""
    return status_badge_html(getattr(obj, field), getattr(obj, f"get_{field}_display")())
