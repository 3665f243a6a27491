"""Compliance API: per pairing (whoever sees the pairing) and per region (those who govern it): the pairings'
lights, scores and reasons, silent mentors and month trends. Every read starts from ``visible_to``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bangdai.core.api.pagination import StandardPagination
from bangdai.core.filters import visible_region
from bangdai.pairings.models import Pairing

from .. import selectors
from ..forms import LIGHT_CHOICES, governed_region
from ..rules import Rule
from .serializers import (
    PairingComplianceSerializer,
    RegionComplianceSerializer,
    SilentMentorSerializer,
    TrendsSerializer,
)

LIGHTS = [value for value, _label in LIGHT_CHOICES]
RULES = [r.value for r in Rule]
FILTERS = [
    OpenApiParameter(
        "light", str, enum=LIGHTS, description="behind = red or amber; all or empty: every light"
    ),
    OpenApiParameter("rule", str, enum=RULES, description="Only pairings with this rule among their reasons"),
]


def _filters(request) -> tuple[str, str]:
    light = request.query_params.get("light", "") or ""
    rule = request.query_params.get("rule", "") or ""
    errors = {}
    if light and light not in LIGHTS:
        errors["light"] = [_("Choose one of: %(values)s.") % {"values": ", ".join(LIGHTS)}]
    if rule and rule not in RULES:
        errors["rule"] = [_("Unknown rule.")]
    if errors:
        raise serializers.ValidationError(errors)
    return ("" if light == "all" else light), rule


def _page(view, request, items):
    paginator = StandardPagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator, PairingComplianceSerializer(page, many=True).data


@extend_schema(tags=["compliance"])
class PairingComplianceViewSet(viewsets.GenericViewSet):
    """Compliance of the running pairings the caller may see (a mentor: their own pairings)."""

    serializer_class = PairingComplianceSerializer
    queryset = Pairing.objects.none()
    filter_backends: list = []

    def visible(self):
        return Pairing.objects.visible_to(self.request.user)

    @extend_schema(
        summary="Compliance of the running pairings the caller may see, worst first",
        parameters=[
            OpenApiParameter("region", str, description="A region code the caller may see: its subtree"),
            *FILTERS,
        ],
        responses={200: PairingComplianceSerializer(many=True), 400: ValidationErrorResponseSerializer},
    )
    def list(self, request):
        light, rule = _filters(request)
        pairings = self.visible()
        code = request.query_params.get("region")
        if code:
            pairings = selectors.in_region(pairings, visible_region(request.user, code.strip()))
        items = selectors.filter_results(selectors.compliance_of(pairings), light=light, rule=rule)
        paginator, data = _page(self, request, items)
        return paginator.get_paginated_response(data)

    @extend_schema(summary="One pairing's compliance: light, score, reasons and every check")
    def retrieve(self, request, pk=None):
        if not str(pk).isdigit():
            raise Http404
        pairing = get_object_or_404(self.visible(), pk=pk)
        item = selectors.pairing_compliance(pairing)
        if item is None:
            raise serializers.ValidationError(
                {"pairing": [_("Compliance is judged while the pairing is active, from its start date.")]}
            )
        return Response(PairingComplianceSerializer(item).data)


@extend_schema(tags=["compliance"])
class RegionComplianceViewSet(viewsets.GenericViewSet):
    """A region's compliance for those who govern it (org admins, township committees, auditors): 403 otherwise."""

    lookup_field = "code"
    lookup_value_regex = r"\d{6,12}"
    queryset = Pairing.objects.none()
    serializer_class = RegionComplianceSerializer
    filter_backends: list = []

    def region(self, code):
        try:
            return governed_region(self.request.user, code)
        except DjangoPermissionDenied:
            raise exceptions.PermissionDenied from None

    def pairings(self, region):
        return selectors.in_region(Pairing.objects.visible_to(self.request.user), region)

    @extend_schema(
        summary="The region's running pairings, worst first, with a summary of lights",
        parameters=FILTERS,
        responses={200: RegionComplianceSerializer, 400: ValidationErrorResponseSerializer},
    )
    def retrieve(self, request, code=None):
        region = self.region(code)
        light, rule = _filters(request)
        everything = selectors.compliance_of(self.pairings(region))
        items = selectors.filter_results(everything, light=light, rule=rule)
        paginator, data = _page(self, request, items)
        return Response(
            {
                "region": region.code,
                "region_name": region.name,
                "summary": selectors.Summary.of(everything).as_dict(),
                "count": len(items),
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": data,
            }
        )

    @extend_schema(
        summary="Mentors of the region whose running pairings recorded nothing for N days, with those pairings",
        parameters=[OpenApiParameter("days", int, description=f"Default {selectors.SILENT_DAYS}")],
        responses={200: SilentMentorSerializer(many=True), 400: ValidationErrorResponseSerializer},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def silent(self, request, code=None):
        region = self.region(code)
        days = _number(request, "days", selectors.SILENT_DAYS, 1, 366)
        mentors = selectors.silent_mentors(self.pairings(region), days=days)
        return Response(SilentMentorSerializer(mentors, many=True).data)

    @extend_schema(
        summary="Month figures of the region and each child region: activities, on site, confirmed, pairings",
        parameters=[
            OpenApiParameter("months", int, description=f"Default {selectors.TREND_MONTHS}, at most 36")
        ],
        responses={200: TrendsSerializer, 400: ValidationErrorResponseSerializer},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def trends(self, request, code=None):
        region = self.region(code)
        months = _number(request, "months", selectors.TREND_MONTHS, 1, 36)
        trends = selectors.trends(region, Pairing.objects.visible_to(request.user), months=months)
        data = {
            "region": region.code,
            "total": trends.total,
            "children": [
                {"region": child.code, "region_name": child.name, "months": points}
                for child, points in trends.children
            ],
        }
        return Response(TrendsSerializer(data).data)


def _number(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise serializers.ValidationError(
            {name: [_("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}]}
        )
    return int(raw)
