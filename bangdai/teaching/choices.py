"""Teaching-site levels and states, open-class states, enrolment sources and check-in methods."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteLevel(models.TextChoices):
    """Which organisation department designated the site (现场教学点的级别)."""

    PROVINCIAL = "provincial", _("Provincial (省级)")
    MUNICIPAL = "municipal", _("Municipal (市级)")
    COUNTY = "county", _("County (县级)")


# The depth of the region whose organisation department designates a site of each level.
LEVEL_DEPTH = {SiteLevel.PROVINCIAL: 1, SiteLevel.MUNICIPAL: 2, SiteLevel.COUNTY: 3}


class SiteStatus(models.TextChoices):
    ACTIVE = "active", _("Active (在用)")
    CLOSED = "closed", _("Closed (停用)")


class ClassStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled (已安排)")
    CANCELLED = "cancelled", _("Cancelled (已取消)")


class ClassPhase(models.TextChoices):
    """Where a scheduled class stands in time (derived, never stored)."""

    UPCOMING = "upcoming", _("Upcoming (未开始)")
    CHECK_IN = "check_in", _("Check-in open (签到中)")
    ENDED = "ended", _("Ended (已结束)")
    CANCELLED = "cancelled", _("Cancelled (已取消)")


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled (已报名)")
    WITHDRAWN = "withdrawn", _("Withdrawn (已退出)")


class EnrolmentSource(models.TextChoices):
    SELF = "self", _("Enrolled themselves (自主报名)")
    ADMIN = "admin", _("Enrolled by an organiser (组织报名)")
    ASSIGNED = "assigned", _("Assigned by matching (智能分配)")


class CheckInMethod(models.TextChoices):
    SCAN = "scan", _("QR code scan (扫码签到)")
    LIST = "list", _("Host's check list (导师点名)")


class AssignmentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed (待确认)")
    CONFIRMED = "confirmed", _("Confirmed (已确认)")
    DISCARDED = "discarded", _("Discarded (已放弃)")


class TeachingAction(models.TextChoices):
    SITE_REGISTERED = "site_registered", _("Site registered (登记教学点)")
    SITE_CHANGED = "site_changed", _("Site changed (修改教学点)")
    SITE_CLOSED = "site_closed", _("Site closed (停用教学点)")
    SITE_REOPENED = "site_reopened", _("Site reopened (恢复教学点)")
    CLASS_SCHEDULED = "class_scheduled", _("Class scheduled (安排课堂)")
    CLASS_CHANGED = "class_changed", _("Class changed (修改课堂)")
    CLASS_CANCELLED = "class_cancelled", _("Class cancelled (取消课堂)")
    MATERIAL_ADDED = "material_added", _("Material added (上传资料)")
    MATERIAL_REMOVED = "material_removed", _("Material removed (删除资料)")
    ASSIGNED = "assigned", _("Assignment confirmed (确认分配)")
    ATTENDANCE_CLEARED = "attendance_cleared", _("Attendance mark removed (撤销签到)")
