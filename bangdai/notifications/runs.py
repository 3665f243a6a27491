"""Reminder runs: one day's run (write the day's notifications, then e-mail what is due), the scheduler's claim
of a day, and the task a worker runs.

A run is idempotent: the notifications' keys let each reminder out once per person, and e-mail rows are claimed
with a compare-and-set, so a run repeated on one day, or two runs at once, send nothing twice.
"""

import datetime as dt
import logging
from collections import Counter

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import reminders, services
from .choices import RunStatus, RunTrigger
from .models import ReminderRun
from .schedule import schedule

logger = logging.getLogger(__name__)


def run_day(day: dt.date, *, dry_run: bool = False, email: bool = True) -> dict:
    """Write ``day``'s reminders, notices and escalations, then e-mail the pending ones due on ``day``.

    Returns counts: drafts found, notifications written (per kind), e-mails sent. With ``dry_run`` nothing is
    written or sent; ``written`` then counts what would be.
    """
    drafts = reminders.build(day)
    with transaction.atomic():
        written = services.deliver(drafts, dry_run=dry_run)
    counts = {
        "day": day.isoformat(),
        "found": len(drafts),
        "written": len(written),
        "by_kind": dict(sorted(Counter(d.kind for d in written).items())),
        "dry_run": dry_run,
    }
    if email and not dry_run:
        counts.update(services.send_emails(deliveries=services.due_deliveries(day)))
    return {**counts, "drafts": written} if dry_run else counts


def record_run(day: dt.date, *, trigger: str = RunTrigger.COMMAND) -> ReminderRun:
    return ReminderRun.objects.create(
        day=day, trigger=trigger, status=RunStatus.RUNNING, started_at=timezone.now()
    )


def execute(run: ReminderRun) -> ReminderRun:
    """Do the run recorded by ``run`` (claimed and running) and record the outcome."""
    try:
        counts = run_day(run.day)
    except Exception as error:
        logger.exception("Reminder run %s failed", run.pk)
        ReminderRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now()
        )
        raise
    ReminderRun.objects.filter(pk=run.pk).update(
        status=RunStatus.SUCCEEDED, counts=counts, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run


def claim(run_id: int) -> ReminderRun | None:
    """Move a queued run to running (compare-and-set): a task delivered twice does the run once."""
    if not ReminderRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    ):
        return None
    return ReminderRun.objects.get(pk=run_id)


def due_today(now: dt.datetime | None = None) -> dt.date | None:
    """The day whose run should be enqueued at ``now`` (local time): today from the configured hour on."""
    now = timezone.localtime(now)
    return now.date() if now.hour >= schedule().hour else None


def enqueue_day(day: dt.date) -> ReminderRun | None:
    """Claim ``day`` for the scheduler and enqueue its run after commit; None when another process claimed it."""
    from .tasks import run_reminders

    try:
        with transaction.atomic():
            run = ReminderRun.objects.create(day=day, trigger=RunTrigger.SCHEDULER)
            transaction.on_commit(lambda: run_reminders.enqueue(run.pk))
    except IntegrityError:
        return None
    return run
