"""Filters of the alliance and proposal lists (the lists and their exports share them)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from bangdai.core.filters import RegionSubtreeFilter

from .choices import AllianceStatus, PlanStatus
from .models import Alliance, PlanRun


class AllianceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=pgettext_lazy("alliance", "Name"), field_name="name", lookup_expr="contains"
    )
    region = RegionSubtreeFilter(label=_("Region (hub village)"), region_field="hub")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AllianceStatus.choices)
    spans_counties = django_filters.BooleanFilter(label=_("Across counties"))

    class Meta:
        model = Alliance
        fields = ["q", "region", "status", "spans_counties"]


class PlanFilterSet(django_filters.FilterSet):
    region = RegionSubtreeFilter(label=pgettext_lazy("alliance plan", "Area"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PlanStatus.choices)

    class Meta:
        model = PlanRun
        fields = ["region", "status"]


class AllianceApiFilterSet(django_filters.FilterSet):
    region = RegionSubtreeFilter(label=_("Hub village's region (its whole subtree)"), region_field="hub")
    status = django_filters.ChoiceFilter(choices=AllianceStatus.choices)
    spans_counties = django_filters.BooleanFilter()
    plan = django_filters.NumberFilter(field_name="plan_id", label=_("Adopted from plan id"))

    class Meta:
        model = Alliance
        fields = ["region", "status", "spans_counties", "plan"]


class PlanApiFilterSet(django_filters.FilterSet):
    region = RegionSubtreeFilter(label=_("Area (its whole subtree)"))
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)

    class Meta:
        model = PlanRun
        fields = ["region", "status"]
