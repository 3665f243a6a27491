"""Kinds of notifications, how often a person wants reminders, and the states of e-mail and reminder runs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a notification is about. Reminders come before a deadline; notices and escalations after it."""

    # Reminders before a deadline: each person chooses how often they get these (or turns them off).
    PLAN_DUE = "plan_due", _("Plan due soon (计划即将到期)")
    ASSIGNMENT_DUE = "assignment_due", _("Assignment due soon (作业即将到期)")
    REVIEW_DUE = "review_due", _("Review due soon (点评即将到期)")
    CONFIRM_DUE = "confirm_due", _("Entry to confirm (待确认台账)")
    MONTH_MINIMUM = "month_minimum", _("Monthly activities not reached yet (本月活动未达标)")
    # Notices that a deadline has passed: always sent, at once.
    PLAN_OVERDUE = "plan_overdue", _("Plan overdue (计划逾期)")
    ASSIGNMENT_OVERDUE = "assignment_overdue", _("Assignment overdue (作业逾期)")
    REVIEW_OVERDUE = "review_overdue", _("Review overdue (点评逾期)")
    # Escalations to the township committee (or the organisation department): always sent, at once.
    ESCALATE_PLAN = "escalate_plan", _("Escalated: plan overdue (督办：计划逾期)")
    ESCALATE_ASSIGNMENT = "escalate_assignment", _("Escalated: assignment overdue (督办：作业逾期)")
    ESCALATE_REVIEW = "escalate_review", _("Escalated: review overdue (督办：点评逾期)")
    ESCALATE_CONFIRM = "escalate_confirm", _("Escalated: entry left unconfirmed (督办：台账逾期未确认)")
    ESCALATE_MONTH = "escalate_month", _("Escalated: monthly activities missed (督办：月度活动未达标)")


REMINDER_KINDS = (Kind.PLAN_DUE, Kind.ASSIGNMENT_DUE, Kind.REVIEW_DUE, Kind.CONFIRM_DUE, Kind.MONTH_MINIMUM)
ESCALATION_KINDS = (
    Kind.ESCALATE_PLAN,
    Kind.ESCALATE_ASSIGNMENT,
    Kind.ESCALATE_REVIEW,
    Kind.ESCALATE_CONFIRM,
    Kind.ESCALATE_MONTH,
)
# Always delivered at once, whatever the person's preferences.
MANDATORY_KINDS = frozenset(
    {Kind.PLAN_OVERDUE, Kind.ASSIGNMENT_OVERDUE, Kind.REVIEW_OVERDUE, *ESCALATION_KINDS}
)


class Frequency(models.TextChoices):
    """How often a person receives a kind of (non-mandatory) reminder."""

    IMMEDIATELY = "immediately", _("Immediately (即时)")
    DAILY = "daily", _("Daily digest (每日汇总)")
    WEEKLY = "weekly", _("Weekly digest (每周汇总)")
    OFF = "off", _("Off (不提醒)")


DEFAULT_FREQUENCY = Frequency.IMMEDIATELY


class EmailState(models.TextChoices):
    PENDING = "pending", _("Waiting to be e-mailed")
    SENDING = "sending", _("Being e-mailed")
    SENT = "sent", _("E-mailed")
    SKIPPED = "skipped", _("Not e-mailed (no address)")


class RunTrigger(models.TextChoices):
    SCHEDULER = "scheduler", _("Scheduler (每日定时)")
    COMMAND = "command", _("Command line")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
