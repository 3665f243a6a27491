from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.core.api.fields import VisibleRecordField
from bangdai.core.choices import ContentArea
from bangdai.people.models import Person
from bangdai.programmes.models import Programme

from ..choices import ApprenticeCategory
from ..models import Apprentice


def _categories(**kwargs):
    return serializers.ListField(child=serializers.ChoiceField(choices=ApprenticeCategory.choices), **kwargs)


def _needs(**kwargs):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=ContentArea.choices),
        help_text=_("Content areas the apprentice most needs"),
        **kwargs,
    )


class ApprenticeSerializer(serializers.ModelSerializer):
    """A registered apprentice; the cadre appears by name only."""

    programme_name = serializers.CharField(source="programme.name", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    categories = _categories(read_only=True)
    needs = _needs(read_only=True)

    class Meta:
        model = Apprentice
        fields = [
            "id",
            "programme",
            "programme_name",
            "person",
            "name",
            "region",
            "region_name",
            "categories",
            "three_gates",
            "needs",
            "note",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApprenticeRegisterSerializer(serializers.Serializer):
    programme = VisibleRecordField(queryset=Programme.objects.all())
    person = VisibleRecordField(queryset=Person.objects.all(), help_text=_("The cadre's id"))
    categories = _categories()
    three_gates = serializers.BooleanField(default=False)
    needs = _needs(required=False, default=list)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ApprenticeUpdateSerializer(serializers.Serializer):
    categories = _categories(required=False)
    three_gates = serializers.BooleanField(required=False)
    needs = _needs(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
