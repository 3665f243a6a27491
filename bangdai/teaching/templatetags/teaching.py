"""Template helpers of open classes: the class's phase as a badge, and its check-in QR code as inline SVG."""

import segno
from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from bangdai.core.templatetags.badges import status_badge_html

from ..choices import ClassPhase
from ..selectors import phase
from ..services import checkin_token

register = template.Library()


def class_badge_html(open_class) -> str:
    current = ClassPhase(phase(open_class))
    return status_badge_html(current, current.label)


@register.simple_tag
def class_badge(open_class):
    """``{% class_badge open_class %}``: where the class stands (upcoming, check-in open, ended, cancelled)."""
    return class_badge_html(open_class)


def checkin_url(request, open_class) -> str:
    return request.build_absolute_uri(reverse("teaching:checkin", args=[checkin_token(open_class)]))


def qr_svg(url: str, title: str = "") -> str:
    """The URL as a QR code in SVG, sized by its container (no width or height of its own)."""
    return segno.make(url, error="m").svg_inline(
        scale=4,
        border=2,
        omitsize=True,
        title=title or None,
        svgclass="checkin-qr",
        dark="#1d273b",
        light="#ffffff",
    )


@register.simple_tag(takes_context=True)
def checkin_qr(context, open_class):
    """``{% checkin_qr open_class %}``: the class's check-in QR code, inline."""
    return mark_safe(qr_svg(checkin_url(context["request"], open_class), open_class.title))  # noqa: S308


@register.simple_tag(takes_context=True)
def checkin_link(context, open_class):
    return checkin_url(context["request"], open_class)
