from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.accounts.choices import Role
from bangdai.core.api.fields import RegionCodeField, VisibleRecordField
from bangdai.mentors.models import Mentor

from .. import services
from ..choices import Qualification, Weighting
from ..models import Alliance, AllianceEvent, AllianceMember, JointActivity, JointEvidence, PlanRun

ORG_ADMIN = {Role.ORG_ADMIN}


class TargetSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200)
    value = serializers.FloatField(min_value=0)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    due = serializers.DateField(required=False, allow_null=True, default=None)


class MemberSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)

    class Meta:
        model = AllianceMember
        fields = ["village", "village_name", "is_hub", "joined_on", "left_on", "current"]
        read_only_fields = fields


class AllianceEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(read_only=True)
    village = serializers.CharField(source="village.code", read_only=True, default=None)

    class Meta:
        model = AllianceEvent
        fields = ["id", "action", "from_status", "to_status", "village", "actor", "reason", "at"]
        read_only_fields = fields


class AllianceSerializer(serializers.ModelSerializer):
    """An alliance; its lead mentor appears by name only."""

    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    hub = serializers.CharField(source="hub.code", read_only=True)
    hub_name = serializers.CharField(source="hub.name", read_only=True)
    lead_mentor_name = serializers.CharField(source="lead_mentor.person.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = Alliance
        fields = [
            "id",
            "name",
            "theme",
            "region",
            "region_name",
            "hub",
            "hub_name",
            "lead_mentor",
            "lead_mentor_name",
            "goals",
            "targets",
            "founded_on",
            "status",
            "status_display",
            "spans_counties",
            "plan",
            "dissolved_on",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_members(self, alliance) -> list[dict]:
        """The current member villages (the hub first)."""
        rows = [m for m in alliance.members.all() if m.current]
        return MemberSerializer(rows, many=True).data


class AllianceDetailSerializer(AllianceSerializer):
    events = AllianceEventSerializer(many=True, read_only=True)

    class Meta(AllianceSerializer.Meta):
        fields = [*AllianceSerializer.Meta.fields, "events"]
        read_only_fields = fields


class FormSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    theme = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    region = RegionCodeField(roles=ORG_ADMIN, help_text=_("The organising region (province, city or county)"))
    hub = RegionCodeField(roles=ORG_ADMIN, help_text=_("The hub village's code"))
    lead_mentor = VisibleRecordField(
        queryset=Mentor.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Mentor id; the hub village's appointed mentor if left out"),
    )
    members = serializers.ListField(
        child=RegionCodeField(roles=ORG_ADMIN), required=False, default=list, help_text=_("Village codes")
    )
    goals = serializers.CharField(required=False, allow_blank=True, default="")
    targets = TargetSerializer(many=True, required=False, default=list)
    founded_on = serializers.DateField(required=False, allow_null=True, default=None)


class UpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    theme = serializers.CharField(max_length=200, required=False, allow_blank=True)
    goals = serializers.CharField(required=False, allow_blank=True)
    targets = TargetSerializer(many=True, required=False)


class DissolveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class VillagesSerializer(serializers.Serializer):
    villages = serializers.ListField(child=RegionCodeField(roles=ORG_ADMIN), min_length=1)


class LeaveSerializer(serializers.Serializer):
    village = serializers.CharField(help_text=_("A member village's code"))
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = JointEvidence
        fields = ["id", "name", "content_type", "kind", "size"]
        read_only_fields = fields


class JointActivitySerializer(serializers.ModelSerializer):
    villages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    recorded_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = JointActivity
        fields = [
            "id",
            "occurred_on",
            "title",
            "summary",
            "villages",
            "evidence",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class RecordSerializer(serializers.Serializer):
    occurred_on = serializers.DateField()
    title = serializers.CharField(max_length=120)
    summary = serializers.CharField()
    villages = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text=_("Member village codes; all if empty"),
    )
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class FollowingSerializer(serializers.Serializer):
    village = serializers.CharField(source="member.village.code")
    village_name = serializers.CharField(source="member.village.name")
    is_hub = serializers.BooleanField(source="member.is_hub")
    joint_activities = serializers.IntegerField(source="joint")
    last_joint = serializers.DateField(allow_null=True)
    ledger_activities = serializers.IntegerField(source="ledger")
    last_ledger = serializers.DateField(allow_null=True)


# ---------------------------------------------------------------------------------------------------------------
# Plans


class PlanParamsSerializer(serializers.Serializer):
    """The planner's limits; each defaults to the area's (one alliance per 15 villages, 15 km, 20 villages)."""

    hubs_min = serializers.IntegerField(required=False)
    hubs_max = serializers.IntegerField(required=False)
    max_km = serializers.FloatField(required=False)
    max_size = serializers.IntegerField(required=False)
    time_limit = serializers.IntegerField(required=False)
    qualification = serializers.ChoiceField(choices=Qualification.choices, required=False)
    weighting = serializers.ChoiceField(choices=Weighting.choices, required=False)


class PlanStartSerializer(PlanParamsSerializer):
    region = RegionCodeField(roles=ORG_ADMIN, help_text=_("The city or county to plan"))
    background = serializers.BooleanField(default=True)


class MoveSerializer(serializers.Serializer):
    village = serializers.CharField(help_text=_("The village's code"))
    hub = serializers.CharField(help_text=_("The code of the hub village to move it to"))


class DropSerializer(serializers.Serializer):
    hub = serializers.CharField(help_text=_("The code of the hub village to drop"))


class AdoptSerializer(serializers.Serializer):
    founded_on = serializers.DateField(required=False, allow_null=True, default=None)


class PlanRunSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    error_message = serializers.SerializerMethodField()

    class Meta:
        model = PlanRun
        fields = [
            "id",
            "region",
            "region_name",
            "status",
            "status_display",
            "params",
            "summary",
            "error",
            "error_message",
            "job",
            "created_at",
            "finished_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_error_message(self, run) -> str:
        return services.error_message(run) if run.error else ""


class PlanRunDetailSerializer(PlanRunSerializer):
    hubs = serializers.SerializerMethodField()
    unplaced = serializers.SerializerMethodField()
    alliances = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(PlanRunSerializer.Meta):
        fields = [*PlanRunSerializer.Meta.fields, "hubs", "unplaced", "alliances"]
        read_only_fields = fields

    def get_hubs(self, run) -> list[dict]:
        """The proposed alliances: hub village, lead mentor and member villages with their road km."""
        hubs = {
            h.pk: {
                "village": h.village.code,
                "village_name": h.village.name,
                "mentor": h.mentor_id,
                "mentor_name": h.mentor.person.name,
                "villages": [],
            }
            for h in run.hubs.select_related("village", "mentor__person").order_by("village__path")
        }
        for row in run.villages.filter(hub__isnull=False).select_related("village").order_by("village__path"):
            hubs[row.hub_id]["villages"].append(
                {"village": row.village.code, "name": row.village.name, "km": row.km, "moved": row.moved}
            )
        return list(hubs.values())

    def get_unplaced(self, run) -> list[dict]:
        """Villages in no proposed alliance, why, and the nearest qualified hub."""
        rows = (
            run.villages.filter(hub__isnull=True)
            .select_related("village", "nearest")
            .order_by("village__path")
        )
        return [
            {
                "village": r.village.code,
                "name": r.village.name,
                "reason": r.reason,
                "nearest": r.nearest.code if r.nearest else None,
                "nearest_km": r.nearest_km,
            }
            for r in rows
        ]
