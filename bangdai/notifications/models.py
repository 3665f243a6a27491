"""In-app notifications (提醒) with their e-mail delivery, each person's reminder preferences, and reminder runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.pairings.models import Pairing

from .choices import DEFAULT_FREQUENCY, EmailState, Frequency, Kind, RunStatus, RunTrigger


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person's notifications are theirs alone: nobody else sees them, whatever their role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message to one person: a reminder before a deadline, a notice after it, or an escalation (提醒)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    mandatory = models.BooleanField(_("mandatory"), default=False)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # What it is about and for which period: one notification per recipient and key, however often a run repeats.
    key = models.CharField(_("key"), max_length=120)
    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    delivery = models.CharField(
        _("e-mail"), max_length=12, choices=Frequency.choices, default=Frequency.IMMEDIATELY
    )
    email_state = models.CharField(
        _("e-mail state"), max_length=12, choices=EmailState.choices, default=EmailState.PENDING
    )
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    batch = models.CharField(max_length=36, blank=True)  # the e-mail run that claimed it

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification (提醒)")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index(
                fields=["delivery"], condition=Q(email_state=EmailState.PENDING), name="notification_to_email"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ReminderPreference(models.Model):
    """How often one person receives one kind of non-mandatory reminder (missing: ``DEFAULT_FREQUENCY``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=Frequency.choices, default=DEFAULT_FREQUENCY
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reminder preference")
        verbose_name_plural = _("reminder preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="reminder_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}={self.frequency}"


class ReminderRun(models.Model):
    """One day's reminder run: who started it, how it went, what it sent. The scheduler claims a day once."""

    day = models.DateField(_("day"))
    trigger = models.CharField(_("started by"), max_length=12, choices=RunTrigger.choices)
    status = models.CharField(_("status"), max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder run")
        verbose_name_plural = _("reminder runs")
        ordering = ["-day", "-id"]
        constraints = [
            # However many scheduler processes run, each day is enqueued once.
            models.UniqueConstraint(
                fields=["day"], condition=Q(trigger=RunTrigger.SCHEDULER), name="reminder_run_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.trigger}"
