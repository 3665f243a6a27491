from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.core.api.fields import without_private
from bangdai.core.api.permissions import WriteRoles
from bangdai.core.api.viewsets import ScopedReadOnlyViewSet
from bangdai.jobs.api.serializers import JobSerializer
from bangdai.jobs.models import Job

from .. import services
from ..models import MatchRun
from .serializers import (
    AcceptSerializer,
    AdjustSerializer,
    MatchPairSerializer,
    MatchRunDetailSerializer,
    MatchRunSerializer,
    MatchUnpairedSerializer,
    StartSerializer,
)

PARAM_KEYS = (
    "weights",
    "max_distance_km",
    "categories",
    "tiers",
    "exclude_apprentices",
    "exclude_mentors",
    "pinned",
    "forbidden",
)


def _run_response(run: MatchRun, code=status.HTTP_200_OK) -> Response:
    run = MatchRun.objects.select_related("programme", "region").get(pk=run.pk)
    return Response(MatchRunDetailSerializer(run).data, status=code)


@extend_schema_view(
    list=extend_schema(summary="Matching runs for areas the caller governs"),
    retrieve=extend_schema(summary="One run: parameters, summary figures, or why it could not be solved"),
)
class MatchRunViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Matching runs (智能匹配): optimal mentor-apprentice proposals, reviewed and adjusted before acceptance."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {action: EDITING_ROLES for action in ("create", "adjust", "accept", "discard")}
    serializer_class = MatchRunSerializer
    filterset_fields = {"programme": ["exact"], "status": ["exact"]}
    filterset_class = None  # the @action overrides below need the attribute to exist
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        return MatchRun.objects.select_related("programme", "region")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return MatchRunDetailSerializer
        if self.action == "create":
            return StartSerializer
        return super().get_serializer_class()

    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return body.validated_data

    @extend_schema(
        summary="Start a run (solved by a task worker unless background is false)",
        request=StartSerializer,
        responses={
            201: MatchRunDetailSerializer,
            202: MatchRunDetailSerializer,
            400: ValidationErrorResponseSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        data = self._body(StartSerializer)
        params = {k: data[k] for k in PARAM_KEYS if k in data}
        run = services.start(
            actor=request.user,
            programme=data["programme"],
            area=data.get("region"),
            params=params,
            background=data["background"],
        )
        return _run_response(run, status.HTTP_202_ACCEPTED if data["background"] else status.HTTP_201_CREATED)

    @extend_schema(
        summary="The proposed pairs with scores, breakdowns and runner-ups",
        responses=MatchPairSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, filterset_fields=None)
    def pairs(self, request, pk=None):
        run = self.get_object()
        pairs = run.pairs.select_related("apprentice__person", "mentor__person", "runner_up__person").defer(
            *without_private("apprentice__person"),
            *without_private("mentor__person"),
            *without_private("runner_up__person"),
        )
        page = self.paginate_queryset(pairs)
        return self.get_paginated_response(MatchPairSerializer(page, many=True).data)

    @extend_schema(
        summary="Apprentices left unpaired, why, and what would change it",
        responses=MatchUnpairedSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, filterset_fields=None)
    def unpaired(self, request, pk=None):
        run = self.get_object()
        rows = run.unpaired.select_related("apprentice__person").defer(*without_private("apprentice__person"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MatchUnpairedSerializer(page, many=True).data)

    @extend_schema(
        summary="Re-run with pairs pinned, forbidden (removed) or unpinned, records left out, or weights changed",
        request=AdjustSerializer,
        responses={
            202: MatchRunDetailSerializer,
            201: MatchRunDetailSerializer,
            400: ValidationErrorResponseSerializer,
        },
    )
    @action(detail=True, methods=["post"], filterset_class=None, filterset_fields=None)
    def adjust(self, request, pk=None):
        run = self.get_object()
        data = self._body(AdjustSerializer)
        new = services.adjust(
            actor=request.user,
            run=run,
            pin=data.get("pin", []),
            unpin=data.get("unpin", []),
            forbid=data.get("forbid", []),
            exclude_apprentices=data.get("exclude_apprentices", []),
            exclude_mentors=data.get("exclude_mentors", []),
            params=data.get("params") or {},
            background=data["background"],
        )
        return _run_response(new, status.HTTP_202_ACCEPTED if data["background"] else status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept: every pair becomes a proposed pairing, or none does",
        request=AcceptSerializer,
        responses={200: MatchRunDetailSerializer, 202: JobSerializer, 400: ValidationErrorResponseSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None, filterset_fields=None)
    def accept(self, request, pk=None):
        run = self.get_object()
        result = services.accept(
            actor=request.user, run=run, background=self._body(AcceptSerializer)["background"]
        )
        if isinstance(result, Job):
            return Response(JobSerializer(result).data, status=status.HTTP_202_ACCEPTED)
        return _run_response(run)

    @extend_schema(
        summary="Discard a run under review", request=None, responses={200: MatchRunDetailSerializer}
    )
    @action(detail=True, methods=["post"], filterset_class=None, filterset_fields=None)
    def discard(self, request, pk=None):
        run = services.discard(actor=request.user, run=self.get_object())
        return _run_response(run)
