from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.apprentices.models import Apprentice
from bangdai.core.api.fields import VisibleRecordField
from bangdai.mentors.models import Mentor
from bangdai.people.models import Person

from ..choices import ConflictKind
from ..models import ConflictDeclaration, Pairing, PairingEvent, PairingMentor


class PairingMemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="mentor.person.name", read_only=True)

    class Meta:
        model = PairingMentor
        fields = ["mentor", "name", "is_primary", "confirmed_at"]
        read_only_fields = fields


class PairingEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = PairingEvent
        fields = ["id", "action", "from_status", "to_status", "actor", "reason", "at"]
        read_only_fields = fields


class PairingSerializer(serializers.ModelSerializer):
    """A pairing; cadres appear by name only."""

    programme_name = serializers.CharField(source="programme.name", read_only=True)
    apprentice_name = serializers.CharField(source="apprentice.person.name", read_only=True)
    mentors = PairingMemberSerializer(source="members", many=True, read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    witnesses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "programme",
            "programme_name",
            "apprentice",
            "apprentice_name",
            "mentors",
            "region",
            "region_name",
            "mode",
            "status",
            "rules_version",
            "term_months",
            "apprentice_confirmed_at",
            "start_date",
            "planned_end_date",
            "ended_on",
            "end_reason",
            "pledge_signed_on",
            "ceremony_place",
            "witnesses",
            "replaces",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PairingDetailSerializer(PairingSerializer):
    events = PairingEventSerializer(many=True, read_only=True)

    class Meta(PairingSerializer.Meta):
        fields = [*PairingSerializer.Meta.fields, "pledge_text", "events"]
        read_only_fields = fields


def _mentors(**kwargs):
    return VisibleRecordField(
        queryset=Mentor.objects.all(),
        many=True,
        help_text=_("Mentor ids; the first is the primary mentor"),
        **kwargs,
    )


class ProposeSerializer(serializers.Serializer):
    apprentice = VisibleRecordField(queryset=Apprentice.objects.all())
    mentors = _mentors()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class SignSerializer(serializers.Serializer):
    signed_on = serializers.DateField()
    ceremony_place = serializers.CharField(max_length=100)
    witnesses = serializers.ListField(child=serializers.CharField(max_length=64), max_length=20)
    text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("拜师帖 text; the standard text when blank")
    )


class ExtendSerializer(serializers.Serializer):
    months = serializers.IntegerField(min_value=1, max_value=36)
    reason = serializers.CharField(max_length=1000)


class CompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RepairSerializer(serializers.Serializer):
    mentors = _mentors()
    reason = serializers.CharField(max_length=1000)


class ConflictSerializer(serializers.ModelSerializer):
    mentor_person = VisibleRecordField(
        queryset=Person.objects.all(), help_text=_("The would-be mentor's cadre id")
    )
    apprentice_person = VisibleRecordField(
        queryset=Person.objects.all(), help_text=_("The would-be apprentice's cadre id")
    )
    mentor_name = serializers.CharField(source="mentor_person.name", read_only=True)
    apprentice_name = serializers.CharField(source="apprentice_person.name", read_only=True)
    kind = serializers.ChoiceField(choices=ConflictKind.choices)
    declared_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ConflictDeclaration
        fields = [
            "id",
            "mentor_person",
            "mentor_name",
            "apprentice_person",
            "apprentice_name",
            "kind",
            "note",
            "declared_by",
            "declared_at",
        ]
        read_only_fields = ["id", "declared_by", "declared_at"]
