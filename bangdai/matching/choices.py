"""States of a matching run and the words its explanations use."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued (排队中)")
    RUNNING = "running", _("Running (计算中)")
    PROPOSED = "proposed", _("Ready for review (待审核)")
    FAILED = "failed", _("Could not match (无法匹配)")
    ACCEPTED = "accepted", _("Accepted (已采纳)")
    DISCARDED = "discarded", _("Discarded (已放弃)")


OPEN_STATES = (RunStatus.QUEUED, RunStatus.RUNNING)


class Criterion(models.TextChoices):
    DISTANCE = "distance", _("Distance (距离)")
    COVERAGE = "coverage", _("Needs covered (需求覆盖)")
    TIER_FIT = "tier_fit", _("Tier fit (层级适配)")
    LOCALITY = "locality", _("Same township or county (同乡镇/县)")
    BALANCE = "balance", _("Workload balance (负担均衡)")
    CONTINUITY = "continuity", _("Continuity (延续性)")


class Why(models.TextChoices):
    HIGHER_SCORE = "higher_score", _("Scores higher than the runner-up")
    RUNNER_UP_FULL = (
        "runner_up_full",
        _("The runner-up scores higher, but its places give a better total to other apprentices"),
    )
    PINNED = "pinned", _("Pinned by an administrator")
    ONLY_OPTION = "only_option", _("The only mentor within the rules")


class UnpairedReason(models.TextChoices):
    NO_MENTOR_IN_RULES = "no_mentor_in_rules", _("No mentor with a free place passes the rules")
    CAPACITY_EXHAUSTED = "capacity_exhausted", _("Mentors nearby are full: their places went to better pairs")


class Rule(models.TextChoices):
    DISTANCE = "distance", _("beyond the distance limit")
    TIER = "tier", _("tier not allowed for the category")
    CONFLICT = "conflict", _("declared conflict of interest")
    FORBIDDEN = "forbidden", _("forbidden by an administrator")
    SELF = "self", _("same person")
    FULL = "full", _("no free place")
