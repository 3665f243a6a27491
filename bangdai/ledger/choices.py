"""States of a ledger entry, the organisation's verdicts on it, and the steps of its history."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Side(models.TextChoices):
    """Which party of the pairing recorded an activity; the other side confirms it."""

    MENTOR = "mentor", _("Mentor (导师)")
    APPRENTICE = "apprentice", _("Apprentice (徒弟)")


class ActivityStatus(models.TextChoices):
    RECORDED = "recorded", _("Awaiting confirmation (待确认)")
    CONFIRMED = "confirmed", _("Confirmed (已确认)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已撤回)")


class Verification(models.TextChoices):
    """The organisation department's or township committee's check of an entry (台账核查)."""

    UNREVIEWED = "unreviewed", _("Not checked (未核查)")
    VERIFIED = "verified", _("Verified (核实)")
    QUESTIONABLE = "questionable", _("Questionable (存疑)")


class ActivityAction(models.TextChoices):
    RECORD = "record", _("Recorded (记录)")
    CORRECT = "correct", _("Corrected (更正)")
    CONFIRM = "confirm", _("Confirmed by the counterpart (对方确认)")
    WITHDRAW = "withdraw", _("Withdrawn (撤回)")
    VERIFY = "verify", _("Verified (核实)")
    QUESTION = "question", _("Marked questionable (存疑)")
    REVIEW = "review", _("Reviewed in a 复盘 (复盘)")


# The verdict an organisation gives and the event it writes.
VERDICT_ACTIONS = {
    Verification.VERIFIED: ActivityAction.VERIFY,
    Verification.QUESTIONABLE: ActivityAction.QUESTION,
}


class EvidenceKind(models.TextChoices):
    IMAGE = "image", _("Photo")
    DOCUMENT = "document", _("Document (PDF)")


class Standing(models.TextChoices):
    """Where an entry stands with the counterpart; "unconfirmed" is computed from the window, never stored."""

    AWAITING = "awaiting", _("Awaiting confirmation (待确认)")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed (逾期未确认)")
    CONFIRMED = "confirmed", _("Confirmed (已确认)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已撤回)")


class LedgerFlag(models.TextChoices):
    """Filters of the region list: where an entry stands (computed from its state and dates)."""

    AWAITING = "awaiting", _("Awaiting confirmation, within the window")
    UNCONFIRMED = "unconfirmed", _("Unconfirmed: the window has closed")
    CONFIRMED = "confirmed", _("Confirmed")
    QUESTIONABLE = "questionable", _("Questionable")
    VERIFIED = "verified", _("Verified")
    WITHDRAWN = "withdrawn", _("Withdrawn")
