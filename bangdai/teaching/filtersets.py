"""Filters of the teaching-site and open-class lists (the lists and their exports share them)."""

import django_filters
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea
from bangdai.core.filters import RegionSubtreeFilter

from .choices import ClassStatus, SiteLevel, SiteStatus
from .models import OpenClass, TeachingSite


def has_area(queryset, field: str, value: str):
    # JSON containment is not portable to SQLite; the stored list's text holds each value in quotes.
    return queryset.annotate(**{f"{field}_text": Cast(field, TextField())}).filter(
        **{f"{field}_text__contains": f'"{value}"'}
    )


class SiteFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Site name"), field_name="name", lookup_expr="contains")
    region = RegionSubtreeFilter(label=_("Region"), region_field="village")
    theme = django_filters.ChoiceFilter(label=_("Theme"), choices=ContentArea.choices, method="filter_theme")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=SiteLevel.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=SiteStatus.choices)

    class Meta:
        model = TeachingSite
        fields = ["q", "region", "theme", "level", "status"]

    def filter_theme(self, queryset, name, value):
        return has_area(queryset, "themes", value)


WHEN_CHOICES = [("upcoming", _("Not ended yet")), ("past", _("Ended"))]


class ClassFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Class title"), field_name="title", lookup_expr="contains")
    region = RegionSubtreeFilter(label=_("Region"), region_field="village")
    area = django_filters.ChoiceFilter(
        label=_("Content area"), choices=ContentArea.choices, method="filter_area"
    )
    when = django_filters.ChoiceFilter(label=_("When"), choices=WHEN_CHOICES, method="filter_when")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ClassStatus.choices)
    site = django_filters.NumberFilter(
        label=_("Teaching site"), field_name="site_id", widget=django_filters.widgets.forms.HiddenInput
    )

    class Meta:
        model = OpenClass
        fields = ["q", "region", "area", "when", "status", "site"]

    def filter_area(self, queryset, name, value):
        return has_area(queryset, "content_areas", value)

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        return queryset.filter(ends_at__gte=now) if value == "upcoming" else queryset.filter(ends_at__lt=now)
