"""States, decisions and events of mentoring plans (帮带计划)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (草稿)")
    SUBMITTED = "submitted", _("Submitted (待审定)")
    APPROVED = "approved", _("Approved (已审定)")
    RETURNED = "returned", _("Returned (已退回)")


# The mentor changes the goals in these states (an approved plan only through a new revision).
EDITABLE_STATES = (PlanStatus.DRAFT, PlanStatus.RETURNED)
# A plan in one of these states counts as handed in on time (plans_overdue).
HANDED_IN_STATES = (PlanStatus.SUBMITTED, PlanStatus.APPROVED)


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved (审定通过)")
    RETURNED = "returned", _("Returned (退回修改)")


class PlanAction(models.TextChoices):
    CREATE = "create", _("Drafted (起草)")
    EDIT = "edit", _("Draft saved (修改草稿)")
    SUBMIT = "submit", _("Submitted (提交审定)")
    APPROVE = "approve", _("Approved (审定通过)")
    RETURN = "return", _("Returned for revision (退回修改)")
    REVISE = "revise", _("Revised after approval (修订计划)")
    ACHIEVE = "achieve", _("Goal met (目标达成)")
    REOPEN = "reopen", _("Goal reopened (目标重新打开)")
