import django_filters
from django.utils.translation import gettext_lazy as _

from bangdai.core.filters import RegionSubtreeFilter

from .choices import Role
from .models import User


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Username or name"), method="filter_q")
    role = django_filters.ChoiceFilter(
        label=_("Role"), choices=Role.choices, field_name="role_assignments__role"
    )
    region = RegionSubtreeFilter(region_field="role_assignments__region")
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = User
        fields = ["q", "role", "region", "is_active"]

    @property
    def qs(self):
        return super().qs.distinct()

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(username__icontains=value) | Q(display_name__icontains=value))
