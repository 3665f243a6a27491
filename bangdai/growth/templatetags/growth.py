"""Template helpers of the growth file: an entry's icon, and the bars of the activities per month."""

from django import template
from django.utils.html import format_html

from bangdai.core.templatetags.badges import status_badge_html
from bangdai.plans.choices import PlanStatus

from ..choices import ICONS, Kind

register = template.Library()

KIND_COLOURS = {
    Kind.PAIRING: "blue",
    Kind.PLAN: "indigo",
    Kind.ACTIVITY: "green",
    Kind.ASSIGNMENT: "orange",
    Kind.OPEN_CLASS: "purple",
    Kind.ALLIANCE: "teal",
}


@register.simple_tag
def entry_icon(entry):
    """``{% entry_icon entry %}``: the source's icon in the kind's colour."""
    return format_html(
        '<span class="avatar avatar-sm bg-{}-lt growth-icon" aria-hidden="true"><i class="ti {}"></i></span>',
        KIND_COLOURS.get(entry.kind, "secondary"),
        ICONS.get(entry.source, "ti-point"),
    )


@register.simple_tag
def entry_status(entry):
    """``{% entry_status entry %}``: the state the entry's record reached, coloured as everywhere else."""
    return status_badge_html(entry.status, entry.status_label)


@register.filter
def kind_colour(kind) -> str:
    return KIND_COLOURS.get(kind, "secondary")


PLAN_COLOURS = {PlanStatus.DRAFT: "secondary", PlanStatus.SUBMITTED: "yellow", PlanStatus.APPROVED: "green"}


@register.simple_tag
def plan_status_badge(value):
    """A plan's state (from ``PlanProgress.status``) as a badge."""
    label = PlanStatus(value).label if value in PlanStatus.values else value
    return status_badge_html(value, label, PLAN_COLOURS, default="orange")


@register.simple_tag
def bar_height(value, highest) -> int:
    """A month's bar height in percent of the busiest month (a visible stub for any month with entries)."""
    if not value or not highest:
        return 0
    return max(round(100 * value / highest), 6)


CHINESE_DIGITS = "零一二三四五六七八九"


@register.filter
def cn_numeral(value) -> str:
    """Chapter numbers as printed documents write them: 1 → 一, 10 → 十, 12 → 十二, 20 → 二十."""
    number = int(value)
    if number < 10:
        return CHINESE_DIGITS[number]
    tens, ones = divmod(number, 10)
    return f"{CHINESE_DIGITS[tens] if tens > 1 else ''}十{CHINESE_DIGITS[ones] if ones else ''}"
