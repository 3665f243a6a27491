"""Mentoring plans (帮带计划): goals per content area, every submitted revision, and the plan's events."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.core.choices import ContentArea
from bangdai.pairings.models import Pairing

from .choices import Decision, PlanAction, PlanStatus


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Plans of the pairings the user may see (governed subtrees, and the user's own as mentor or apprentice)."""
        return self.filter(pairing__in=Pairing.objects.visible_to(user))


class MentoringPlan(models.Model):
    """The plan of one pairing: drafted by its mentor, approved by the township committee or the department."""

    pairing = models.OneToOneField(
        Pairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="plan"
    )
    summary = models.TextField(_("overall aim"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    revision = models.PositiveIntegerField(_("revision"), default=0)  # the latest submitted revision's number
    approved_revision = models.PositiveIntegerField(_("approved revision"), null=True, blank=True)
    # The programme's activity rules when the plan was last submitted (the domain's required_frequencies).
    required_frequencies = models.JSONField(_("required frequencies"), default=dict, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    first_submitted_at = models.DateTimeField(_("first submitted"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("mentoring plan (帮带计划)")
        verbose_name_plural = _("mentoring plans")
        indexes = [models.Index(fields=["status"], name="plan_status")]

    def __str__(self) -> str:
        return f"{self.pk}"


class PlanGoal(models.Model):
    """One goal of a plan: a content area, what is to be achieved, how it is measured and by when."""

    plan = models.ForeignKey(MentoringPlan, on_delete=models.CASCADE, related_name="goals")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    content_area = models.CharField(_("content area"), max_length=24, choices=ContentArea.choices)
    description = models.TextField(_("goal"))
    measurable_target = models.CharField(_("measurable target"), max_length=200)
    due_on = models.DateField(_("due"))
    achieved_on = models.DateField(_("met on"), null=True, blank=True)
    achieved_note = models.CharField(_("how it was met"), max_length=500, blank=True)
    achieved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("plan goal")
        verbose_name_plural = _("plan goals")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description[:40]


class PlanRevision(models.Model):
    """A submitted revision, kept as it was: the goals, who submitted it and why, and the decision on it."""

    plan = models.ForeignKey(MentoringPlan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    summary = models.TextField(_("overall aim"), blank=True)
    goals = models.JSONField(_("goals"), default=list)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    comment = models.TextField(_("mentor's note"), blank=True)
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.TextField(_("reviewer's comments"), blank=True)

    class Meta:
        verbose_name = _("plan revision")
        verbose_name_plural = _("plan revisions")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_revision_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id} r{self.number}"


class PlanEvent(models.Model):
    """One step in a plan's life: who, what, from which state to which, when and with which comment."""

    plan = models.ForeignKey(MentoringPlan, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=PlanAction.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=PlanStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=PlanStatus.choices, blank=True)
    revision = models.PositiveIntegerField(_("revision"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan event")
        verbose_name_plural = _("plan events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action}"
