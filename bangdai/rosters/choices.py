"""Roster kinds and the states of an uploaded roster."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RosterKind(models.TextChoices):
    MENTORS = "mentors", _("Mentor roster (导师名册)")
    APPRENTICES = "apprentices", _("Apprentice roster (徒弟名册)")
    PAIRINGS = "pairings", _("Pairing roster (结对名册)")


class UploadStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded (已上传)")
    CHECKING = "checking", _("Checking (检查中)")
    CHECKED = "checked", _("Checked, ready to import (可导入)")
    HAS_ERRORS = "has_errors", _("Has errors (有错误)")
    IMPORTING = "importing", _("Importing (导入中)")
    IMPORTED = "imported", _("Imported (已导入)")
    REFUSED = "refused", _("Refused, nothing written (未导入)")


class RowAction(models.TextChoices):
    CREATED = "created", _("Created (新增)")
    UPDATED = "updated", _("Updated (更新)")
    UNCHANGED = "unchanged", _("Unchanged (无变化)")
    ERROR = "error", _("Error (错误)")
