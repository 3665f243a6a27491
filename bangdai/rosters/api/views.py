from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import exceptions, mixins, parsers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from bangdai.core.api.viewsets import ScopedReadOnlyViewSet
from bangdai.jobs.api.serializers import JobSerializer
from bangdai.jobs.models import Job

from .. import services
from ..choices import RosterKind, UploadStatus
from ..columns import LAYOUTS
from ..models import RosterUpload
from ..reading import RosterFileError
from ..reports import XLSX, template_xlsx
from .serializers import ImportSerializer, RosterDetailSerializer, RosterSerializer, UploadSerializer


class CanImport(BasePermission):
    """Organisation admins and township committees only, as on the roster pages."""

    def has_permission(self, request, view):
        return services.can_import(request.user)


def _submitted(roster: RosterUpload, result) -> Response:
    roster.refresh_from_db()
    job = result if isinstance(result, Job) else None
    body = {
        "roster": RosterDetailSerializer(roster).data,
        "job": JobSerializer(job).data if job else None,
    }
    if job:
        return Response(body, status=status.HTTP_202_ACCEPTED)
    code = status.HTTP_200_OK if roster.status in (UploadStatus.CHECKED, UploadStatus.IMPORTED) else 422
    return Response(body, status=code)


@extend_schema_view(
    list=extend_schema(summary="Uploaded rosters the caller may see"),
    retrieve=extend_schema(
        summary="One roster with its last check or import report (errors per row and column)"
    ),
)
class RosterViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Roster import (名册导入): upload an xlsx (checked at once, nothing written), then import all rows or none.

    A check or import answers 200 when it passed, 422 with the per-row report when rows have errors (nothing is
    written), and 202 with the job when a task worker takes it (long rosters, or ``background``); poll
    ``/api/jobs/{id}/`` and read the roster again when it has finished.
    """

    permission_classes = [IsAuthenticated, CanImport]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]
    serializer_class = RosterSerializer
    filterset_fields = {"programme": ["exact"], "kind": ["exact"], "status": ["exact"]}
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        return RosterUpload.objects.select_related("programme")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return RosterDetailSerializer
        if self.action == "create":
            return UploadSerializer
        return super().get_serializer_class()

    @extend_schema(
        summary="Upload a roster and check it (a preview: nothing is written)",
        request={"multipart/form-data": UploadSerializer},
        responses={
            200: RosterDetailSerializer,
            202: RosterDetailSerializer,
            400: ValidationErrorResponseSerializer,
            422: RosterDetailSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        form = UploadSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            roster = services.upload(
                actor=request.user,
                programme=data["programme"],
                kind=data["kind"],
                file=data["file"],
                name=data["file"].name,
            )
        except RosterFileError as error:
            raise exceptions.ValidationError({"file": [str(error)]}) from None
        result = services.submit(roster, actor=request.user, dry_run=True, background=data["background"])
        return _submitted(roster, result)

    @extend_schema(
        summary="Import a checked roster: every row or none",
        request=ImportSerializer,
        responses={
            200: RosterDetailSerializer,
            202: RosterDetailSerializer,
            400: ValidationErrorResponseSerializer,
        },
    )
    @action(detail=True, methods=["post"], url_path="import")
    def import_rows(self, request, pk=None):
        roster = self.get_object()
        form = ImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if roster.job and not roster.job.finished:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("This roster is being checked or imported; wait for its job to finish.")
                    ]
                }
            )
        result = services.submit(
            roster, actor=request.user, dry_run=False, background=form.validated_data["background"]
        )
        return _submitted(roster, result)

    @extend_schema(
        summary="The last report as xlsx (errors beside the cells)",
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        roster = self.get_object()
        if not roster.report_file:
            raise exceptions.NotFound()
        response = HttpResponse(roster.report_file.read(), content_type=XLSX)
        name = roster.report_file.name.rsplit("/", 1)[-1]
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @extend_schema(
        summary="An empty roster template with the columns the import reads",
        parameters=[OpenApiParameter("kind", enum=list(RosterKind.values), required=True)],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def template(self, request):
        kind = request.query_params.get("kind", "")
        if kind not in LAYOUTS:
            raise exceptions.ValidationError({"kind": [_("Unknown kind of roster.")]})
        response = HttpResponse(template_xlsx(kind, ""), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
        return response
