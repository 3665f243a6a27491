"""Mentor states, titles and sources."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.programmes.choices import MentorTier

__all__ = ["MentorTier", "MentorStatus", "MentorTitle", "NominationSource", "MentorAction"]


class MentorStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted (已提交)")
    UNIT_RECOMMENDED = "unit_recommended", _("Recommended by unit (单位推荐)")
    VETTING = "vetting", _("Organisational vetting (组织考察)")
    COLLECTIVE_REVIEW = "collective_review", _("Collective review (集体研究)")
    PUBLICITY = "publicity", _("Publicity (公示)")
    ACTIVE = "active", _("Appointed (已聘任)")
    REJECTED = "rejected", _("Rejected (未通过)")
    SUSPENDED = "suspended", _("Suspended (暂停)")
    EXPIRED = "expired", _("Term expired (聘期届满)")
    RETIRED = "retired", _("Retired (退出)")
    DISMISSED = "dismissed", _("Dismissed (清退)")


REVIEW_STATES = (
    MentorStatus.SUBMITTED,
    MentorStatus.UNIT_RECOMMENDED,
    MentorStatus.VETTING,
    MentorStatus.COLLECTIVE_REVIEW,
    MentorStatus.PUBLICITY,
)


class MentorAction(models.TextChoices):
    NOMINATE = "nominate", _("Nominated (提名)")
    RECOMMEND = "recommend", _("Recommended by unit (单位推荐)")
    VET = "vet", _("Sent to vetting (组织考察)")
    REVIEW = "review", _("Passed vetting, to collective review (提交集体研究)")
    PUBLICISE = "publicise", _("Publicity started (公示)")
    APPOINT = "appoint", _("Appointed (聘任)")
    REJECT = "reject", _("Rejected (不予通过)")
    SUSPEND = "suspend", _("Suspended (暂停)")
    RESUME = "resume", _("Resumed (恢复)")
    EXPIRE = "expire", _("Term expired (聘期届满)")
    RENEW = "renew", _("Renewed (续聘)")
    RETIRE = "retire", _("Retired (退出)")
    DISMISS = "dismiss", _("Dismissed (清退)")
    OBJECTION = "objection", _("Objection recorded (公示异议)")
    EDIT = "edit", _("Profile changed (信息变更)")


class NominationSource(models.TextChoices):
    ORG_RECOMMENDED = "org", _("Organisational recommendation (组织推荐)")
    SELF_NOMINATED = "self", _("Self-nomination (个人自荐)")


class MentorTitle(models.TextChoices):
    XINGCUN_MINGSHI = "xingcun_mingshi", _("Village revitalisation master (兴村名师)")
    ZHISHE_MINGSHI = "zhishe_mingshi", _("Community governance master (治社名师)")
    DANDANG_HAO_ZHISHU = "dandang_hao_zhishu", _("Responsible good secretary (担当作为好支书)")
    QIANMING_HAO_ZHISHU = "qianming_hao_zhishu", _("Thousand good secretaries (千名好支书)")
    LAO_XIANGZHEN = "lao_xiangzhen", _("Veteran township cadre (老乡镇)")
    NATIONAL_MODEL_WORKER = "model_worker", _("National model worker (全国劳模)")
    LIANGYOU_YIXIAN = "liangyou_yixian", _("Two excellents, one advanced (两优一先)")
