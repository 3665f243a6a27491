"""Filters of the programme list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import visible_region

from .choices import ProgrammeStatus
from .models import Programme
from .selectors import reaching


class ProgrammeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Programme name"), field_name="name", lookup_expr="contains")
    region = django_filters.CharFilter(label=_("Region"), method="filter_region")
    year = django_filters.NumberFilter(label=_("Year"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProgrammeStatus.choices)

    class Meta:
        model = Programme
        fields = ["q", "region", "year", "status"]

    def filter_region(self, queryset, name, value):
        """Programmes that reach the region: organised there, above it or inside it."""
        if not value:
            return queryset
        return reaching(queryset, visible_region(self.request.user, value.strip()))
