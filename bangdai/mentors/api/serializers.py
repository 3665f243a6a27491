from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bangdai.core.api.fields import RegionCodeField, VisibleRecordField
from bangdai.core.choices import ContentArea
from bangdai.people.models import Person
from bangdai.programmes.models import Programme

from ..choices import MentorTier, MentorTitle
from ..models import Mentor, MentorEvent, PublicityObjection
from ..services import TRANSITIONS, allowed_actions


class MentorEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = MentorEvent
        fields = ["id", "action", "from_status", "to_status", "actor", "reason", "at"]
        read_only_fields = fields


class ObjectionSerializer(serializers.ModelSerializer):
    recorded_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = PublicityObjection
        fields = ["id", "raised_by", "content", "recorded_by", "recorded_at", "resolution", "resolved_at"]
        read_only_fields = fields


class AllowedActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    needs_reason = serializers.BooleanField()


class MentorSerializer(serializers.ModelSerializer):
    """A mentor in a programme's pool; the cadre appears by name only."""

    programme_name = serializers.CharField(source="programme.name", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    titles = serializers.ListField(child=serializers.ChoiceField(choices=MentorTitle.choices), read_only=True)
    expertise = serializers.ListField(
        child=serializers.ChoiceField(choices=ContentArea.choices), read_only=True
    )
    specialties = serializers.ListField(child=serializers.CharField(), read_only=True)
    free_places = serializers.IntegerField(read_only=True)

    class Meta:
        model = Mentor
        fields = [
            "id",
            "programme",
            "programme_name",
            "person",
            "name",
            "region",
            "region_name",
            "tier",
            "titles",
            "qianming_batch",
            "expertise",
            "specialties",
            "capacity",
            "load",
            "free_places",
            "status",
            "nominated_via",
            "nomination_statement",
            "recommending_unit",
            "publicity_start",
            "publicity_end",
            "appointed_at",
            "term_end",
            "certificate_no",
            "status_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MentorDetailSerializer(MentorSerializer):
    events = MentorEventSerializer(many=True, read_only=True)
    objections = ObjectionSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField(help_text=_("Steps the caller may take now"))

    class Meta(MentorSerializer.Meta):
        fields = [*MentorSerializer.Meta.fields, "events", "objections", "allowed_actions"]
        read_only_fields = fields

    @extend_schema_field(AllowedActionSerializer(many=True))
    def get_allowed_actions(self, mentor) -> list[dict]:
        return [
            {"action": t.action, "label": str(t.label), "needs_reason": t.needs_reason}
            for t in allowed_actions(self.context["request"].user, mentor)
        ]


class _ProfileFields(serializers.Serializer):
    tier = serializers.ChoiceField(choices=MentorTier.choices)
    titles = serializers.ListField(
        child=serializers.ChoiceField(choices=MentorTitle.choices), required=False, default=list
    )
    qianming_batch = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("千名好支书 batch (1 to 3), with that title")
    )
    expertise = serializers.ListField(
        child=serializers.ChoiceField(choices=ContentArea.choices), required=False, default=list
    )
    specialties = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=20
    )
    capacity = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        allow_null=True,
        help_text=_("Apprentices at a time; the programme's rule for the tier when omitted"),
    )


class MentorNominateSerializer(_ProfileFields):
    programme = VisibleRecordField(queryset=Programme.objects.all())
    person = VisibleRecordField(queryset=Person.objects.all(), help_text=_("The cadre's id"))
    region = RegionCodeField(
        required=False, help_text=_("Home village or unit region code; the cadre's region when omitted")
    )
    self_nomination = serializers.BooleanField(
        default=False, help_text=_("True when the cadre applies themselves (个人自荐)")
    )
    nomination_statement = serializers.CharField(required=False, allow_blank=True, default="")
    recommending_unit = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class MentorProfileSerializer(_ProfileFields):
    tier = serializers.ChoiceField(choices=MentorTier.choices, required=False)
    titles = serializers.ListField(child=serializers.ChoiceField(choices=MentorTitle.choices), required=False)
    expertise = serializers.ListField(
        child=serializers.ChoiceField(choices=ContentArea.choices), required=False
    )
    specialties = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=20
    )
    capacity = serializers.IntegerField(min_value=1, max_value=100, required=False)


# The steps of the workflow (a subset of MentorAction); named in the schema as MentorTransitionEnum.
TRANSITION_CHOICES = [(t.action, t.label) for t in TRANSITIONS.values()]


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=TRANSITION_CHOICES)
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required to reject, suspend, retire or dismiss"),
    )


class ObjectionCreateSerializer(serializers.Serializer):
    content = serializers.CharField()
    raised_by = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ObjectionResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField()
