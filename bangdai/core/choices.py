"""Choice sets shared by the domain apps: the five content areas and the mentoring methods."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ContentArea(models.TextChoices):
    """The five content areas of 帮带 (五个方面帮带内容)."""

    IDEALS_ROOTING = "ideals_rooting", _("Ideals and rooting (带思想情怀助扎根)")
    MASS_WORK_SERVICE = "mass_work_service", _("Mass work and service (带群众工作优服务)")
    PARTY_BUILDING = "party_building", _("Party building (带基层党建筑堡垒)")
    COMMON_PROSPERITY = "common_prosperity", _("Common prosperity (带富民强村促发展)")
    GOVERNANCE_HARMONY = "governance_harmony", _("Governance and harmony (带基层治理促和谐)")


class Method(models.TextChoices):
    """Mentoring methods (帮带方法)."""

    DIAGNOSTIC_VISIT = "diagnostic_visit", _("Diagnostic visit (把脉巡诊法)")
    TEAM_TACKLING = "team_tackling", _("Team tackling (组团攻坚法)")
    MODEL_EXPORT = "model_export", _("Model export (模式输出法)")
    ASSIGNMENT = "assignment", _("Assignment (布置作业法)")
    SCENARIO_SIMULATION = "scenario_simulation", _("Scenario simulation (情景模拟法)")
    CASE_DISSECTION = "case_dissection", _("Case dissection (解剖麻雀法)")
    AFTER_ACTION_REVIEW = "after_action_review", _("After-action review (复盘提高法)")
    CASE_ANALYSIS = "case_analysis", _("Case analysis (案例分析)")
    SUPERVISED_PRACTICE = "supervised_practice", _("Supervised practice (放手实践)")
    ONSITE_TEACHING = "onsite_teaching", _("On-site teaching (现场教学)")
    HEART_TO_HEART_TALK = "heart_to_heart_talk", _("Heart-to-heart talk (谈心谈话)")


def labels(choices: type[models.TextChoices], values) -> str:
    """Display labels of a list of choice values, joined with the Chinese enumeration comma."""
    names = dict(choices.choices)
    return "、".join(str(names.get(v, v)) for v in values or [])
