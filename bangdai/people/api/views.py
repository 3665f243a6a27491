from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from bangdai.core.api.viewsets import ScopedModelViewSet

from .. import services
from ..filtersets import PersonFilterSet
from ..models import Person
from .serializers import PersonSerializer, RevealRequestSerializer, RevealResponseSerializer


class PersonViewSet(ScopedModelViewSet):
    """Cadre records in the caller's jurisdiction (干部)."""

    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet
    ordering_fields = ["name", "birth_date", "entry_date", "region__path"]
    ordering = ["region__path", "name"]

    def base_queryset(self):
        return Person.objects.select_related("region")

    def perform_create(self, serializer):
        serializer.instance = services.create_person(
            actor=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        if not self.request.user.has_perm("people.change_person", serializer.instance):
            self.permission_denied(self.request)
        serializer.instance = services.update_person(
            actor=self.request.user, person=serializer.instance, data=dict(serializer.validated_data)
        )

    def update(self, request, *args, **kwargs):
        # Refuse before validating, as the page does: a read-only caller gets 403, never a field error or a 404.
        if not request.user.has_perm("people.change_person", self.get_object()):
            self.permission_denied(request)
        return super().update(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        if not request.user.has_perm("people.add_person"):
            self.permission_denied(request)
        return super().create(request, *args, **kwargs)

    @extend_schema(request=RevealRequestSerializer, responses=RevealResponseSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Return the ID number or phone in full; the reveal is recorded."""
        person = self.get_object()
        body = RevealRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        field = body.validated_data["field"]
        value = services.reveal(actor=request.user, person=person, field=field, channel="api")
        return Response({"field": field, "value": value})
