"""Filters of the apprentice registry (the list and its exports share them)."""

import django_filters
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import RegionSubtreeFilter
from bangdai.mentors.filtersets import visible_programmes

from .choices import ApprenticeCategory, ApprenticeStatus
from .models import Apprentice


class ApprenticeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="person__name", lookup_expr="contains")
    region = RegionSubtreeFilter(label=_("Workplace"))
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=visible_programmes)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ApprenticeStatus.choices)
    category = django_filters.ChoiceFilter(
        label=_("Category"), choices=ApprenticeCategory.choices, method="filter_category"
    )
    three_gates = django_filters.BooleanFilter(label=_("三门干部"))

    class Meta:
        model = Apprentice
        fields = ["q", "region", "programme", "status", "category", "three_gates"]

    def filter_category(self, queryset, name, value):
        return queryset.annotate(categories_text=Cast("categories", TextField())).filter(
            categories_text__contains=f'"{value}"'
        )
