"""API fields shared by region-scoped resources."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangdai.core.forms import RegionChoiceField, resolve_region_choice


@extend_schema_field(OpenApiTypes.STR)
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


class VisibleRecordField(serializers.PrimaryKeyRelatedField):
    """A record by id among those the caller may see (``visible_to``).

    As with region codes, an unknown id is a field error and a real record outside the caller's scope is a 404,
    exactly like opening it by URL.
    """

    def get_queryset(self):
        return super().get_queryset().visible_to(self.context["request"].user)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            if str(data).isdigit() and self.queryset.filter(pk=data).exists():
                raise Http404 from None
            raise


# Cadre fields that never leave the database in these APIs: ID numbers and phones are decrypted on load.
PERSON_PRIVATE_FIELDS = ("id_number", "id_number_index", "phone", "phone_index")


def without_private(prefix: str) -> list[str]:
    """``defer()`` arguments keeping a related cadre's protected fields out of memory."""
    return [f"{prefix}__{name}" for name in PERSON_PRIVATE_FIELDS]
