"""States and kinds of programmes, mentors, apprentices and pairings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeStatus(models.TextChoices):
    OPEN = "open", _("Open (进行中)")
    CLOSED = "closed", _("Closed (已结束)")


class MentorTier(models.TextChoices):
    PROVINCIAL = "provincial", _("Provincial (省级)")
    MUNICIPAL = "municipal", _("Municipal (市级)")
    COUNTY = "county", _("County (县级)")
    TOWNSHIP = "township", _("Township (乡镇级)")
    VILLAGE = "village", _("Village (村级)")
