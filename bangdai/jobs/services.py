"""Job life cycle: create and enqueue after commit, claim once (idempotent), report progress, finish."""

import logging
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from .choices import JobStatus
from .models import Job

logger = logging.getLogger(__name__)


def create_job(*, kind: str, created_by, region=None, title: str = "", params: dict | None = None) -> Job:
    """Record a queued job; call ``enqueue`` to hand it to a worker once the transaction commits."""
    return Job.objects.create(
        kind=kind, created_by=created_by, region=region, title=title[:200], params=params or {}
    )


def enqueue(job: Job, task) -> None:
    """Queue ``task(job.pk)`` after the current transaction commits, never inside it (the worker must see the row)."""
    job_id = job.pk

    def _send():
        result = task.enqueue(job_id)
        Job.objects.filter(pk=job_id, task_id="").update(task_id=str(result.id)[:64])

    transaction.on_commit(_send, robust=False)


def claim(job_id: int) -> Job | None:
    """Move a queued job to running (compare-and-set); None when it already ran or is running elsewhere."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now
    )
    if not claimed:
        return None
    return Job.objects.get(pk=job_id)


def set_progress(job: Job, done: int, total: int | None = None, phase: str | None = None) -> None:
    changes: dict = {"progress_done": done}
    if total is not None:
        changes["progress_total"] = total
    if phase is not None:
        changes["phase"] = phase[:64]
    Job.objects.filter(pk=job.pk).update(**changes)
    for key, value in changes.items():
        setattr(job, key, value)


def add_log(job: Job, line: str) -> None:
    stamp = timezone.localtime().strftime("%H:%M:%S")
    text = f"{stamp} {line}\n"
    Job.objects.filter(pk=job.pk).update(log=Concat(F("log"), Value(text)))
    job.log += text


def finish(job: Job, *, succeeded: bool, result: tuple[str, bytes] | None = None, message: str = "") -> Job:
    """Close a running job with its outcome and, optionally, its result file."""
    if message:
        add_log(job, message)
    if result is not None:
        name, content = result
        job.result_file.save(name, ContentFile(content), save=False)
    job.status = JobStatus.SUCCEEDED if succeeded else JobStatus.FAILED
    job.finished_at = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=job.status, finished_at=job.finished_at, result_file=job.result_file.name or ""
    )
    return job


def run(job_id: int, runner: Callable[[Job], None]) -> str:
    """Run a job once: claim it, call ``runner(job)`` (which calls ``finish``), and record a crash as a failure.

    Returns the job's final status, or "skipped" when the job was not queued (already done or running): a task
    delivered twice does its work once.
    """
    job = claim(job_id)
    if job is None:
        logger.info("Job %s is not queued; skipped", job_id)
        return "skipped"
    try:
        runner(job)
    except Exception as error:
        logger.exception("Job %s crashed", job_id)
        finish(job, succeeded=False, message=f"{type(error).__name__}: {error}")
        raise
    if not job.finished:
        finish(job, succeeded=True)
    return job.status
