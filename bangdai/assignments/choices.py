"""States and events of assignments (布置作业)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentStatus(models.TextChoices):
    ISSUED = "issued", _("Issued (已布置)")
    SUBMITTED = "submitted", _("Submitted (已提交)")
    REVIEWED = "reviewed", _("Reviewed (已点评)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已撤回)")


# An assignment in one of these states takes a (new) submission and may be withdrawn.
OPEN_STATES = (AssignmentStatus.ISSUED, AssignmentStatus.SUBMITTED)


class AssignmentAction(models.TextChoices):
    ISSUE = "issue", _("Issued (布置作业)")
    SUBMIT = "submit", _("Submitted (提交作业)")
    RESUBMIT = "resubmit", _("Submitted again (重新提交)")
    REVIEW = "review", _("Reviewed and scored (点评打分)")
    WITHDRAW = "withdraw", _("Withdrawn (撤回)")


class Flag(models.TextChoices):
    """Conditions computed from the dates, shown beside the state."""

    OVERDUE = "overdue", _("Overdue (逾期未交)")
    REVIEW_OVERDUE = "review_overdue", _("Review overdue (逾期未点评)")
