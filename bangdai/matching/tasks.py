"""Matching runs solved and accepted by a task worker, tracked by a Job row."""

from django.core.exceptions import ValidationError
from django.tasks import task
from django.utils.translation import gettext as _

from bangdai.jobs import services as job_services
from bangdai.jobs.models import Job

from . import services
from .choices import RunStatus
from .models import MatchRun


@task()
def run_match_job(job_id: int) -> str:
    """Solve or accept the run named by the job, once."""
    return job_services.run(job_id, _run)


def _run(job: Job) -> None:
    run = MatchRun.objects.select_related("programme__region", "region").get(pk=job.params["run"])
    if job.params.get("action") == "accept":
        try:
            services.accept_now(
                job.created_by,
                run,
                progress=lambda done, total: job_services.set_progress(job, done, total, "accept"),
            )
        except ValidationError as error:
            job_services.finish(job, succeeded=False, message=" ".join(error.messages))
            return
        job_services.finish(
            job, succeeded=True, message=_("The run was accepted: its pairings are proposed.")
        )
        return
    job_services.set_progress(job, 0, 1, "solve")
    services.solve(run, progress=lambda text: job_services.add_log(job, text))
    run.refresh_from_db()
    job_services.set_progress(job, 1, 1, "done")
    if run.status == RunStatus.FAILED:
        job_services.finish(job, succeeded=False, message=services.error_message(run))
    else:
        job_services.finish(
            job,
            succeeded=True,
            message=_("%(paired)d paired, %(unpaired)d unpaired.") % run.summary,
        )
