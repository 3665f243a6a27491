"""Traffic lights and check statuses as badges, shared by the compliance pages, the panel and the tables."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangdai.compliance.rules import Light, Status

register = template.Library()

LIGHTS = {
    Light.GREEN: ("green", "ti-circle-check", _("On track (达标)")),
    Light.AMBER: ("yellow", "ti-alert-triangle", _("Slipping (预警)")),
    Light.RED: ("red", "ti-alert-octagon", _("Behind (落后)")),
}
STATUSES = {
    Status.OK: ("green", "ti-check", _("Met")),
    Status.PENDING: ("secondary", "ti-clock", _("Not due yet")),
    Status.AMBER: ("yellow", "ti-alert-triangle", _("Slipping")),
    Status.RED: ("red", "ti-x", _("Missed")),
}


def light_label(light: str) -> str:
    return str(LIGHTS[Light(light)][2])


def status_label(status: str) -> str:
    return str(STATUSES[Status(status)][2])


@register.simple_tag
def light_badge(light):
    """``{% light_badge item.light %}``: the traffic light as a coloured badge with an icon and a word."""
    colour, icon, label = LIGHTS[Light(light)]
    return format_html(
        '<span class="badge bg-{}-lt compliance-light light-{}"><i class="ti {} me-1" aria-hidden="true"></i>{}</span>',
        colour,
        light,
        icon,
        label,
    )


@register.simple_tag
def status_icon(status):
    """``{% status_icon check.status %}``: a check's status as an icon with a label for screen readers."""
    colour, icon, label = STATUSES[Status(status)]
    return format_html(
        '<i class="ti {} text-{} check-icon" role="img" aria-label="{}" title="{}"></i>',
        icon,
        colour,
        label,
        label,
    )


@register.simple_tag
def reason_item(check):
    """``{% reason_item check %}``: a reason in words, the rule's name in bold, its status as an icon (a <li>)."""
    words = conditional_escape(gettext("%(rule)s: %(expected)s; %(actual)s")) % {
        "rule": format_html('<span class="fw-medium">{}</span>', check.label),
        "expected": conditional_escape(check.expected),
        "actual": conditional_escape(check.actual),
    }
    words = mark_safe(words)  # noqa: S308  (the pattern, the rule, expected and actual are escaped above)
    return format_html(
        '<li class="reason reason-{}">{} {}</li>', check.status, status_icon(check.status), words
    )
