"""The activity ledger (帮带台账): activities of a pairing, their evidence and history, and 复盘 reviews."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import Method
from bangdai.pairings.models import Pairing
from bangdai.regions.models import Region

from .choices import ActivityAction, ActivityStatus, EvidenceKind, Side, Verification


class PairingRecordQuerySet(models.QuerySet):
    """Records hanging off a pairing are visible exactly when their pairing is."""

    pairing_field = "pairing"

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.scope.superuser:
            return self
        return self.filter(**{f"{self.pairing_field}__in": Pairing.objects.visible_to(user).values("pk")})


class ActivityQuerySet(PairingRecordQuerySet):
    def counted(self):
        """Entries that count in the ledger's figures: everything but withdrawn ones."""
        return self.exclude(status=ActivityStatus.WITHDRAWN)

    def overdue(self, today: dt.date | None = None):
        """Entries the counterpart did not confirm within the window: flagged unconfirmed."""
        today = today or timezone.localdate()
        return self.filter(status=ActivityStatus.RECORDED, confirm_due__lt=today)

    def awaiting(self, today: dt.date | None = None):
        """Entries still waiting for the counterpart, inside the window."""
        today = today or timezone.localdate()
        return self.filter(status=ActivityStatus.RECORDED, confirm_due__gte=today)


class Activity(models.Model):
    """One mentoring activity of a pairing, recorded by the mentor or the apprentice (帮带活动)."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="activities"
    )
    # The pairing's region (the apprentice's workplace), copied so that region-wide counts need one join.
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField(_("date"))
    duration_min = models.PositiveSmallIntegerField(_("duration (minutes)"))
    method = models.CharField(_("method"), max_length=24, choices=Method.choices)
    content_areas = models.JSONField(_("content areas"), default=list)
    place = models.ForeignKey(Region, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    on_site = models.BooleanField(_("on site (现场)"))
    lng = models.FloatField(_("device longitude"), null=True, blank=True)
    lat = models.FloatField(_("device latitude"), null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(_("location accuracy (m)"), null=True, blank=True)
    summary = models.TextField(_("activity summary"))
    problems_solved = models.JSONField(_("problems solved"), default=list, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    logged_as = models.CharField(_("recorded as"), max_length=12, choices=Side.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.RECORDED
    )
    confirm_due = models.DateField(_("confirm by"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verification = models.CharField(
        _("verification"), max_length=12, choices=Verification.choices, default=Verification.UNREVIEWED
    )
    verification_note = models.TextField(_("verification note"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("checked"), null=True, blank=True)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity (帮带活动)")
        verbose_name_plural = _("activities")
        indexes = [
            # A pairing's ledger and its month figures; "silent since" looks for the latest date per pairing.
            models.Index(fields=["pairing", "occurred_on"], name="ledger_activity_pairing_day"),
            # Region-wide lists and trends: the region's subtree range, then the dates.
            models.Index(fields=["region", "occurred_on"], name="ledger_activity_region_day"),
            # "Last used method" and the author's own entries.
            models.Index(fields=["logged_by", "created_at"], name="ledger_activity_author"),
            # Entries still waiting for the counterpart, by deadline (to-confirm lists, overdue flags).
            models.Index(
                fields=["confirm_due"],
                condition=Q(status=ActivityStatus.RECORDED),
                name="ledger_activity_open_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_min__gte=1) & Q(duration_min__lte=1440), name="ledger_activity_duration"
            ),
            models.CheckConstraint(
                condition=(Q(lng__isnull=True) & Q(lat__isnull=True))
                | (Q(lng__isnull=False) & Q(lat__isnull=False)),
                name="ledger_activity_location_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.get_method_display()}"

    @property
    def counterpart(self) -> str:
        return Side.APPRENTICE if self.logged_as == Side.MENTOR else Side.MENTOR

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Unconfirmed after the counterpart's window closed (computed; no job sets it)."""
        return self.status == ActivityStatus.RECORDED and self.confirm_due < (today or timezone.localdate())

    @property
    def confirmed_late(self) -> bool:
        return bool(self.confirmed_at) and timezone.localdate(self.confirmed_at) > self.confirm_due


class EvidenceQuerySet(PairingRecordQuerySet):
    pairing_field = "activity__pairing"

    def shown(self):
        """Files still attached (a correction may remove one; the row stays for the history)."""
        return self.filter(removed_at__isnull=True)


def _evidence_path(instance, filename: str) -> str:
    return f"ledger/{timezone.localdate():%Y/%m}/{filename}"


class Evidence(models.Model):
    """A photo or document attached to an activity, stored only after it was checked and cleaned (佐证材料)."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("file"), upload_to=_evidence_path)
    thumbnail = models.FileField(_("thumbnail"), upload_to=_evidence_path, blank=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=EvidenceKind.choices)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.kind == EvidenceKind.IMAGE


class ActivityEvent(models.Model):
    """One step in an activity's history: recorded, corrected (with the changed fields), confirmed, checked."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=ActivityAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # field → [before, after], as shown
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity event")
        verbose_name_plural = _("activity events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.action}"


class Review(models.Model):
    """A 复盘 (after-action review) by the mentor: lessons and next steps over activities of the pairing."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="reviews"
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    activities = models.ManyToManyField(
        Activity, verbose_name=_("activities reviewed"), related_name="reviews"
    )
    lessons = models.TextField(_("lessons"))
    next_steps = models.TextField(_("next steps"))
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    objects = PairingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("复盘 review")
        verbose_name_plural = _("复盘 reviews")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"复盘 {self.pk}"
