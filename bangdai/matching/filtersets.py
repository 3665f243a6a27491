"""Filters of the list of matching runs (the list and its exports share them)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import RegionSubtreeFilter
from bangdai.mentors.filtersets import visible_programmes

from .choices import RunStatus
from .models import MatchRun


class MatchRunFilterSet(django_filters.FilterSet):
    region = RegionSubtreeFilter(label=_("Area"))
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=visible_programmes)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=RunStatus.choices)

    class Meta:
        model = MatchRun
        fields = ["region", "programme", "status"]
