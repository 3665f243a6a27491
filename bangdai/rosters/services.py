"""Roster uploads: accept a file after the pre-check, check it (preview) or import it, inline or as a job."""

import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bangdai.accounts.choices import Role
from bangdai.jobs import services as job_services
from bangdai.jobs.choices import JobKind
from bangdai.programmes.models import Programme

from .choices import UploadStatus
from .columns import LAYOUTS
from .importing import Progress, Report, import_roster
from .models import RosterUpload
from .reading import RosterFileError, precheck, read_sheet
from .reports import report_xlsx

# Rosters longer than this are checked and imported by a task worker, with progress on the job page.
BACKGROUND_ROWS = 500
IMPORTING_ROLES = (Role.ORG_ADMIN, Role.TOWNSHIP)
COMMITTABLE = (UploadStatus.UPLOADED, UploadStatus.CHECKED)


def can_import(actor, programme: Programme | None = None) -> bool:
    """Organisation admins and township committees import rosters, for programmes they can see."""
    if not actor.is_authenticated or not actor.scope.has_role(*IMPORTING_ROLES):
        return False
    return programme is None or Programme.objects.visible_to(actor).filter(pk=programme.pk).exists()


def programmes_for(actor):
    if not can_import(actor):
        return Programme.objects.none()
    return Programme.objects.visible_to(actor).select_related("region")


def upload(*, actor, programme: Programme, kind: str, file, name: str = "") -> RosterUpload:
    """Keep an uploaded roster after refusing oversized, non-xlsx and zip-bomb files, and count its rows."""
    if not can_import(actor, programme):
        raise PermissionDenied(_("You may not import rosters for this programme."))
    if kind not in LAYOUTS:
        raise ValidationError({"kind": _("Unknown kind of roster.")})
    size = precheck(file)  # raises RosterFileError before any parsing
    sheet = read_sheet(file, LAYOUTS[kind])  # outside any transaction: parsing holds no database lock
    file.seek(0)
    name = os.path.basename(name or getattr(file, "name", "") or "roster.xlsx")[:200]
    roster = RosterUpload(
        programme=programme,
        kind=kind,
        original_name=name,
        size=size,
        row_count=len(sheet.rows),
        uploaded_by=actor,
    )
    roster.file.save("roster.xlsx", ContentFile(file.read()), save=False)
    roster.save()
    return roster


def runs_in_background(roster: RosterUpload) -> bool:
    return roster.row_count > BACKGROUND_ROWS


def process(roster: RosterUpload, *, actor, dry_run: bool, progress: Progress | None = None) -> Report | None:
    """Check (``dry_run``) or import the roster now; the report and its spreadsheet are stored on the upload.

    Importing checks every row again inside the write transaction, so a roster may be imported straight after
    upload (the command line does); the pages show the preview first and import only a checked roster.
    """
    if not dry_run and roster.status not in COMMITTABLE:
        raise ValidationError(_("This roster is being imported or was imported already."))

    def begin():
        if dry_run:
            return
        # Compare-and-set inside the import transaction: two clicks import once; a killed import stays "checked".
        taken = RosterUpload.objects.filter(pk=roster.pk, status__in=COMMITTABLE).update(
            status=UploadStatus.IMPORTING
        )
        if not taken:
            raise ValidationError(_("This roster is being imported or was imported already."))

    def on_success(report):
        RosterUpload.objects.filter(pk=roster.pk).update(
            status=UploadStatus.IMPORTED, imported_at=timezone.now()
        )

    try:
        with roster.file.open("rb") as file:
            report = import_roster(
                kind=roster.kind,
                programme=roster.programme,
                actor=actor,
                file=file,
                dry_run=dry_run,
                progress=progress,
                begin=begin,
                on_success=on_success,
            )
    except RosterFileError as error:
        roster.status = UploadStatus.REFUSED
        roster.report = {"error": str(error)}
        roster.save(update_fields=["status", "report"])
        return None
    roster.refresh_from_db(fields=["status", "imported_at"])
    if not report.written:
        roster.status = UploadStatus.HAS_ERRORS if report.error_rows else UploadStatus.CHECKED
    roster.row_count = len(report.rows)
    roster.report = report.to_data()
    stem = os.path.splitext(roster.original_name)[0][:80] or "roster"
    roster.report_file.save(f"{stem}-report.xlsx", ContentFile(report_xlsx(report)), save=False)
    roster.save(update_fields=["status", "row_count", "report", "report_file"])
    return report


def submit(roster: RosterUpload, *, actor, dry_run: bool, background: bool | None = None):
    """Process now, or for a long roster (or when asked) queue a job after commit and return the job.

    The pages import only a roster whose preview passed.
    """
    if not dry_run and roster.status != UploadStatus.CHECKED:
        raise ValidationError(_("Only a checked roster without errors can be imported."))
    if not (runs_in_background(roster) if background is None else background):
        return process(roster, actor=actor, dry_run=dry_run)
    from .tasks import run_roster_job

    with transaction.atomic():
        job = job_services.create_job(
            kind=JobKind.ROSTER_CHECK if dry_run else JobKind.ROSTER_IMPORT,
            created_by=actor,
            region=roster.programme.region,
            title=f"{roster.programme.name} · {roster.get_kind_display()} · {roster.original_name}",
            params={"upload": roster.pk, "dry_run": dry_run},
        )
        job.result_url = reverse("rosters:detail", args=[roster.pk])
        job.save(update_fields=["result_url"])
        RosterUpload.objects.filter(pk=roster.pk).update(
            job=job, status=UploadStatus.CHECKING if dry_run else roster.status
        )
        roster.job = job
        job_services.enqueue(job, run_roster_job)
    return job


def summary(report: Report | None, roster: RosterUpload) -> str:
    if report is None:
        return roster.report.get("error", "")
    counts = report.counts
    if report.written:
        return _(
            "Imported %(n)d rows: %(created)d created, %(updated)d updated, %(unchanged)d unchanged."
        ) % {
            "n": len(report.rows),
            **counts,
        }
    if report.error_rows:
        return _("%(bad)d of %(n)d rows have errors; nothing was written.") % {
            "bad": len(report.error_rows),
            "n": len(report.rows),
        }
    return _("All %(n)d rows passed the check; nothing was written yet.") % {"n": len(report.rows)}
