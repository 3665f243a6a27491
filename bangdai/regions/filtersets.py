"""Filters of the region lists (UI and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import visible_region

from .choices import Kind, Level
from .models import Region, subtree_q


class RegionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or code"), method="filter_q")
    level = django_filters.TypedChoiceFilter(
        label=_("Level"), choices=Level.choices, field_name="depth", coerce=int
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices)
    within = django_filters.CharFilter(label=_("Within (region code)"), method="filter_within")
    parent = django_filters.CharFilter(label=_("Parent (region code)"), method="filter_parent")
    include_abolished = django_filters.BooleanFilter(label=_("Include abolished"), method="filter_abolished")

    class Meta:
        model = Region
        fields = ["q", "level", "kind", "within", "parent", "include_abolished"]

    @property
    def qs(self):
        qs = super().qs
        if not self.form.cleaned_data.get("include_abolished"):
            qs = qs.filter(valid_to__isnull=True)
        return qs

    def filter_q(self, queryset, name, value):
        if value.isdigit():
            return queryset.filter(code__startswith=value)
        return queryset.filter(name__contains=value)

    def filter_within(self, queryset, name, value):
        region = visible_region(self.request.user, value)
        return queryset.filter(subtree_q(region.path))

    def filter_parent(self, queryset, name, value):
        region = visible_region(self.request.user, value)
        return queryset.filter(subtree_q(region.path), depth=region.depth + 1)

    def filter_abolished(self, queryset, name, value):
        return queryset
