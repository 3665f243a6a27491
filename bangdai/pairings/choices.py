"""Pairing modes, states and actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PairingMode(models.TextChoices):
    ONE_TO_ONE = "one_to_one", _("One-to-one (一对一)")
    MANY_TO_ONE = "many_to_one", _("Mentor team (多对一)")


class PairingStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed (待确认)")
    CONFIRMED = "confirmed", _("Confirmed (待拜师)")
    ACTIVE = "active", _("Active (帮带中)")
    EXTENDED = "extended", _("Extended (延期帮带)")
    COMPLETED = "completed", _("Graduated (已出师)")
    TERMINATED = "terminated", _("Terminated (已终止)")
    DECLINED = "declined", _("Declined (已谢绝)")


# A pairing in one of these states holds a place in each of its mentors' capacity.
OPEN_STATES = (PairingStatus.PROPOSED, PairingStatus.CONFIRMED, PairingStatus.ACTIVE, PairingStatus.EXTENDED)
RUNNING_STATES = (PairingStatus.ACTIVE, PairingStatus.EXTENDED)


class PairingAction(models.TextChoices):
    PROPOSE = "propose", _("Proposed (提出结对)")
    CONFIRM = "confirm", _("Confirmed by one party (一方确认)")
    CONFIRMED = "confirmed", _("Confirmed by both (双方确认)")
    DECLINE = "decline", _("Declined (谢绝)")
    SIGN = "sign", _("拜师帖 signed (签订拜师帖)")
    EXTEND = "extend", _("Extended (延期)")
    COMPLETE = "complete", _("Graduated (出师)")
    TERMINATE = "terminate", _("Terminated (终止)")
    REPAIR = "repair", _("Re-paired after transfer (调整结对)")


class ConflictKind(models.TextChoices):
    HOUSEHOLD = "household", _("Same household or close relative (亲属关系)")
    SUPERIOR = "superior", _("Direct superior (直接上下级)")
    OTHER = "other", _("Other conflict of interest (其他利害关系)")
