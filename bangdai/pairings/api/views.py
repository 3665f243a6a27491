import django_filters
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.core.api.fields import without_private
from bangdai.core.api.permissions import OWN_RECORDS, WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet, ServiceErrorsMixin
from bangdai.core.filters import RegionSubtreeFilter
from bangdai.people.models import Person

from .. import services
from ..choices import ConflictKind, PairingMode, PairingStatus
from ..models import ConflictDeclaration, Pairing, PairingEvent, PairingMentor
from .serializers import (
    CompleteSerializer,
    ConflictSerializer,
    ExtendSerializer,
    PairingDetailSerializer,
    PairingSerializer,
    ProposeSerializer,
    ReasonSerializer,
    RepairSerializer,
    SignSerializer,
)


class PairingFilterSet(django_filters.FilterSet):
    programme = django_filters.NumberFilter(field_name="programme_id")
    status = django_filters.ChoiceFilter(choices=PairingStatus.choices)
    mode = django_filters.ChoiceFilter(choices=PairingMode.choices)
    region = RegionSubtreeFilter(label=_("Apprentice's workplace region (its whole subtree)"))
    mentor = django_filters.NumberFilter(label=_("Mentor id"), method="filter_mentor")
    apprentice = django_filters.NumberFilter(field_name="apprentice_id", label=_("Apprentice id"))

    class Meta:
        model = Pairing
        fields = ["programme", "status", "mode", "region", "mentor", "apprentice"]

    def filter_mentor(self, queryset, name, value):
        members = PairingMentor.objects.filter(pairing=OuterRef("pk"), mentor_id=value)
        return queryset.filter(Exists(members))


def _responds(summary, request=None, code=status.HTTP_200_OK):
    responses = {code: PairingDetailSerializer}
    if request is None:  # the service may still refuse the step
        responses[400] = ValidationErrorResponseSerializer
    return extend_schema(summary=summary, request=request, responses=responses)


@extend_schema_view(
    list=extend_schema(summary="Pairings of apprentices the caller governs, and the caller's own"),
    retrieve=extend_schema(summary="One pairing with its mentors, 拜师帖 and events"),
)
class PairingViewSet(ScopedModelViewSet):
    """Pairings (结对): proposal, confirmation by both parties, the 拜师帖, extension, graduation, ending."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {
        "confirm": {OWN_RECORDS},  # only the mentor and the apprentice confirm, each for themselves
        "decline": EDITING_ROLES | {OWN_RECORDS},
    }
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = PairingSerializer
    filterset_class = PairingFilterSet
    ordering_fields = ["created_at", "start_date", "planned_end_date", "status"]
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        members = PairingMentor.objects.select_related("mentor__person").defer(
            *without_private("mentor__person")
        )
        queryset = (
            Pairing.objects.select_related("programme", "region", "apprentice__person")
            .defer(*without_private("apprentice__person"))
            .prefetch_related(Prefetch("members", queryset=members))
        )
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=PairingEvent.objects.select_related("actor"))
            )
        return queryset

    def get_serializer_class(self):
        return PairingSerializer if self.action == "list" else PairingDetailSerializer

    def _detail(self, pairing, code=status.HTTP_200_OK):
        pairing = self.base_queryset().get(pk=pairing.pk)
        return Response(PairingDetailSerializer(pairing).data, status=code)

    def _body(self, serializer_class):
        body = serializer_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return body.validated_data

    @_responds("Propose a pairing (each mentor's place is taken at once)", ProposeSerializer, 201)
    def create(self, request, *args, **kwargs):
        pairing = services.propose(actor=request.user, **self._body(ProposeSerializer))
        return self._detail(pairing, status.HTTP_201_CREATED)

    @_responds("Confirm the proposal as its mentor or its apprentice")
    @action(detail=True, methods=["post"], filterset_class=None)
    def confirm(self, request, pk=None):
        pairing = services.confirm(actor=request.user, pairing=self.get_object())
        return self._detail(pairing)

    @_responds("Decline the proposal, freeing the places it held", ReasonSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def decline(self, request, pk=None):
        pairing = self.get_object()
        pairing = services.decline(actor=request.user, pairing=pairing, **self._body(ReasonSerializer))
        return self._detail(pairing)

    @_responds("Record the signed 拜师帖; the pairing runs from that day", SignSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def sign(self, request, pk=None):
        pairing = self.get_object()
        pairing = services.sign_pledge(actor=request.user, pairing=pairing, **self._body(SignSerializer))
        return self._detail(pairing)

    @_responds("Extend a running pairing", ExtendSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def extend(self, request, pk=None):
        pairing = self.get_object()
        pairing = services.extend(actor=request.user, pairing=pairing, **self._body(ExtendSerializer))
        return self._detail(pairing)

    @_responds("The apprentice graduates (出师)", CompleteSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def complete(self, request, pk=None):
        pairing = self.get_object()
        pairing = services.complete(actor=request.user, pairing=pairing, **self._body(CompleteSerializer))
        return self._detail(pairing)

    @_responds("End an open pairing early", ReasonSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def terminate(self, request, pk=None):
        pairing = self.get_object()
        pairing = services.terminate(actor=request.user, pairing=pairing, **self._body(ReasonSerializer))
        return self._detail(pairing)

    @_responds("Re-pair a transferred apprentice; returns the new pairing", RepairSerializer, 201)
    @action(detail=True, methods=["post"], filterset_class=None)
    def repair(self, request, pk=None):
        pairing = self.get_object()
        new = services.repair(actor=request.user, pairing=pairing, **self._body(RepairSerializer))
        return self._detail(new, status.HTTP_201_CREATED)


def visible_conflicts(user):
    """Declarations naming at least one cadre the user may see (the model has no ``visible_to`` of its own).

    Only through a governing role: declarations are the jurisdiction's records, so a mentor or an apprentice
    does not see those naming them (they see their own mentor, apprentice and pairing records only).
    """
    people = Person.objects.visible_to(user).filter(user.scope.governed_q("region__path")).values("pk")
    return ConflictDeclaration.objects.filter(mentor_person__in=people) | ConflictDeclaration.objects.filter(
        apprentice_person__in=people
    )


class ConflictFilterSet(django_filters.FilterSet):
    person = django_filters.NumberFilter(label=_("Either cadre's id"), method="filter_person")
    kind = django_filters.ChoiceFilter(choices=ConflictKind.choices)

    class Meta:
        model = ConflictDeclaration
        fields = ["person", "kind"]

    def filter_person(self, queryset, name, value):
        return queryset.filter(mentor_person_id=value) | queryset.filter(apprentice_person_id=value)


@extend_schema_view(
    list=extend_schema(summary="Declared conflicts of interest naming a cadre the caller may see"),
    retrieve=extend_schema(summary="One declared conflict of interest"),
    create=extend_schema(summary="Declare that two cadres may not be paired"),
)
class ConflictViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Declared conflicts of interest (利害关系申报): the two cadres are never proposed as a pair."""

    permission_classes = [IsAuthenticated, WriteRoles]
    serializer_class = ConflictSerializer
    filterset_class = ConflictFilterSet
    ordering_fields = ["declared_at"]
    ordering = ["-declared_at", "-id"]

    def get_queryset(self):
        return (
            visible_conflicts(self.request.user)
            .select_related("mentor_person", "apprentice_person", "declared_by")
            .defer(*without_private("mentor_person"), *without_private("apprentice_person"))
        )

    def perform_create(self, serializer):
        serializer.instance = services.declare_conflict(actor=self.request.user, **serializer.validated_data)
