import datetime as dt

import django_filters
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.core.api.fields import without_private
from bangdai.core.api.permissions import OWN_RECORDS, WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet
from bangdai.core.filters import RegionSubtreeFilter
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.programmes.versions import PolicyBook

from .. import services
from ..choices import PlanStatus
from ..models import MentoringPlan, PlanEvent, PlanGoal
from ..selectors import plans_overdue
from .serializers import (
    CommentSerializer,
    CreatePlanSerializer,
    GoalMetSerializer,
    GoalsBodySerializer,
    OverdueSerializer,
    PlanDetailSerializer,
    PlanSerializer,
    ReturnSerializer,
    ReviseSerializer,
    goal_data,
)
from .steps import StepsMixin, responds


class PlanFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    pairing = django_filters.NumberFilter(field_name="pairing_id", label=_("Pairing id"))
    programme = django_filters.NumberFilter(field_name="pairing__programme_id", label=_("Programme id"))
    apprentice = django_filters.NumberFilter(field_name="pairing__apprentice_id", label=_("Apprentice id"))
    region = RegionSubtreeFilter(
        region_field="pairing__region", label=_("Apprentice's workplace region (its whole subtree)")
    )

    class Meta:
        model = MentoringPlan
        fields = ["status", "pairing", "programme", "apprentice", "region"]


def _members():
    return Prefetch(
        "pairing__members",
        queryset=PairingMentor.objects.select_related("mentor__person").defer(
            *without_private("mentor__person")
        ),
    )


_responds = responds(PlanDetailSerializer)


@extend_schema_view(
    list=extend_schema(summary="Plans of the pairings the caller governs, and the caller's own"),
    retrieve=extend_schema(summary="One plan with its goals, every submitted revision and its events"),
)
class PlanViewSet(StepsMixin, ScopedModelViewSet):
    """Mentoring plans (帮带计划): the mentor drafts and submits; the township committee approves or returns."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {
        "create": {OWN_RECORDS},
        "partial_update": {OWN_RECORDS},
        "submit": {OWN_RECORDS},
        "revise": {OWN_RECORDS},
        "goal": {OWN_RECORDS},
        "approve": EDITING_ROLES,
        "return_plan": EDITING_ROLES,
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    detail_serializer_class = PlanDetailSerializer
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    ordering_fields = ["created_at", "submitted_at", "status"]
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        queryset = (
            MentoringPlan.objects.select_related("pairing__apprentice__person", "pairing__region")
            .defer(*without_private("pairing__apprentice__person"))
            .prefetch_related(_members())
            .annotate(
                goals_total=Count("goals", distinct=True),
                goals_met=Count("goals", filter=Q(goals__achieved_on__isnull=False), distinct=True),
            )
        )
        if self.action not in ("list", "overdue"):
            queryset = queryset.prefetch_related(
                Prefetch("goals", queryset=PlanGoal.objects.order_by("position", "pk")),
                "revisions__submitted_by",
                "revisions__decided_by",
                Prefetch("events", queryset=PlanEvent.objects.select_related("actor")),
            )
        return queryset

    def get_serializer_class(self):
        return PlanSerializer if self.action == "list" else PlanDetailSerializer

    def _plan(self):
        plan = self.get_object()
        plan.pairing = Pairing.objects.select_related("region", "apprentice").get(pk=plan.pairing_id)
        return plan

    @_responds("Draft the plan of one of the caller's pairings (as its mentor)", CreatePlanSerializer, 201)
    def create(self, request, *args, **kwargs):
        body = self._body(CreatePlanSerializer)
        plan = services.create(
            actor=request.user,
            pairing=body["pairing"],
            summary=body["summary"],
            goals=goal_data(body["goals"]),
        )
        return self._detail(plan, status.HTTP_201_CREATED)

    @_responds(
        "Change a draft or a returned plan: its overall aim and its goals (the list replaces them)",
        GoalsBodySerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        plan = self._plan()
        body = self._body(GoalsBodySerializer)
        summary = body["summary"] if "summary" in request.data else plan.summary
        goals = goal_data(body["goals"]) if "goals" in request.data else self._current_goals(plan)
        plan = services.save_draft(actor=request.user, plan=plan, summary=summary, goals=goals)
        return self._detail(plan)

    def _current_goals(self, plan):
        return [
            services.GoalData(g.content_area, g.description, g.measurable_target, g.due_on, g.pk)
            for g in plan.goals.order_by("position", "pk")
        ]

    @_responds("Submit the plan for approval (the revision is kept as submitted)", CommentSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def submit(self, request, pk=None):
        plan = services.submit(actor=request.user, plan=self._plan(), **self._body(CommentSerializer))
        return self._detail(plan)

    @_responds("Revise an approved plan: a new revision, submitted at once", ReviseSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def revise(self, request, pk=None):
        body = self._body(ReviseSerializer)
        plan = services.revise(
            actor=request.user,
            plan=self._plan(),
            summary=body["summary"],
            goals=goal_data(body["goals"]),
            comment=body["comment"],
        )
        return self._detail(plan)

    @_responds(
        "Approve the submitted revision (township committee or organisation department)", CommentSerializer
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request, pk=None):
        plan = services.approve(actor=request.user, plan=self._plan(), **self._body(CommentSerializer))
        return self._detail(plan)

    @_responds("Return the submitted revision to the mentor with comments", ReturnSerializer)
    @action(detail=True, methods=["post"], filterset_class=None, url_path="return", url_name="return")
    def return_plan(self, request, pk=None):
        plan = services.return_plan(actor=request.user, plan=self._plan(), **self._body(ReturnSerializer))
        return self._detail(plan)

    @_responds("Mark a goal of an approved plan as met, or reopen it (the mentor)", GoalMetSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def goal(self, request, pk=None):
        plan = self._plan()
        body = self._body(GoalMetSerializer)
        goal = PlanGoal.objects.filter(plan=plan, pk=body["goal"]).first()
        if goal is None:
            raise serializers.ValidationError({"goal": [_("This plan has no such goal.")]})
        goal.plan = plan
        services.set_goal_met(
            actor=request.user, goal=goal, met=body["met"], on=body["on"], note=body["note"]
        )
        return self._detail(plan)

    @extend_schema(
        summary="Running pairings the caller sees whose plan is overdue (none submitted or approved by the deadline)",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="The day to judge on (default today)")
        ],
        responses={200: OverdueSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def overdue(self, request):
        day = request.query_params.get("date")
        try:
            today = dt.date.fromisoformat(day) if day else timezone.localdate()
        except ValueError:
            raise serializers.ValidationError({"date": [_("Give the date as YYYY-MM-DD.")]}) from None
        pairings = (
            plans_overdue(Pairing.objects.visible_to(request.user), today)
            .select_related("apprentice__person", "region", "plan")
            .defer(*without_private("apprentice__person"))
            .order_by("start_date", "pk")
        )
        page = self.paginate_queryset(pairings)
        context = {**self.get_serializer_context(), "policies": PolicyBook(page)}
        serializer = OverdueSerializer(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)
