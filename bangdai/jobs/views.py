"""Job pages: the list of the user's jobs and one job's progress (htmx polls it while it runs)."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views import View
from django.views.generic import ListView

from bangdai.core.views import ScopedDetailView, ScopedMixin

from .models import Job


class JobListView(ScopedMixin, ListView):
    model = Job
    template_name = "jobs/list.html"
    paginate_by = 50

    def base_queryset(self):
        return Job.objects.select_related("created_by")


class JobDetailView(ScopedDetailView):
    model = Job
    template_name = "jobs/detail.html"

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return ["htmx/job_status.html"]
        return [self.template_name]


class JobResultView(ScopedMixin, View):
    model = Job

    def get(self, request, pk):
        job = get_object_or_404(self.get_queryset(), pk=pk)
        if not job.result_file:
            raise Http404
        name = job.result_file.name.rsplit("/", 1)[-1]
        return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name)
