"""The kinds of entry in a growth file's timeline (成长档案)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What an entry of the timeline is about; the page and the API filter by these."""

    PAIRING = "pairing", _("Pairings (结对)")
    PLAN = "plan", _("Mentoring plan (帮带计划)")
    ACTIVITY = "activity", _("Activities (帮带活动)")
    ASSIGNMENT = "assignment", _("Assignments (作业)")
    OPEN_CLASS = "open_class", _("Open classes (开放型课堂)")
    ALLIANCE = "alliance", _("Alliance work (党建联盟)")


class Source(models.TextChoices):
    """The record behind an entry (several sources make up one kind)."""

    PAIRING_EVENT = "pairing_event", _("Pairing step")
    PLAN_EVENT = "plan_event", _("Plan step")
    GOAL_MET = "goal_met", _("Plan goal met")
    ACTIVITY = "activity", _("Activity")
    REVIEW = "review", _("复盘 review")
    ASSIGNMENT = "assignment", _("Assignment")
    OPEN_CLASS = "open_class", _("Open class attended")
    JOINT_ACTIVITY = "joint_activity", _("Joint activity")
    JOINED = "alliance_joined", _("Village joined an alliance")
    LEFT = "alliance_left", _("Village left an alliance")


KIND_OF = {
    Source.PAIRING_EVENT: Kind.PAIRING,
    Source.PLAN_EVENT: Kind.PLAN,
    Source.GOAL_MET: Kind.PLAN,
    Source.ACTIVITY: Kind.ACTIVITY,
    Source.REVIEW: Kind.ACTIVITY,
    Source.ASSIGNMENT: Kind.ASSIGNMENT,
    Source.OPEN_CLASS: Kind.OPEN_CLASS,
    Source.JOINT_ACTIVITY: Kind.ALLIANCE,
    Source.JOINED: Kind.ALLIANCE,
    Source.LEFT: Kind.ALLIANCE,
}

# Icons (Tabler) of each source on the page.
ICONS = {
    Source.PAIRING_EVENT: "ti-link",
    Source.PLAN_EVENT: "ti-clipboard-list",
    Source.GOAL_MET: "ti-target-arrow",
    Source.ACTIVITY: "ti-notebook",
    Source.REVIEW: "ti-repeat",
    Source.ASSIGNMENT: "ti-pencil",
    Source.OPEN_CLASS: "ti-school",
    Source.JOINT_ACTIVITY: "ti-affiliate",
    Source.JOINED: "ti-affiliate",
    Source.LEFT: "ti-affiliate",
}
