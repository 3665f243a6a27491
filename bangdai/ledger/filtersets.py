"""Filters of the region ledger list (the list and its exports share them) and of the API's list."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import Method
from bangdai.core.filters import RegionSubtreeFilter
from bangdai.mentors.filtersets import visible_programmes

from .choices import ActivityStatus, LedgerFlag, Verification
from .models import Activity
from .selectors import month_start, next_month


class MonthField(forms.DateField):
    input_formats = ["%Y-%m"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MonthFilter(django_filters.CharFilter):
    """Entries dated in one month, given as YYYY-MM."""

    field_class = MonthField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(occurred_on__gte=month_start(value), occurred_on__lt=next_month(value))


def filter_flag(queryset, name, value):
    """Where an entry stands; "unconfirmed" is computed from the window, not stored."""
    today = timezone.localdate()
    if value == LedgerFlag.AWAITING:
        return queryset.awaiting(today)
    if value == LedgerFlag.UNCONFIRMED:
        return queryset.overdue(today)
    if value == LedgerFlag.CONFIRMED:
        return queryset.filter(status=ActivityStatus.CONFIRMED)
    if value == LedgerFlag.WITHDRAWN:
        return queryset.filter(status=ActivityStatus.WITHDRAWN)
    verdict = Verification.QUESTIONABLE if value == LedgerFlag.QUESTIONABLE else Verification.VERIFIED
    return queryset.filter(verification=verdict)


class ActivityFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Apprentice name"), field_name="pairing__apprentice__person__name", lookup_expr="contains"
    )
    region = RegionSubtreeFilter()
    month = MonthFilter(label=_("Month"))
    method = django_filters.ChoiceFilter(label=_("Method"), choices=Method.choices)
    flag = django_filters.ChoiceFilter(label=_("Standing"), choices=LedgerFlag.choices, method=filter_flag)
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), field_name="pairing__programme", queryset=visible_programmes
    )

    class Meta:
        model = Activity
        fields = ["q", "region", "month", "method", "flag", "programme"]


class ActivityApiFilterSet(ActivityFilterSet):
    pairing = django_filters.NumberFilter(field_name="pairing_id", label=_("Pairing id"))
    apprentice = django_filters.NumberFilter(field_name="pairing__apprentice_id", label=_("Apprentice id"))
    status = django_filters.ChoiceFilter(choices=ActivityStatus.choices)
    verification = django_filters.ChoiceFilter(choices=Verification.choices)
    occurred_after = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")

    class Meta(ActivityFilterSet.Meta):
        fields = [
            *ActivityFilterSet.Meta.fields,
            "pairing",
            "apprentice",
            "status",
            "verification",
            "occurred_after",
            "occurred_before",
        ]
