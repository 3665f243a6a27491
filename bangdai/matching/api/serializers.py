from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.core.api.fields import RegionCodeField, VisibleRecordField
from bangdai.programmes.choices import MentorTier
from bangdai.programmes.models import Programme

from .. import services
from ..choices import Criterion
from ..models import MatchPair, MatchRun, MatchUnpaired


def _pairs():
    return serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        required=False,
        help_text=_("[[apprentice id, mentor id], …]"),
    )


class ParamsSerializer(serializers.Serializer):
    """A run's parameters; each is optional and defaults to the programme's rules."""

    weights = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        required=False,
        help_text=_("Weight of each criterion: %(names)s") % {"names": ", ".join(Criterion.values)},
    )
    max_distance_km = serializers.IntegerField(min_value=1, max_value=500, required=False)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=ApprenticeCategory.choices), required=False
    )
    tiers = serializers.ListField(child=serializers.ChoiceField(choices=MentorTier.choices), required=False)
    exclude_apprentices = serializers.ListField(child=serializers.IntegerField(), required=False)
    exclude_mentors = serializers.ListField(child=serializers.IntegerField(), required=False)
    pinned = _pairs()
    forbidden = _pairs()


class StartSerializer(ParamsSerializer):
    programme = VisibleRecordField(queryset=Programme.objects.all())
    region = RegionCodeField(
        required=False, help_text=_("County or township code; the programme's region if left out")
    )
    background = serializers.BooleanField(default=True)


class AdjustSerializer(serializers.Serializer):
    pin = _pairs()
    unpin = _pairs()
    forbid = _pairs()
    exclude_apprentices = serializers.ListField(child=serializers.IntegerField(), required=False)
    exclude_mentors = serializers.ListField(child=serializers.IntegerField(), required=False)
    params = ParamsSerializer(required=False, help_text=_("Changed weights or distance for the new run"))
    background = serializers.BooleanField(default=True)


class AcceptSerializer(serializers.Serializer):
    background = serializers.BooleanField(required=False, allow_null=True, default=None)


class MatchRunSerializer(serializers.ModelSerializer):
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    error_message = serializers.SerializerMethodField()

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "programme",
            "programme_name",
            "number",
            "region",
            "region_name",
            "parent",
            "status",
            "status_display",
            "summary",
            "error",
            "error_message",
            "job",
            "created_at",
            "finished_at",
            "decided_at",
        ]

    def get_error_message(self, run) -> str:
        return services.error_message(run) if run.error else ""


class MatchRunDetailSerializer(MatchRunSerializer):
    class Meta(MatchRunSerializer.Meta):
        fields = [*MatchRunSerializer.Meta.fields, "params"]


class MatchPairSerializer(serializers.ModelSerializer):
    apprentice_name = serializers.CharField(source="apprentice.person.name", read_only=True)
    mentor_name = serializers.CharField(source="mentor.person.name", read_only=True)
    runner_up_name = serializers.CharField(source="runner_up.person.name", read_only=True, default=None)
    why_display = serializers.CharField(source="get_why_display", read_only=True)

    class Meta:
        model = MatchPair
        fields = [
            "id",
            "apprentice",
            "apprentice_name",
            "mentor",
            "mentor_name",
            "score",
            "breakdown",
            "distance_km",
            "pinned",
            "runner_up",
            "runner_up_name",
            "runner_up_score",
            "runner_up_breakdown",
            "why",
            "why_display",
        ]


class MatchUnpairedSerializer(serializers.ModelSerializer):
    apprentice_name = serializers.CharField(source="apprentice.person.name", read_only=True)
    reason_display = serializers.CharField(source="get_reason_display", read_only=True)

    class Meta:
        model = MatchUnpaired
        fields = [
            "id",
            "apprentice",
            "apprentice_name",
            "reason",
            "reason_display",
            "blocked_by",
            "feasible_mentors",
            "suggestion",
        ]
