import django_filters
from django.db.models import Count, F, OuterRef, Subquery, Sum
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.accounts.choices import Role
from bangdai.apprentices.choices import ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.core.api.permissions import WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet
from bangdai.core.filters import RegionSubtreeFilter
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import Pairing

from .. import services
from ..choices import MentorTier, ProgrammeStatus
from ..models import Programme, ProgrammeRules
from .serializers import (
    ProgrammeCreateSerializer,
    ProgrammeDetailSerializer,
    ProgrammeSerializer,
    ProgrammeSummarySerializer,
    RulesChangeSerializer,
    RulesVersionSerializer,
)


class ProgrammeFilterSet(django_filters.FilterSet):
    year = django_filters.NumberFilter()
    status = django_filters.ChoiceFilter(choices=ProgrammeStatus.choices)
    region = RegionSubtreeFilter()

    class Meta:
        model = Programme
        fields = ["year", "status", "region"]


def _by(queryset, key: str, choices) -> dict[str, int]:
    counts = dict.fromkeys(choices.values, 0)
    for row in queryset.values(key).annotate(n=Count("pk")).order_by():
        counts[row[key]] = row["n"]
    return counts


@extend_schema_view(
    list=extend_schema(summary="Programmes organised in or above the caller's jurisdiction"),
    retrieve=extend_schema(summary="One programme with its current rules"),
)
class ProgrammeViewSet(ScopedModelViewSet):
    """Mentoring programmes (帮带项目); organisation departments open them and version their rules."""

    permission_classes = [IsAuthenticated, WriteRoles]
    write_roles = {"create": {Role.ORG_ADMIN}, "rules": {Role.ORG_ADMIN}}
    http_method_names = ["get", "post", "head", "options"]
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilterSet
    ordering_fields = ["year", "name"]
    ordering = ["-year", "name"]

    def base_queryset(self):
        current = ProgrammeRules.objects.filter(programme=OuterRef("pk")).order_by("-version")
        return Programme.objects.select_related("region").annotate(
            rules_version=Subquery(current.values("version")[:1])
        )

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProgrammeDetailSerializer
        return super().get_serializer_class()

    def _detail(self, programme, code=status.HTTP_200_OK):
        programme = self.base_queryset().get(pk=programme.pk)
        return Response(ProgrammeDetailSerializer(programme).data, status=code)

    @extend_schema(
        summary="Open a programme (organisation departments)",
        request=ProgrammeCreateSerializer,
        responses={201: ProgrammeDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = ProgrammeCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        programme = services.create_programme(actor=request.user, **body.validated_data)
        return self._detail(programme, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="The programme's rules, every version, newest first",
        responses=RulesVersionSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Write a new version of the rules",
        description="Omitted keys keep their current value; an unchanged set of rules writes no version (200).",
        request=RulesChangeSerializer,
        responses={201: RulesVersionSerializer, 200: RulesVersionSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def rules(self, request, pk=None):
        programme = self.get_object()
        if request.method == "GET":
            versions = programme.rule_versions.select_related("created_by").order_by("-version")
            return Response(RulesVersionSerializer(versions, many=True).data)
        body = RulesChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        before = programme.current_rules()
        rules = services.change_rules(actor=request.user, programme=programme, **body.validated_data)
        code = status.HTTP_200_OK if before and rules.pk == before.pk else status.HTTP_201_CREATED
        return Response(RulesVersionSerializer(rules).data, status=code)

    @extend_schema(summary="Mentors, places, apprentices and pairings", responses=ProgrammeSummarySerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def summary(self, request, pk=None):
        """Counts of what the caller may see of the programme: a county sees its part of a city programme."""
        programme = self.get_object()
        user = request.user
        mentors = Mentor.objects.visible_to(user).filter(programme=programme)
        apprentices = Apprentice.objects.visible_to(user).filter(programme=programme)
        pairings = Pairing.objects.visible_to(user).filter(programme=programme)
        by_apprentice_status = _by(apprentices, "status", ApprenticeStatus)
        free = mentors.filter(status=MentorStatus.ACTIVE).aggregate(n=Sum(F("capacity") - F("load")))["n"]
        data = {
            "mentors_by_tier": _by(mentors, "tier", MentorTier),
            "mentors_by_status": _by(mentors, "status", MentorStatus),
            "free_places": free or 0,
            "apprentices_by_status": by_apprentice_status,
            "unpaired_apprentices": by_apprentice_status[ApprenticeStatus.ELIGIBLE],
            "pairings_by_status": _by(pairings, "status", PairingStatus),
        }
        return Response(ProgrammeSummarySerializer(data).data)
