"""Filters shared by every region-scoped list: a region code that must be visible, else 404."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext_lazy as _


def visible_region(user, code: str):
    """The current region with this code if the user may see it; anything else is a 404."""
    from bangdai.regions.models import Region

    region = Region.objects.visible_to(user).current().filter(code=code).first()
    if region is None:
        raise Http404
    return region


class RegionSubtreeFilter(django_filters.CharFilter):
    """Keeps records whose region lies in the subtree of the given (visible) region code."""

    def __init__(self, *args, region_field: str = "region", **kwargs):
        kwargs.setdefault("label", _("Region"))
        super().__init__(*args, **kwargs)
        self.region_field = region_field

    def filter(self, qs, value):
        if not value:
            return qs
        request, code = self.parent.request, value.strip()
        current = getattr(request, "region", None)
        # The switcher's current region is visible already (the middleware resolved it in the user's scope).
        if current is not None and current.code == code and current.valid_to is None:
            region = current
        else:
            region = visible_region(request.user, code)
        low, high = region.subtree_range
        return qs.filter(**{f"{self.region_field}__path__gte": low, f"{self.region_field}__path__lt": high})
