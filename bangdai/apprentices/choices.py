"""Apprentice categories and states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprenticeCategory(models.TextChoices):
    NEW_TOWNSHIP_CADRE = "new_township_cadre", _("New township cadre (新任乡镇干部)")
    VILLAGE_CADRE = "village_cadre", _("Village cadre (村干部)")
    NEW_VILLAGE_SECRETARY = "new_village_secretary", _("New village secretary (新任村书记)")
    WEAK_VILLAGE_SECRETARY = "weak_village_secretary", _("Weak-village secretary (薄弱村书记)")
    XUANDIAOSHENG = "xuandiaosheng", _("Selected graduate (选调生)")
    RUXIANG_YOUTH = "ruxiang_youth", _("Youth moving to the countryside (入乡青年)")
    RESERVE_CADRE = "reserve_cadre", _("Reserve cadre (后备干部)")
    SECONDED_CADRE = "seconded_cadre", _("Seconded cadre (下派干部)")
    FIRST_SECRETARY = "first_secretary", _("First secretary (第一书记)")


class ApprenticeStatus(models.TextChoices):
    ELIGIBLE = "eligible", _("Awaiting a mentor (待结对)")
    PAIRED = "paired", _("Paired (已结对)")
    GRADUATED = "graduated", _("Graduated (已出师)")
    EXITED = "exited", _("Exited (已退出)")
