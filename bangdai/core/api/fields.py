"""API fields shared by region-scoped resources."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from bangdai.core.forms import RegionChoiceField, resolve_region_choice


class RegionCodeField(serializers.Field):
    """A current region given by its code; only regions the caller may edit (or hold ``roles`` in) are accepted."""

    default_error_messages = RegionChoiceField.default_error_messages

    def __init__(self, *, roles=None, **kwargs):
        self.roles = roles
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.code

    def to_internal_value(self, data):
        from bangdai.accounts.choices import EDITING_ROLES
        from bangdai.regions.models import Region

        user = self.context["request"].user
        allowed = Region.objects.current().filter(
            user.scope.governed_q("path", roles=self.roles or EDITING_ROLES)
        )
        try:
            return resolve_region_choice(allowed, str(data).strip(), self.error_messages)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
