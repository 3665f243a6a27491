from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.core.api.fields import RegionCodeField

from ..models import Person
from ..validation import clean_id_number, clean_phone


class PersonSerializer(serializers.ModelSerializer):
    """A cadre; ID number and phone are write-only and come back masked."""

    id_number = serializers.CharField(
        write_only=True, required=True, max_length=24, help_text=_("18-character resident ID number")
    )
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=16)
    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)
    region = RegionCodeField(help_text=_("Employer region code"))
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "ethnicity",
            "id_number",
            "id_number_masked",
            "phone",
            "phone_masked",
            "political_status",
            "party_join_date",
            "education",
            "region",
            "region_name",
            "org_unit",
            "position",
            "rank",
            "cadre_type",
            "entry_date",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields["id_number"].required = False
        return fields

    def validate_id_number(self, value):
        return clean_id_number(value)

    def validate_phone(self, value):
        return clean_phone(value)


class RevealRequestSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["id_number", "phone"])


class RevealResponseSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()
