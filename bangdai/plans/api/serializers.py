"""Plan API bodies and representations: goals in, the plan with its goals, revisions and events out."""

import datetime as dt

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from bangdai.core.api.fields import VisibleRecordField
from bangdai.core.choices import ContentArea
from bangdai.pairings.models import Pairing
from bangdai.programmes.versions import days_after

from ..models import MentoringPlan, PlanEvent, PlanGoal, PlanRevision
from ..services import GoalData


class GoalSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_("An existing goal's id, to keep it (and whether it is met)"),
    )
    content_area = serializers.ChoiceField(choices=ContentArea.choices)

    class Meta:
        model = PlanGoal
        fields = [
            "id",
            "content_area",
            "description",
            "measurable_target",
            "due_on",
            "achieved_on",
            "achieved_note",
        ]
        read_only_fields = ["achieved_on", "achieved_note"]
        extra_kwargs = {"description": {"max_length": 1000}}


def goal_data(rows) -> list[GoalData]:
    return [
        GoalData(
            content_area=row["content_area"],
            description=row["description"],
            measurable_target=row["measurable_target"],
            due_on=row["due_on"],
            id=row.get("id"),
        )
        for row in rows
    ]


class RevisionSerializer(serializers.ModelSerializer):
    submitted_by = serializers.StringRelatedField()
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = PlanRevision
        fields = [
            "number",
            "summary",
            "goals",
            "submitted_by",
            "submitted_at",
            "comment",
            "decision",
            "decided_by",
            "decided_at",
            "decision_comment",
        ]
        read_only_fields = fields


class PlanEventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = PlanEvent
        fields = ["id", "action", "from_status", "to_status", "revision", "actor", "comment", "at"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    """A plan; cadres appear by name only."""

    apprentice_name = serializers.CharField(source="pairing.apprentice.person.name", read_only=True)
    mentor_names = serializers.SerializerMethodField()
    region = serializers.CharField(source="pairing.region.code", read_only=True)
    due_on = serializers.SerializerMethodField(help_text=_("The day the plan is due (start + plan_due_days)"))
    goals_total = serializers.IntegerField(read_only=True)
    goals_met = serializers.IntegerField(read_only=True)

    class Meta:
        model = MentoringPlan
        fields = [
            "id",
            "pairing",
            "apprentice_name",
            "mentor_names",
            "region",
            "status",
            "revision",
            "approved_revision",
            "due_on",
            "first_submitted_at",
            "submitted_at",
            "approved_at",
            "goals_total",
            "goals_met",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_mentor_names(self, plan) -> list[str]:
        return [m.mentor.person.name for m in plan.pairing.members.all()]

    def get_due_on(self, plan) -> dt.date | None:
        return days_after(plan.pairing.start_date, self.context["policies"][plan.pairing].plan_due_days)


class PlanDetailSerializer(PlanSerializer):
    goals = GoalSerializer(many=True, read_only=True)
    revisions = RevisionSerializer(many=True, read_only=True)
    events = PlanEventSerializer(many=True, read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [
            *PlanSerializer.Meta.fields,
            "summary",
            "required_frequencies",
            "goals",
            "revisions",
            "events",
        ]
        read_only_fields = fields


class GoalsBodySerializer(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    goals = GoalSerializer(many=True, required=False, default=list)


class CreatePlanSerializer(GoalsBodySerializer):
    pairing = VisibleRecordField(queryset=Pairing.objects.all())


class ReviseSerializer(GoalsBodySerializer):
    comment = serializers.CharField(max_length=2000, help_text=_("What changes in this revision and why"))


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, help_text=_("What the mentor should change"))


class GoalMetSerializer(serializers.Serializer):
    goal = serializers.IntegerField(help_text=_("The goal's id"))
    met = serializers.BooleanField(help_text=_("true: mark as met; false: reopen"))
    on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class OverdueSerializer(serializers.ModelSerializer):
    """A running pairing whose plan is overdue."""

    apprentice_name = serializers.CharField(source="apprentice.person.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    plan = serializers.SerializerMethodField()
    plan_status = serializers.SerializerMethodField()
    due_on = serializers.SerializerMethodField()

    class Meta:
        model = Pairing
        fields = ["id", "apprentice_name", "region", "start_date", "due_on", "plan", "plan_status"]
        read_only_fields = fields

    def _plan(self, pairing):
        return getattr(pairing, "plan", None)

    def get_plan(self, pairing) -> int | None:
        plan = self._plan(pairing)
        return plan.pk if plan else None

    def get_plan_status(self, pairing) -> str:
        plan = self._plan(pairing)
        return plan.status if plan else ""

    def get_due_on(self, pairing) -> dt.date | None:
        return days_after(pairing.start_date, self.context["policies"][pairing].plan_due_days)
