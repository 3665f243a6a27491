from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from bangdai.core.api.viewsets import ScopedReadOnlyViewSet
from bangdai.dashboard.selectors import cached_child_counts

from ..filtersets import RegionFilterSet
from ..models import PATH_STEP, Region
from .serializers import RegionCountsSerializer, RegionSerializer


@extend_schema_view(
    list=extend_schema(summary="List jurisdictions the caller may see"),
    retrieve=extend_schema(summary="One jurisdiction by its code"),
)
class RegionViewSet(ScopedReadOnlyViewSet):
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"
    lookup_value_regex = r"\d{6,12}"
    ordering_fields = ["code", "name", "path"]
    ordering = ["path"]

    def base_queryset(self):
        parent = Region.objects.filter(path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - PATH_STEP))
        return Region.objects.annotate(parent_code=Subquery(parent.values("code")[:1]))

    def get_object(self):
        """The current unit with the code, else the most recently abolished one."""
        queryset = self.get_queryset().filter(code=self.kwargs["code"]).order_by("valid_to")
        obj = queryset.filter(valid_to__isnull=True).first() or queryset.first()
        if obj is None:
            raise Http404
        self.check_object_permissions(self.request, obj)
        return obj

    @extend_schema(
        summary="Counts for a jurisdiction and each of its children", responses=RegionCountsSerializer
    )
    @action(detail=True, methods=["get"])
    def counts(self, request, code=None):
        """Townships, villages, communities and cadres the caller may see, in total and per child region."""
        region = self.get_object()
        total, rows = cached_child_counts(region, request.user)
        return Response(RegionCountsSerializer({"total": total, "children": rows}).data)
