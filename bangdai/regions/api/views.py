from django.http import Http404
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from drf_spectacular.utils import extend_schema, extend_schema_view

from bangdai.core.api.viewsets import ScopedReadOnlyViewSet

from ..filtersets import RegionFilterSet
from ..models import PATH_STEP, Region
from .serializers import RegionSerializer


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
