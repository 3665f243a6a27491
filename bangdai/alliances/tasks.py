"""Alliance plans solved by a task worker, tracked by a Job row."""

from django.tasks import task
from django.utils.translation import gettext as _

from bangdai.jobs import services as job_services
from bangdai.jobs.models import Job

from . import services
from .choices import PlanStatus
from .models import PlanRun


@task()
def run_plan_job(job_id: int) -> str:
    """Solve the plan named by the job, once."""
    return job_services.run(job_id, _run)


def _run(job: Job) -> None:
    run = PlanRun.objects.select_related("region").get(pk=job.params["run"])
    job_services.set_progress(job, 0, 1, "solve")
    services.solve(run, progress=lambda text: job_services.add_log(job, text))
    run.refresh_from_db()
    job_services.set_progress(job, 1, 1, "done")
    if run.status == PlanStatus.FAILED:
        job_services.finish(job, succeeded=False, message=services.error_message(run))
        return
    solver = run.summary["solver"]
    job_services.finish(
        job,
        succeeded=True,
        message=_("%(hubs)d alliances proposed; objective %(objective)s km, gap %(gap)s %%.")
        % {
            "hubs": run.summary["proposal"]["hubs"],
            "objective": solver["objective_km"],
            "gap": solver["gap_pct"],
        },
    )
