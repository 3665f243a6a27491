"""Filters of the pairing list (the list and its exports share them)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import RegionSubtreeFilter
from bangdai.mentors.filtersets import visible_programmes

from .choices import PairingMode, PairingStatus
from .models import Pairing


class PairingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Apprentice name"), field_name="apprentice__person__name", lookup_expr="contains"
    )
    region = RegionSubtreeFilter()
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=visible_programmes)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PairingStatus.choices)
    mode = django_filters.ChoiceFilter(label=_("Mode"), choices=PairingMode.choices)

    class Meta:
        model = Pairing
        fields = ["q", "region", "programme", "status", "mode"]
