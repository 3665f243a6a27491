from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.accounts.choices import Role
from bangdai.core.api.fields import without_private
from bangdai.core.api.permissions import OWN_RECORDS, WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet
from bangdai.regions.models import Region

from .. import selectors, services
from ..filtersets import AllianceApiFilterSet, PlanApiFilterSet
from ..models import Alliance, AllianceEvent, AllianceMember, PlanRun
from .serializers import (
    AdoptSerializer,
    AllianceDetailSerializer,
    AllianceSerializer,
    DissolveSerializer,
    DropSerializer,
    FollowingSerializer,
    FormSerializer,
    JointActivitySerializer,
    LeaveSerializer,
    MoveSerializer,
    PlanRunDetailSerializer,
    PlanRunSerializer,
    PlanStartSerializer,
    RecordSerializer,
    UpdateSerializer,
    VillagesSerializer,
)

ORG_ADMIN = {Role.ORG_ADMIN}


def _errors(summary, request=None, code=status.HTTP_200_OK, response=AllianceDetailSerializer):
    return extend_schema(
        summary=summary, request=request, responses={code: response, 400: ValidationErrorResponseSerializer}
    )


class _BodyMixin:
    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return body.validated_data


@extend_schema_view(
    list=extend_schema(
        summary="Alliances organised in, or with villages in, the caller's regions; and those led"
    ),
    retrieve=extend_schema(summary="One alliance with its members, goals, targets and events"),
)
class AllianceViewSet(_BodyMixin, ScopedModelViewSet):
    """Radiation alliances (党建联盟): villages around a mentor's village, their goals and joint activities."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {
        **{a: ORG_ADMIN for a in ("create", "partial_update", "activate", "dissolve", "members", "leave")},
        "activities": ORG_ADMIN | {OWN_RECORDS},  # the lead mentor records joint activities too
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = AllianceSerializer
    filterset_class = AllianceApiFilterSet
    ordering = ["-founded_on", "-id"]

    def base_queryset(self):
        queryset = (
            Alliance.objects.select_related("region", "hub", "lead_mentor__person")
            .defer(*without_private("lead_mentor__person"))
            .prefetch_related(Prefetch("members", queryset=AllianceMember.objects.select_related("village")))
        )
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=AllianceEvent.objects.select_related("actor", "village"))
            )
        return queryset

    def get_serializer_class(self):
        return AllianceSerializer if self.action == "list" else AllianceDetailSerializer

    def _managed(self) -> Alliance:
        """The alliance of the URL (404 out of scope), then 403 unless the caller manages it: before the body is
        read, so a request naming a village out of the caller's scope is refused for what it is first."""
        alliance = self.get_object()
        if not services.can_manage(self.request.user, alliance):
            raise PermissionDenied(
                _("Only the organisation department that formed the alliance may change it.")
            )
        return alliance

    def _detail(self, alliance, code=status.HTTP_200_OK):
        alliance = self.base_queryset().get(pk=alliance.pk)
        return Response(AllianceDetailSerializer(alliance).data, status=code)

    @_errors("Form an alliance (it starts as forming)", FormSerializer, 201)
    def create(self, request, *args, **kwargs):
        data = self._body(FormSerializer)
        if data["lead_mentor"] is None:
            data["lead_mentor"] = selectors.lead_by_village([data["hub"].pk]).get(data["hub"].pk)
            if data["lead_mentor"] is None:
                raise ValidationError(
                    {"lead_mentor": [_("No appointed mentor leading no alliance lives in this village.")]}
                )
        alliance = services.form_alliance(actor=request.user, **data)
        return self._detail(alliance, status.HTTP_201_CREATED)

    @_errors("Change the name, theme, shared goals or targets", UpdateSerializer)
    def partial_update(self, request, *args, **kwargs):
        alliance = self._managed()
        alliance = services.update_alliance(request.user, alliance, **self._body(UpdateSerializer))
        return self._detail(alliance)

    @_errors("Start a forming alliance (its shared goals must be written)")
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._detail(services.activate(request.user, self._managed()))

    @_errors("Dissolve the alliance; its villages are free to join another", DissolveSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        alliance = self._managed()
        return self._detail(
            services.dissolve(request.user, alliance, self._body(DissolveSerializer)["reason"])
        )

    @_errors("Villages join the alliance", VillagesSerializer)
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        alliance = self._managed()
        services.add_members(request.user, alliance, self._body(VillagesSerializer)["villages"])
        return self._detail(alliance)

    @_errors("A member village leaves the alliance", LeaveSerializer)
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        alliance = self._managed()
        data = self._body(LeaveSerializer)
        village = Region.objects.current().filter(code=str(data["village"]).strip()).first()
        if village is None:
            raise ValidationError({"village": [_("No current region has this code.")]})
        services.remove_member(request.user, alliance, village, data["reason"])
        return self._detail(alliance)

    @extend_schema(
        methods=["GET"],
        summary="The alliance's joint activities",
        responses={200: JointActivitySerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a joint activity with evidence files (multipart)",
        request={"multipart/form-data": RecordSerializer, "application/json": RecordSerializer},
        responses={201: JointActivitySerializer, 400: ValidationErrorResponseSerializer},
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def activities(self, request, pk=None):
        alliance = self.get_object()
        if request.method == "POST" and not services.can_record(request.user, alliance):
            raise PermissionDenied(
                _("Only the organising department and the lead mentor record joint activities.")
            )
        if request.method == "GET":
            rows = alliance.activities.select_related("recorded_by").prefetch_related("villages", "evidence")
            page = self.paginate_queryset(rows)
            data = JointActivitySerializer(page if page is not None else rows, many=True).data
            return self.get_paginated_response(data) if page is not None else Response(data)
        body = RecordSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if hasattr(request.data, "getlist"):
            data["files"] = request.FILES.getlist("files")
            data["villages"] = request.data.getlist("villages") or data["villages"]
        codes = {str(c).strip() for c in data.pop("villages")}
        villages = list(Region.objects.current().filter(code__in=codes))
        if len(villages) != len(codes):
            raise ValidationError({"villages": [_("Give the codes of member villages.")]})
        activity = services.record_activity(actor=request.user, alliance=alliance, villages=villages, **data)
        activity = alliance.activities.prefetch_related("villages", "evidence").get(pk=activity.pk)
        return Response(JointActivitySerializer(activity).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="How each member village is doing: joint activities and mentoring activities located there",
        responses={200: FollowingSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def following(self, request, pk=None):
        has_ledger, rows = selectors.member_activity(self.get_object(), request.user)
        return Response({"ledger": has_ledger, "villages": FollowingSerializer(rows, many=True).data})


def _plan_response(run, code=status.HTTP_200_OK) -> Response:
    run = PlanRun.objects.select_related("region").get(pk=run.pk)
    return Response(PlanRunDetailSerializer(run).data, status=code)


@extend_schema_view(
    list=extend_schema(summary="Alliance plans of the cities and counties the caller governs"),
    retrieve=extend_schema(
        summary="One plan: parameters, solver figures, proposed alliances, unplaced villages"
    ),
)
class PlanRunViewSet(_BodyMixin, mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Alliance plans (联盟规划): capacitated p-median proposals, solved exactly with HiGHS, edited and adopted."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {a: ORG_ADMIN for a in ("create", "move", "drop_hub", "adopt", "discard")}
    serializer_class = PlanRunSerializer
    filterset_class = PlanApiFilterSet
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        return PlanRun.objects.select_related("region")

    def get_serializer_class(self):
        return PlanRunSerializer if self.action == "list" else PlanRunDetailSerializer

    @extend_schema(
        summary="Plan a city's or county's alliances (queued as a job unless background is false)",
        request=PlanStartSerializer,
        responses={
            201: PlanRunDetailSerializer,
            202: PlanRunDetailSerializer,
            400: ValidationErrorResponseSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        data = self._body(PlanStartSerializer)
        area, background = data.pop("region"), data.pop("background")
        run = services.start(actor=request.user, area=area, params=data, background=background)
        return _plan_response(run, status.HTTP_202_ACCEPTED if background else status.HTTP_201_CREATED)

    def _planned(self) -> PlanRun:
        run = self.get_object()
        if not services.can_plan(self.request.user, run.region):
            raise PermissionDenied(
                _("Only the organisation department of the planned area changes its proposals.")
            )
        return run

    def _hub(self, run, code: str):
        hub = run.hubs.select_related("village").filter(village__code=str(code).strip()).first()
        if hub is None:
            raise ValidationError({"hub": [_("No proposed alliance of this plan has that hub village.")]})
        return hub

    @_errors(
        "Move a village into another proposed alliance", MoveSerializer, response=PlanRunDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        run = self._planned()
        data = self._body(MoveSerializer)
        row = (
            run.villages.select_related("village").filter(village__code=str(data["village"]).strip()).first()
        )
        if row is None:
            raise ValidationError({"village": [_("The village is not part of this plan.")]})
        services.move(actor=request.user, run=run, village=row.village, hub=self._hub(run, data["hub"]))
        return _plan_response(run)

    @_errors(
        "Drop a proposed alliance; its villages go to the nearest hubs with room",
        DropSerializer,
        response=PlanRunDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def drop_hub(self, request, pk=None):
        run = self._planned()
        services.drop_hub(actor=request.user, run=run, hub=self._hub(run, self._body(DropSerializer)["hub"]))
        return _plan_response(run)

    @_errors(
        "Adopt the proposal: every alliance is formed, or none",
        AdoptSerializer,
        response=PlanRunDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def adopt(self, request, pk=None):
        run = self._planned()
        services.adopt(actor=request.user, run=run, founded_on=self._body(AdoptSerializer)["founded_on"])
        return _plan_response(run)

    @_errors("Discard a proposal under review", response=PlanRunDetailSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        return _plan_response(services.discard(actor=request.user, run=self.get_object()))
