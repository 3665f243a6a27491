"""Filters of the mentor pool (the list and its exports share them)."""

import django_filters
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import RegionSubtreeFilter
from bangdai.programmes.models import Programme

from .choices import MentorStatus, MentorTier, MentorTitle
from .models import Mentor


def visible_programmes(request):
    if request is None:
        return Programme.objects.none()
    return Programme.objects.visible_to(request.user)


class MentorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="person__name", lookup_expr="contains")
    region = RegionSubtreeFilter(label=_("Home region"))
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=visible_programmes)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=MentorStatus.choices)
    tier = django_filters.ChoiceFilter(label=_("Tier"), choices=MentorTier.choices)
    title = django_filters.ChoiceFilter(label=_("Title"), choices=MentorTitle.choices, method="filter_title")

    class Meta:
        model = Mentor
        fields = ["q", "region", "programme", "status", "tier", "title"]

    def filter_title(self, queryset, name, value):
        # JSON containment is not portable to SQLite; the stored list's text holds each value in quotes.
        return queryset.annotate(titles_text=Cast("titles", TextField())).filter(
            titles_text__contains=f'"{value}"'
        )
