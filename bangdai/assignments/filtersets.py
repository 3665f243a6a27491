"""Filters of the assignment list (the list and its exports share them)."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea
from bangdai.core.filters import RegionSubtreeFilter
from bangdai.mentors.filtersets import visible_programmes

from .choices import AssignmentStatus, Flag
from .models import Assignment
from .selectors import assignments_overdue, reviews_overdue


class AssignmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Title or apprentice"), method="filter_q")
    region = RegionSubtreeFilter(region_field="pairing__region")
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), field_name="pairing__programme", queryset=visible_programmes
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=AssignmentStatus.choices)
    flag = django_filters.ChoiceFilter(label=_("Flag"), choices=Flag.choices, method="filter_flag")
    content_area = django_filters.ChoiceFilter(label=_("Content area"), choices=ContentArea.choices)
    pairing = django_filters.NumberFilter(field_name="pairing_id", widget=forms.HiddenInput)

    class Meta:
        model = Assignment
        fields = ["q", "region", "programme", "status", "flag", "content_area", "pairing"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(title__contains=value) | Q(pairing__apprentice__person__name__contains=value)
        )

    def filter_flag(self, queryset, name, value):
        today = timezone.localdate()
        if value == Flag.OVERDUE:
            return assignments_overdue(queryset, today)
        if value == Flag.REVIEW_OVERDUE:
            return reviews_overdue(queryset, today)
        return queryset
