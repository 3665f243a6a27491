import django_filters
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated

from bangdai.core.api.fields import without_private
from bangdai.core.api.permissions import OWN_RECORDS, WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet
from bangdai.core.choices import ContentArea
from bangdai.core.filters import RegionSubtreeFilter
from bangdai.core.views import stored_file_response
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.plans.api.steps import StepsMixin, responds

from .. import services
from ..choices import AssignmentStatus, Flag
from ..models import Assignment, AssignmentEvent, Submission, SubmissionFile
from ..selectors import assignments_overdue, reviews_overdue
from .serializers import (
    AssignmentDetailSerializer,
    AssignmentSerializer,
    IssueSerializer,
    ReviewSerializer,
    SubmitSerializer,
    WithdrawSerializer,
)


class AssignmentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AssignmentStatus.choices)
    flag = django_filters.ChoiceFilter(choices=Flag.choices, method="filter_flag")
    content_area = django_filters.ChoiceFilter(choices=ContentArea.choices)
    pairing = django_filters.NumberFilter(field_name="pairing_id", label=_("Pairing id"))
    programme = django_filters.NumberFilter(field_name="pairing__programme_id", label=_("Programme id"))
    apprentice = django_filters.NumberFilter(field_name="pairing__apprentice_id", label=_("Apprentice id"))
    region = RegionSubtreeFilter(
        region_field="pairing__region", label=_("Apprentice's workplace region (its whole subtree)")
    )

    class Meta:
        model = Assignment
        fields = ["status", "flag", "content_area", "pairing", "programme", "apprentice", "region"]

    def filter_flag(self, queryset, name, value):
        today = timezone.localdate()
        return (
            assignments_overdue(queryset, today)
            if value == Flag.OVERDUE
            else reviews_overdue(queryset, today)
        )


_responds = responds(AssignmentDetailSerializer)


@extend_schema_view(
    list=extend_schema(summary="Assignments of the pairings the caller governs, and the caller's own"),
    retrieve=extend_schema(summary="One assignment with every submission, its files, the review and events"),
)
class AssignmentViewSet(StepsMixin, ScopedModelViewSet):
    """Assignments (布置作业): the mentor sets and reviews them, the apprentice submits answers and files."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {
        "create": {OWN_RECORDS},
        "submit": {OWN_RECORDS},
        "review": {OWN_RECORDS},
        "withdraw": {OWN_RECORDS},
    }
    http_method_names = ["get", "post", "head", "options"]
    detail_serializer_class = AssignmentDetailSerializer
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet
    ordering_fields = ["issued_at", "due_on", "status", "score"]
    ordering = ["-issued_at", "-id"]

    def base_queryset(self):
        members = PairingMentor.objects.select_related("mentor__person").defer(
            *without_private("mentor__person")
        )
        queryset = (
            Assignment.objects.select_related("pairing__apprentice__person", "pairing__region", "issued_by")
            .defer(*without_private("pairing__apprentice__person"))
            .prefetch_related(Prefetch("pairing__members", queryset=members))
        )
        if self.action not in ("list", "file"):
            submissions = Submission.objects.select_related("submitted_by").prefetch_related("files")
            queryset = queryset.select_related("reviewed_by").prefetch_related(
                Prefetch("submissions", queryset=submissions.order_by("-number")),
                Prefetch("events", queryset=AssignmentEvent.objects.select_related("actor")),
            )
        return queryset

    def get_serializer_class(self):
        return AssignmentSerializer if self.action == "list" else AssignmentDetailSerializer

    def _assignment(self):
        assignment = self.get_object()
        assignment.pairing = Pairing.objects.select_related("region", "apprentice").get(
            pk=assignment.pairing_id
        )
        return assignment

    @_responds(
        "Set an assignment on one of the caller's running pairings (as its mentor)", IssueSerializer, 201
    )
    def create(self, request, *args, **kwargs):
        assignment = services.issue(actor=request.user, **self._body(IssueSerializer))
        return self._detail(assignment, status.HTTP_201_CREATED)

    @_responds(
        "Submit an answer with files (the apprentice; again before the review replaces it)", SubmitSerializer
    )
    @action(
        detail=True,
        methods=["post"],
        filterset_class=None,
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def submit(self, request, pk=None):
        assignment = self._assignment()
        body = self._body(SubmitSerializer)
        services.submit(actor=request.user, assignment=assignment, text=body["text"], files=body["files"])
        return self._detail(assignment)

    @_responds(
        "Review the latest submission with feedback and a score from 0 to 100 (the mentor)", ReviewSerializer
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def review(self, request, pk=None):
        assignment = services.review(
            actor=request.user, assignment=self._assignment(), **self._body(ReviewSerializer)
        )
        return self._detail(assignment)

    @_responds("Withdraw an assignment that has not been reviewed (the mentor)", WithdrawSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def withdraw(self, request, pk=None):
        assignment = services.withdraw(
            actor=request.user, assignment=self._assignment(), **self._body(WithdrawSerializer)
        )
        return self._detail(assignment)

    @extend_schema(summary="Download one submitted file", responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(
        detail=True,
        methods=["get"],
        filterset_class=None,
        url_path=r"files/(?P<file_id>\d+)",
        url_name="file",
    )
    def file(self, request, pk=None, file_id=None):
        assignment = self.get_object()
        stored = SubmissionFile.objects.filter(pk=file_id, submission__assignment=assignment).first()
        if stored is None:
            raise Http404
        return stored_file_response(
            stored.file, content_type=stored.content_type, filename=stored.name, attachment=True
        )
