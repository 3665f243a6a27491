import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from bangdai.core.api.fields import without_private
from bangdai.core.api.permissions import WriteRoles
from bangdai.core.api.viewsets import ScopedModelViewSet
from bangdai.core.filters import RegionSubtreeFilter

from .. import services
from ..choices import ApprenticeStatus
from ..models import Apprentice
from .serializers import ApprenticeRegisterSerializer, ApprenticeSerializer, ApprenticeUpdateSerializer


class ApprenticeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), field_name="person__name", lookup_expr="contains")
    programme = django_filters.NumberFilter(field_name="programme_id")
    status = django_filters.ChoiceFilter(choices=ApprenticeStatus.choices)
    three_gates = django_filters.BooleanFilter()
    region = RegionSubtreeFilter(label=_("Workplace region (its whole subtree)"))

    class Meta:
        model = Apprentice
        fields = ["q", "programme", "status", "three_gates", "region"]


@extend_schema_view(
    list=extend_schema(summary="Apprentices working where the caller governs, and the caller's own"),
    retrieve=extend_schema(summary="One apprentice"),
)
class ApprenticeViewSet(ScopedModelViewSet):
    """The apprentice registry (徒弟): young cadres registered in a programme."""

    permission_classes = [IsAuthenticated, WriteRoles]
    http_method_names = ["get", "post", "patch", "head", "options"]
    serializer_class = ApprenticeSerializer
    filterset_class = ApprenticeFilterSet
    ordering_fields = ["person__name", "status", "created_at"]
    ordering = ["region__path", "person__name", "id"]

    def base_queryset(self):
        return Apprentice.objects.select_related("programme", "person", "region").defer(
            *without_private("person")
        )

    def _detail(self, apprentice, code=status.HTTP_200_OK):
        apprentice = self.base_queryset().get(pk=apprentice.pk)
        return Response(ApprenticeSerializer(apprentice).data, status=code)

    @extend_schema(
        summary="Register a cadre as an apprentice",
        request=ApprenticeRegisterSerializer,
        responses={201: ApprenticeSerializer},
    )
    def create(self, request, *args, **kwargs):
        body = ApprenticeRegisterSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        apprentice = services.register(actor=request.user, **body.validated_data)
        return self._detail(apprentice, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change categories, needs, 三门 or the note",
        request=ApprenticeUpdateSerializer,
        responses=ApprenticeSerializer,
    )
    def partial_update(self, request, *args, **kwargs):
        apprentice = self.get_object()
        body = ApprenticeUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.update(actor=request.user, apprentice=apprentice, **body.validated_data)
        return self._detail(apprentice)
