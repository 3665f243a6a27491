import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.accounts.choices import EDITING_ROLES, Role
from bangdai.core.api.fields import without_private
from bangdai.core.api.permissions import OWN_RECORDS, WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet
from bangdai.core.filters import RegionSubtreeFilter

from .. import services
from ..choices import MentorStatus, MentorTier, NominationSource
from ..models import Mentor, MentorEvent, PublicityObjection
from .serializers import (
    MentorDetailSerializer,
    MentorNominateSerializer,
    MentorProfileSerializer,
    MentorSerializer,
    ObjectionCreateSerializer,
    ObjectionResolveSerializer,
    ObjectionSerializer,
    TransitionSerializer,
)


class MentorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="person__name", lookup_expr="contains")
    programme = django_filters.NumberFilter(field_name="programme_id")
    status = django_filters.ChoiceFilter(choices=MentorStatus.choices)
    tier = django_filters.ChoiceFilter(choices=MentorTier.choices)
    nominated_via = django_filters.ChoiceFilter(choices=NominationSource.choices)
    region = RegionSubtreeFilter(label=_("Home region (its whole subtree)"))

    class Meta:
        model = Mentor
        fields = ["q", "programme", "status", "tier", "nominated_via", "region"]


@extend_schema_view(
    list=extend_schema(summary="Mentors whose home region the caller governs, and the caller's own"),
    retrieve=extend_schema(summary="One mentor with events, objections and the steps the caller may take"),
)
class MentorViewSet(ScopedModelViewSet):
    """The mentor pool (导师库): nomination, vetting, publicity, appointment and later states."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {
        "create": EDITING_ROLES | {OWN_RECORDS},  # a cadre may nominate themselves
        "objections": {Role.ORG_ADMIN},
        "resolve_objection": {Role.ORG_ADMIN},
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = MentorSerializer
    filterset_class = MentorFilterSet
    ordering_fields = ["person__name", "tier", "status", "load", "created_at"]
    ordering = ["region__path", "person__name", "id"]

    def base_queryset(self):
        queryset = Mentor.objects.select_related("programme", "person", "region").defer(
            *without_private("person")
        )
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=MentorEvent.objects.select_related("actor")),
                Prefetch("objections", queryset=PublicityObjection.objects.select_related("recorded_by")),
            )
        return queryset

    def get_serializer_class(self):
        return MentorSerializer if self.action == "list" else MentorDetailSerializer

    def _detail(self, mentor, code=status.HTTP_200_OK):
        mentor = self.base_queryset().get(pk=mentor.pk)
        return Response(
            MentorDetailSerializer(mentor, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        summary="Nominate a cadre (组织推荐) or apply as one (个人自荐, with self_nomination)",
        request=MentorNominateSerializer,
        responses={201: MentorDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = MentorNominateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        mentor = services.nominate(actor=request.user, **body.validated_data)
        return self._detail(mentor, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change tier, titles, expertise, specialties or capacity",
        request=MentorProfileSerializer,
        responses=MentorDetailSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        mentor = self.get_object()
        body = MentorProfileSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.update_profile(actor=request.user, mentor=mentor, **body.validated_data)
        return self._detail(mentor)

    @extend_schema(
        summary="Take one step of the mentor's workflow",
        request=TransitionSerializer,
        responses=MentorDetailSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def transition(self, request, pk=None):
        mentor = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.transition(actor=request.user, mentor=mentor, **body.validated_data)
        return self._detail(mentor)

    @extend_schema(
        summary="Record an objection received during publicity (公示异议)",
        request=ObjectionCreateSerializer,
        responses={201: ObjectionSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def objections(self, request, pk=None):
        mentor = self.get_object()
        body = ObjectionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection = services.record_objection(actor=request.user, mentor=mentor, **body.validated_data)
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Resolve a publicity objection",
        parameters=[OpenApiParameter("objection_id", int, OpenApiParameter.PATH)],
        request=ObjectionResolveSerializer,
        responses=ObjectionSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"objections/(?P<objection_id>\d+)/resolve",
        url_name="objection-resolve",
        filterset_class=None,
    )
    def resolve_objection(self, request, pk=None, objection_id=None):
        mentor = self.get_object()
        objection = get_object_or_404(mentor.objections.select_related("mentor__region"), pk=objection_id)
        body = ObjectionResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection = services.resolve_objection(actor=request.user, objection=objection, **body.validated_data)
        return Response(ObjectionSerializer(objection).data)
