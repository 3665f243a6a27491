"""The reminder run as a task of Django's tasks framework, enqueued by the scheduler and run by a worker."""

from django.tasks import task

from . import runs


@task()
def run_reminders(run_id: int) -> str:
    """Do the day's run the scheduler claimed; a run already done (a task delivered twice) is skipped."""
    run = runs.claim(run_id)
    if run is None:
        return "skipped"
    return runs.execute(run).status
