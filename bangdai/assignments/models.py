"""Assignments (布置作业): set by the mentor, answered by the apprentice (every submission kept), reviewed and scored."""

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea
from bangdai.pairings.models import Pairing

from .choices import AssignmentAction, AssignmentStatus


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Assignments of the pairings the user may see (governed subtrees, and the user's own pairings)."""
        return self.filter(pairing__in=Pairing.objects.visible_to(user))


class Assignment(models.Model):
    """A piece of work the mentor sets the apprentice, with a due date, then reviews and scores (0–100)."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="assignments"
    )
    title = models.CharField(_("title"), max_length=100)
    brief = models.TextField(_("brief"))
    content_area = models.CharField(_("content area"), max_length=24, choices=ContentArea.choices)
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.ISSUED
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    submission_count = models.PositiveIntegerField(_("submissions"), default=0)
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("last submitted"), null=True, blank=True)
    feedback = models.TextField(_("feedback"), blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment (作业)")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="assignment_score_0_100",
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="assignment_status_due")]

    def __str__(self) -> str:
        return self.title


class Submission(models.Model):
    """One answer of the apprentice; a later one before the review replaces it, and both are kept."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField(_("number"))
    text = models.TextField(_("answer"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    superseded_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["assignment", "number"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "number"], name="submission_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}#{self.number}"


def submission_file_path(instance, filename: str) -> str:
    """A random stored name; the uploader's (cleaned) name is kept in ``name``."""
    ext = os.path.splitext(filename)[1].lower()
    return f"assignments/{instance.submission.assignment_id}/{uuid.uuid4().hex}{ext}"


class SubmissionFile(models.Model):
    """A file of a submission, stored only after ``core.uploads.clean_upload`` (photos re-encoded, PDFs sniffed)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=submission_file_path, max_length=200)
    name = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(_("type"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10)  # "image" or "document"
    size = models.PositiveIntegerField(_("size"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("submitted file")
        verbose_name_plural = _("submitted files")
        ordering = ["submission", "id"]

    def __str__(self) -> str:
        return self.name


class AssignmentEvent(models.Model):
    """One step in an assignment's life: who, what, from which state to which, when and with which comment."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=AssignmentAction.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=AssignmentStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=AssignmentStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment event")
        verbose_name_plural = _("assignment events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.action}"
