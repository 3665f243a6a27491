"""Badges of a ledger entry: where it stands with the counterpart, and the organisation's verdict."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from bangdai.core.choices import ContentArea, Method, labels

from .. import selectors
from ..choices import Standing, Verification

register = template.Library()

STANDING_COLOURS = {
    Standing.WITHDRAWN: "secondary",
    Standing.CONFIRMED: "green",
    Standing.UNCONFIRMED: "red",
    Standing.AWAITING: "yellow",
}


def standing(activity, today=None) -> tuple[str, str, str]:
    """(value, colour, label) of the entry's standing (``selectors.standing``)."""
    value = selectors.standing(activity, today)
    return value.value, STANDING_COLOURS[value], str(value.label)


@register.simple_tag
def activity_badges(activity):
    """``{% activity_badges activity %}``: the standing, then the verdict when there is one."""
    key, colour, label = standing(activity)
    parts = [("standing-" + key, colour, label)]
    if activity.verification == Verification.VERIFIED:
        parts.append(("verified", "teal", activity.get_verification_display()))
    elif activity.verification == Verification.QUESTIONABLE:
        parts.append(("questionable", "orange", activity.get_verification_display()))
    return format_html_join(
        " ", '<span class="badge bg-{}-lt ledger-badge ledger-{}">{}</span>', ((c, k, t) for k, c, t in parts)
    )


@register.filter
def area_labels(values) -> str:
    return labels(ContentArea, values)


@register.filter
def method_label(value) -> str:
    return str(dict(Method.choices).get(value, value))


@register.simple_tag
def minutes(value):
    hours, rest = divmod(int(value or 0), 60)
    if hours and rest:
        return format_html(_("{} h {} min"), hours, rest)
    if hours:
        return format_html(_("{} h"), hours)
    return format_html(_("{} min"), rest)


@register.filter
def hours(minutes) -> str:
    """Minutes as hours with one decimal (150 → 2.5)."""
    value = round(int(minutes or 0) / 60, 1)
    return f"{value:g}"
