"""The growth file's API: an apprentice's timeline as JSON (with its kinds and summary figures), and its PDF.

Whoever may open the file on the pages may call these (the apprentice, their current and former mentors, the
governing roles of the apprentice's region); anyone else gets a 404.
"""

import json

from django.core.paginator import InvalidPage
from django.http import Http404
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import (
    ErrorResponse404Serializer,
    ValidationErrorResponseSerializer,
)
from rest_framework import renderers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from bangdai.core.api.viewsets import ServiceErrorsMixin
from bangdai.documents.rendering import pdf_response

from .. import selectors
from ..choices import Kind
from ..views import pdf_filename
from .serializers import GrowthFileSerializer, TimelineQuerySerializer, growth_file_data


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; the PDF itself is a streamed file response."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only error bodies reach a renderer here (the PDF is a FileResponse): keep them readable.
        return json.dumps(data, ensure_ascii=False).encode() if data is not None else b""


KIND_PARAMETER = OpenApiParameter(
    "kind",
    str,
    many=True,
    enum=Kind.values,
    required=False,
    description="Kinds of entry (repeat the parameter or separate with commas); every kind when omitted",
)
YEAR_PARAMETER = OpenApiParameter("year", int, required=False, description="Entries of this year only")


class GrowthFileViewSet(ServiceErrorsMixin, viewsets.GenericViewSet):
    """成长档案: an apprentice's pairings, plan progress, activities, assignments, open classes and alliance work."""

    permission_classes = [IsAuthenticated]
    serializer_class = GrowthFileSerializer
    lookup_value_regex = r"\d+"
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return selectors.growth_files(self.request.user)

    def get_file(self, pk) -> selectors.GrowthFile:
        file = selectors.open_growth_file(self.request.user, pk)
        if file is None:
            raise Http404
        return file

    def query(self) -> dict:
        params = TimelineQuerySerializer(
            data={
                **{k: v for k, v in self.request.query_params.items() if k != "kind"},
                "kind": self.request.query_params.getlist("kind"),
            }
        )
        params.is_valid(raise_exception=True)
        return params.validated_data

    @extend_schema(
        summary="An apprentice's growth file: summary figures, kinds with counts and a page of the timeline",
        parameters=[
            KIND_PARAMETER,
            YEAR_PARAMETER,
            OpenApiParameter("page", int, required=False),
            OpenApiParameter("page_size", int, required=False, description="1 to 200 (30)"),
        ],
        responses={
            200: GrowthFileSerializer,
            400: ValidationErrorResponseSerializer,
            404: ErrorResponse404Serializer,
        },
    )
    def retrieve(self, request, pk=None):
        file = self.get_file(pk)
        params = self.query()
        try:
            timeline = selectors.timeline_page(
                file, params["kind"], params["year"], params["page"], params["page_size"], strict=True
            )
        except InvalidPage:
            raise Http404 from None
        page, url = timeline.page, request.build_absolute_uri()
        data = growth_file_data(
            file,
            selectors.summary(file),
            timeline,
            year=params["year"],
            next_url=replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None,
            previous_url=(
                replace_query_param(url, "page", page.previous_page_number()) if page.has_previous() else None
            ),
        )
        return Response(data)

    @extend_schema(
        summary="The growth file as a printable PDF (cover, figures, plans, a chapter per kind, page numbers)",
        parameters=[KIND_PARAMETER, YEAR_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            400: ValidationErrorResponseSerializer,
            404: ErrorResponse404Serializer,
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, PDFRenderer])
    def pdf(self, request, pk=None):
        file = self.get_file(pk)
        params = self.query()
        with translation.override("zh-hans"):
            document = selectors.document(file, params["kind"], params["year"])
        return pdf_response("documents/growth.html", {"doc": document}, pdf_filename(file.apprentice))
