from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action

from bangdai.core.api.viewsets import ScopedReadOnlyViewSet

from ..models import Job
from .serializers import JobSerializer


@extend_schema_view(
    list=extend_schema(summary="The caller's background jobs, and those of the regions they administer"),
    retrieve=extend_schema(summary="One job's status and progress (poll it while it runs)"),
)
class JobViewSet(ScopedReadOnlyViewSet):
    """Background jobs (后台任务): roster checks and imports, certificate batches, matching runs."""

    serializer_class = JobSerializer
    filterset_fields = {"kind": ["exact"], "status": ["exact"]}
    ordering = ["-created_at", "-id"]

    def base_queryset(self):
        return Job.objects.all()

    @extend_schema(summary="Download the file a finished job produced", responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        job = self.get_object()
        if not job.result_file:
            raise Http404
        name = job.result_file.name.rsplit("/", 1)[-1]
        return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name)
