"""Roster pages: upload and choose, preview with per-cell errors, import, reports and templates."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from bangdai.core.views import ScopedDetailView
from bangdai.jobs.models import Job
from bangdai.programmes.models import Programme

from . import services
from .choices import RosterKind, RowAction, UploadStatus
from .columns import LAYOUTS
from .forms import UploadForm
from .importing import ROW, Report
from .models import RosterUpload
from .reading import RosterFileError
from .reports import XLSX, template_xlsx

PREVIEW_ROWS = 200


class ImportAccessMixin(LoginRequiredMixin):
    """Organisation admins and township committees only."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.can_import(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _after_submit(request, roster: RosterUpload, result):
    if isinstance(result, Job):
        messages.info(
            request,
            _("The roster has %(n)d rows; a background job is working on it.") % {"n": roster.row_count},
        )
        return redirect("jobs:detail", pk=result.pk)
    roster.refresh_from_db()
    message = services.summary(result, roster)
    if roster.status in (UploadStatus.IMPORTED, UploadStatus.CHECKED):
        messages.success(request, message)
    else:
        messages.error(request, message)
    return redirect("rosters:detail", pk=roster.pk)


class RosterHomeView(ImportAccessMixin, FormView):
    form_class = UploadForm
    template_name = "rosters/index.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {
            "kind": self.request.GET.get("kind", RosterKind.MENTORS),
            "programme": self.request.GET.get("programme"),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            roster = services.upload(
                actor=self.request.user,
                programme=data["programme"],
                kind=data["kind"],
                file=data["file"],
                name=data["file"].name,
            )
        except RosterFileError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        return _after_submit(
            self.request, roster, services.submit(roster, actor=self.request.user, dry_run=True)
        )

    def get_context_data(self, **kwargs):
        uploads = RosterUpload.objects.visible_to(self.request.user).select_related(
            "programme", "uploaded_by"
        )[:20]
        return super().get_context_data(
            uploads=uploads, kinds=RosterKind.choices, background_rows=services.BACKGROUND_ROWS, **kwargs
        )


class RosterDetailView(ImportAccessMixin, ScopedDetailView):
    model = RosterUpload
    template_name = "rosters/detail.html"

    def base_queryset(self):
        return RosterUpload.objects.select_related("programme__region", "uploaded_by", "job")

    def get_context_data(self, **kwargs):
        roster = self.object
        context = super().get_context_data(**kwargs)
        if "rows" not in roster.report:
            return {**context, "report": None, "file_error": roster.report.get("error", "")}
        report = Report.from_data(roster.report)
        labels = dict(RowAction.choices)
        shown = [r for r in report.rows if r.errors][:PREVIEW_ROWS]
        if len(shown) < PREVIEW_ROWS:
            shown += [r for r in report.rows if not r.errors and r.cells][: PREVIEW_ROWS - len(shown)]
            shown.sort(key=lambda r: r.number)
        rows = []
        for row in shown:
            cells = []
            for i, key in enumerate(report.keys):
                value = row.cells[i] if i < len(row.cells) else ""
                cells.append({"value": value, "errors": row.errors.get(key, []) if key else []})
            placed = {k for k in report.keys if k}
            loose = [
                (report.header_of(key), message)
                for key, texts in row.errors.items()
                if key == ROW or key not in placed
                for message in texts
            ]
            rows.append(
                {
                    "number": row.number,
                    "action": row.action,
                    "label": labels.get(row.action, ""),
                    "cells": cells,
                    "loose": loose,
                }
            )
        return {
            **context,
            "report": report,
            "counts": report.counts,
            "error_count": len(report.error_rows),
            "rows": rows,
            "hidden_rows": len(report.rows) - len(rows),
            "can_commit": roster.status == UploadStatus.CHECKED
            and not (roster.job and not roster.job.finished),
        }


class RosterCommitView(ImportAccessMixin, View):
    def post(self, request, pk):
        roster = get_object_or_404(
            RosterUpload.objects.visible_to(request.user).select_related("programme"), pk=pk
        )
        if roster.job and not roster.job.finished:
            return redirect("jobs:detail", pk=roster.job.pk)
        try:
            result = services.submit(roster, actor=request.user, dry_run=False)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("rosters:detail", pk=roster.pk)
        return _after_submit(request, roster, result)


class RosterReportView(ImportAccessMixin, View):
    def get(self, request, pk):
        roster = get_object_or_404(RosterUpload.objects.visible_to(request.user), pk=pk)
        if not roster.report_file:
            raise Http404
        name = roster.report_file.name.rsplit("/", 1)[-1]
        return FileResponse(
            roster.report_file.open("rb"), as_attachment=True, filename=name, content_type=XLSX
        )


class RosterTemplateView(ImportAccessMixin, View):
    def get(self, request, kind):
        if kind not in LAYOUTS:
            raise Http404
        title = ""
        programme_id = request.GET.get("programme", "")
        if programme_id.isdigit():
            programme = Programme.objects.visible_to(request.user).filter(pk=programme_id).first()
            if programme is not None:
                title = f"{programme.name}{LAYOUTS[kind].title}"
        response = HttpResponse(template_xlsx(kind, title), content_type=XLSX)
        filename = f"{kind}-template.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
