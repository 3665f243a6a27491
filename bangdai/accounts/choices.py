"""Roles a user can hold at a region."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.regions.choices import Level


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation department admin (组织部管理员)")
    TOWNSHIP = "township", _("Township committee (乡镇党委)")
    MENTOR = "mentor", _("Mentor (导师)")
    APPRENTICE = "apprentice", _("Apprentice (徒弟)")
    AUDITOR = "auditor", _("Auditor (审计)")


# Roles that govern a region's whole subtree.
GOVERNING_ROLES = frozenset({Role.ORG_ADMIN, Role.TOWNSHIP, Role.AUDITOR})
# Roles that may change records in their subtree (auditors only read).
EDITING_ROLES = frozenset({Role.ORG_ADMIN, Role.TOWNSHIP})
# Roles whose holders see their own records only.
PERSONAL_ROLES = frozenset({Role.MENTOR, Role.APPRENTICE})

# The levels at which each role may be assigned.
ROLE_LEVELS = {
    Role.ORG_ADMIN: {Level.PROVINCE, Level.CITY, Level.COUNTY},
    Role.TOWNSHIP: {Level.TOWNSHIP},
    Role.AUDITOR: {Level.PROVINCE, Level.CITY, Level.COUNTY},
    Role.MENTOR: {Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE},
    Role.APPRENTICE: {Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE},
}
