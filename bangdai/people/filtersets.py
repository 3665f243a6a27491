"""Filters of the cadre list (UI, API and exports share them)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import RegionSubtreeFilter

from .choices import CadreType, Education, Gender, PoliticalStatus, Position
from .models import Person
from .protection import blind_index, normalise


def looks_like_id_number(value: str) -> bool:
    value = normalise(value)
    return len(value) == 18 and value[:17].isdigit()


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or ID number"), method="filter_q")
    region = RegionSubtreeFilter()
    gender = django_filters.ChoiceFilter(label=_("Gender"), choices=Gender.choices)
    cadre_type = django_filters.ChoiceFilter(label=_("Cadre type"), choices=CadreType.choices)
    political_status = django_filters.ChoiceFilter(
        label=_("Political status"), choices=PoliticalStatus.choices
    )
    education = django_filters.ChoiceFilter(label=_("Education"), choices=Education.choices)
    position = django_filters.ChoiceFilter(label=_("Position"), choices=Position.choices)

    class Meta:
        model = Person
        fields = ["q", "region", "gender", "cadre_type", "political_status", "education", "position"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if looks_like_id_number(value):
            # ID numbers are matched exactly through the keyed index; they are never stored in clear.
            return queryset.filter(id_number_index=blind_index(value))
        return queryset.filter(name__contains=value)
