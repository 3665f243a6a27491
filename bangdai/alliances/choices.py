"""States and words of radiation alliances (党建联盟) and of the planner's proposals."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AllianceStatus(models.TextChoices):
    FORMING = "forming", _("Forming (筹建中)")
    ACTIVE = "active", _("Active (运行中)")
    DISSOLVED = "dissolved", _("Dissolved (已撤销)")


LIVE_STATES = (AllianceStatus.FORMING, AllianceStatus.ACTIVE)


class AllianceAction(models.TextChoices):
    FORM = "form", _("Formed (组建)")
    ACTIVATE = "activate", _("Activated (启动运行)")
    DISSOLVE = "dissolve", _("Dissolved (撤销)")
    JOIN = "join", _("Village joined (村加入)")
    LEAVE = "leave", _("Village left (村退出)")
    EDIT = "edit", _("Goals or details changed (信息变更)")
    ACTIVITY = "activity", _("Joint activity recorded (联合活动)")


class PlanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued (排队中)")
    RUNNING = "running", _("Running (计算中)")
    PROPOSED = "proposed", _("Ready for review (待审核)")
    FAILED = "failed", _("Could not plan (无法规划)")
    ADOPTED = "adopted", _("Adopted (已采纳)")
    DISCARDED = "discarded", _("Discarded (已放弃)")


OPEN_PLAN_STATES = (PlanStatus.QUEUED, PlanStatus.RUNNING)


class PlanAction(models.TextChoices):
    SOLVE = "solve", _("Planned (求解)")
    MOVE = "move", _("Village moved (调整村)")
    DROP_HUB = "drop_hub", _("Hub dropped (删除中心村)")
    ADOPT = "adopt", _("Adopted (采纳)")
    DISCARD = "discard", _("Discarded (放弃)")


class Unplaced(models.TextChoices):
    """Why a village of the area is in no proposed alliance."""

    OUT_OF_REACH = "out_of_reach", _("No qualified hub within the distance limit")
    NO_ROOM = "no_room", _("Hubs within reach are full (size limit)")
    HUB_DROPPED = "hub_dropped", _("Its hub was dropped and no other hub within reach has room")


class Qualification(models.TextChoices):
    """Which appointed mentors make their home village a candidate hub."""

    APPOINTED = "appointed", _("Every appointed mentor living in the village (村级导师 or any tier)")
    TITLED = "titled", _("Only mentors holding a village-leading title (兴村名师, 治社名师, 好支书)")


class Weighting(models.TextChoices):
    """How much a village's distance to its hub counts in the planner's objective."""

    CADRES = "cadres", _("By the village's cadres (at least 1)")
    UNIFORM = "uniform", _("Every village alike")
