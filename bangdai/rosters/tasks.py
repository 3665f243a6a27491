"""Background roster checks and imports, run by a task worker and tracked by a Job row."""

from django.tasks import task
from django.utils.translation import gettext as _

from bangdai.jobs import services as job_services
from bangdai.jobs.models import Job

from . import services
from .models import RosterUpload


@task()
def run_roster_job(job_id: int) -> str:
    """Check or import the upload named by the job; a job that already ran is not run again."""
    return job_services.run(job_id, _run)


def _run(job: Job) -> None:
    roster = RosterUpload.objects.select_related("programme__region").get(pk=job.params["upload"])
    dry_run = bool(job.params.get("dry_run", True))
    actor = job.created_by
    job_services.add_log(job, _("Reading %(name)s") % {"name": roster.original_name})

    def progress(done: int, total: int, phase: str) -> None:
        # The check counts the first half, the writing the second. Writes are one transaction: their progress
        # is visible only where the database lets another connection see it (not on SQLite, not before commit).
        rows = roster.row_count or total
        if phase == "check":
            job_services.set_progress(job, done, 2 * rows, phase)
        elif done == 0:  # the writing starts; later calls would be inside the transaction and unseen
            job_services.set_progress(job, rows, 2 * rows, phase)

    report = services.process(roster, actor=actor, dry_run=dry_run, progress=progress)
    roster.refresh_from_db()
    message = services.summary(report, roster)
    result = None
    if roster.report_file:
        with roster.report_file.open("rb") as file:
            result = (roster.report_file.name.rsplit("/", 1)[-1], file.read())
    total = len(report.rows) if report else 0
    job_services.set_progress(job, 2 * total, 2 * total, "done")
    ok = report is not None and not report.error_rows
    job_services.finish(job, succeeded=ok, result=result, message=message)
