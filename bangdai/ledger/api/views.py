"""The ledger's API: entries with multipart evidence upload, their steps, evidence files, month figures and
复盘 reviews. Every queryset starts from ``visible_to``; the services decide every write."""

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.core.api.permissions import OWN_RECORDS, WriteRoles
from bangdai.core.api.viewsets import ScopedReadOnlyViewSet, ServiceErrorsMixin
from bangdai.core.filters import visible_region
from bangdai.core.views import stored_file_response
from bangdai.pairings.models import Pairing

from .. import selectors, services
from ..filtersets import ActivityApiFilterSet
from ..models import Activity, Evidence, Review
from .serializers import (
    ActivityCorrectSerializer,
    ActivityDetailSerializer,
    ActivityRecordSerializer,
    ActivityReviewSerializer,
    ActivitySerializer,
    ActivityVerifySerializer,
    ActivityWithdrawSerializer,
    LedgerMonthFiguresSerializer,
)

MONTHS_DEFAULT = 12


def _responds(summary, request=None, code=status.HTTP_200_OK):
    responses = {code: ActivityDetailSerializer}
    if request is None:
        responses[400] = ValidationErrorResponseSerializer
    return extend_schema(summary=summary, request=request, responses=responses)


def _month(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise serializers.ValidationError({"month": [_("Give a month as YYYY-MM.")]}) from None


@extend_schema_view(
    list=extend_schema(summary="Ledger entries of the pairings the caller may see"),
    retrieve=extend_schema(summary="One ledger entry with its evidence, history and reviews"),
)
class ActivityViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """The activity ledger (帮带台账): record, correct, confirm, withdraw and check entries."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {
        "create": {OWN_RECORDS},  # the mentor or the apprentice of the pairing, for themselves
        "confirm": {OWN_RECORDS},
        "correct": {OWN_RECORDS},
        "withdraw": {OWN_RECORDS},
        "verify": EDITING_ROLES,
    }
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    serializer_class = ActivitySerializer
    filterset_class = ActivityApiFilterSet
    ordering_fields = ["occurred_on", "created_at", "confirm_due"]
    ordering = ["-occurred_on", "-id"]

    def base_queryset(self):
        queryset = selectors.with_details(Activity.objects.all())
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("events__actor", "reviews")
        return queryset

    def get_serializer_class(self):
        return ActivitySerializer if self.action == "list" else ActivityDetailSerializer

    def _detail(self, activity, code=status.HTTP_200_OK):
        activity = self.base_queryset().prefetch_related("events__actor", "reviews").get(pk=activity.pk)
        return Response(
            ActivityDetailSerializer(activity, context=self.get_serializer_context()).data, status=code
        )

    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return dict(body.validated_data)

    @_responds("Record an activity (multipart with files, or JSON without)", ActivityRecordSerializer, 201)
    def create(self, request, *args, **kwargs):
        data = self._body(ActivityRecordSerializer)
        activity = services.record_activity(actor=request.user, **data)
        return self._detail(activity, status.HTTP_201_CREATED)

    @_responds("Confirm an entry of the other party, within the programme's window")
    @action(detail=True, methods=["post"], filterset_class=None)
    def confirm(self, request, pk=None):
        activity = services.confirm_activity(actor=request.user, activity=self.get_object())
        return self._detail(activity)

    @_responds(
        "Correct one's own entry (a note is required once it was confirmed or checked)",
        ActivityCorrectSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def correct(self, request, pk=None):
        activity = services.correct_activity(
            actor=request.user, activity=self.get_object(), **self._body(ActivityCorrectSerializer)
        )
        return self._detail(activity)

    @_responds("Withdraw one's own entry before it is confirmed", ActivityWithdrawSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def withdraw(self, request, pk=None):
        activity = services.withdraw_activity(
            actor=request.user, activity=self.get_object(), **self._body(ActivityWithdrawSerializer)
        )
        return self._detail(activity)

    @_responds(
        "Mark an entry verified or questionable, with a note (township committee, organisation)",
        ActivityVerifySerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def verify(self, request, pk=None):
        activity = services.verify_activity(
            actor=request.user, activity=self.get_object(), **self._body(ActivityVerifySerializer)
        )
        return self._detail(activity)

    @extend_schema(
        summary="An evidence file of the entry (its thumbnail with ?thumbnail=1)",
        parameters=[OpenApiParameter("thumbnail", bool, required=False)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"evidence/(?P<evidence_id>\d+)",
        url_name="evidence",
        filterset_class=None,
        pagination_class=None,
    )
    def evidence(self, request, pk=None, evidence_id=None):
        activity = self.get_object()
        evidence = get_object_or_404(Evidence.objects.filter(activity=activity), pk=evidence_id)
        thumbnail = request.query_params.get("thumbnail") in ("1", "true")
        return stored_file_response(
            evidence.thumbnail if thumbnail else evidence.file,
            content_type="image/jpeg" if thumbnail else evidence.content_type,
            filename=evidence.name,
            attachment=not evidence.is_image,
        )

    @extend_schema(summary="Entries of the other party waiting for the caller's confirmation")
    @action(detail=False, methods=["get"], url_path="to-confirm", filterset_class=None)
    def to_confirm(self, request):
        queryset = selectors.with_details(selectors.awaiting_my_confirmation(request.user))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(
        summary="Month figures of a region's subtree (optionally per child region) or of one pairing",
        parameters=[
            OpenApiParameter("region", str, required=False, description="A region code the caller may see"),
            OpenApiParameter("pairing", int, required=False, description="A pairing id the caller may see"),
            OpenApiParameter(
                "from", str, required=False, description="First month, YYYY-MM (11 months back)"
            ),
            OpenApiParameter("to", str, required=False, description="Last month, YYYY-MM (this month)"),
            OpenApiParameter("by_child", bool, required=False, description="One series per child region"),
        ],
        responses={200: LedgerMonthFiguresSerializer(many=True), 400: ValidationErrorResponseSerializer},
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def months(self, request):
        today = timezone.localdate()
        last = _month(request.query_params.get("to"), today)
        first = _month(request.query_params.get("from"), selectors.months_back(last, MONTHS_DEFAULT))
        if first > last:
            raise serializers.ValidationError({"from": [_("The first month comes before the last.")]})
        pairing_id = request.query_params.get("pairing")
        code = request.query_params.get("region")
        if pairing_id:
            if not pairing_id.isdigit():
                raise Http404
            pairing = get_object_or_404(Pairing.objects.visible_to(request.user), pk=pairing_id)
            rows = [
                {"month": f.month, **_figures(f)}
                for f in selectors.pairing_month_series(pairing, first, last, today=today)
            ]
            return Response(rows)
        if not code:
            raise serializers.ValidationError({"region": [_("Give a region or a pairing.")]})
        region = visible_region(request.user, code.strip())
        # Counts cover what the caller may see: the whole subtree when they govern it, else their own pairings.
        scoped = (
            None if request.user.scope.governs(region.path) else Activity.objects.visible_to(request.user)
        )
        if request.query_params.get("by_child") in ("1", "true"):
            rows = [
                {"month": r.figures.month, "region": r.region.code, **_figures(r.figures)}
                for r in selectors.region_months(
                    region, first, last, by_child=True, today=today, activities=scoped
                )
            ]
        else:
            rows = [
                {"month": f.month, **_figures(f)}
                for f in selectors.region_month_series(region, first, last, today=today, activities=scoped)
            ]
        return Response(rows)


def _figures(figures) -> dict:
    return {
        **{name: getattr(figures, name) for name in selectors.FIGURES},
        "confirmed_share": figures.confirmed_share,
    }


@extend_schema_view(
    list=extend_schema(summary="复盘 reviews of the pairings the caller may see"),
    retrieve=extend_schema(summary="One 复盘 review"),
    create=extend_schema(summary="The mentor writes a 复盘 over activities of the pairing"),
)
class ReviewViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """复盘 reviews (复盘提高): lessons and next steps over activities of one pairing."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {"create": {OWN_RECORDS}}
    serializer_class = ActivityReviewSerializer
    ordering = ["-created_at", "-id"]
    filterset_fields = ["pairing"]

    def get_queryset(self):
        return (
            Review.objects.visible_to(self.request.user)
            .select_related("written_by")
            .prefetch_related("activities")
        )

    def perform_create(self, serializer):
        serializer.instance = services.write_review(actor=self.request.user, **serializer.validated_data)
