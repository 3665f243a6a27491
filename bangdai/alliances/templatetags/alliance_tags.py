"""Template helpers of the alliance pages."""

from django import template

register = template.Library()


@register.filter
def km(value) -> str:
    """A distance in km with one decimal, or a dash."""
    return "–" if value is None else f"{value:.1f}"
