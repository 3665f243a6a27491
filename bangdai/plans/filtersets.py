"""Filters of the plan list: running pairings and their plans (the list and its exports share them)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import RegionSubtreeFilter
from bangdai.mentors.filtersets import visible_programmes
from bangdai.pairings.models import Pairing

from .choices import PlanStatus
from .selectors import plans_overdue

NO_PLAN = "none"


class PlanFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Apprentice name"), field_name="apprentice__person__name", lookup_expr="contains"
    )
    region = RegionSubtreeFilter()
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=visible_programmes)
    plan = django_filters.ChoiceFilter(
        label=_("Plan"), choices=[(NO_PLAN, _("No plan yet")), *PlanStatus.choices], method="filter_plan"
    )
    overdue = django_filters.ChoiceFilter(
        label=_("Deadline"), choices=[("1", _("Overdue"))], method="filter_overdue"
    )

    class Meta:
        model = Pairing
        fields = ["q", "region", "programme", "plan", "overdue"]

    def filter_plan(self, queryset, name, value):
        if value == NO_PLAN:
            return queryset.filter(plan__isnull=True)
        return queryset.filter(plan__status=value)

    def filter_overdue(self, queryset, name, value):
        return plans_overdue(queryset, timezone.localdate()) if value else queryset
