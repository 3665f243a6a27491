"""Kinds and states of background jobs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    ROSTER_CHECK = "roster_check", _("Roster check (名册预检)")
    ROSTER_IMPORT = "roster_import", _("Roster import (名册导入)")
    CERTIFICATES = "certificates", _("Certificates of a programme (批量聘书)")
    MATCHING = "matching", _("Matching run (智能匹配)")
    ALLIANCE_PLAN = "alliance_plan", _("Alliance plan (联盟规划)")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued (排队中)")
    RUNNING = "running", _("Running (运行中)")
    SUCCEEDED = "succeeded", _("Succeeded (已完成)")
    FAILED = "failed", _("Failed (失败)")


FINISHED_STATES = (JobStatus.SUCCEEDED, JobStatus.FAILED)
