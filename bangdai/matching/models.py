"""Matching runs (智能匹配): the parameters of one run, its proposal pair by pair, and who was left unpaired."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.apprentices.models import Apprentice
from bangdai.core.querysets import GovernedQuerySet
from bangdai.mentors.models import Mentor
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region

from .choices import RunStatus, UnpairedReason, Why


class MatchRunQuerySet(GovernedQuerySet):
    own_field = None


class MatchRun(models.Model):
    """One run of the engine over a programme (or one county or township of it), kept with its parameters."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="match_runs"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Apprentices working in this area's subtree take part."),
    )
    number = models.PositiveIntegerField(_("run number"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("adjusted from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    status = models.CharField(_("status"), max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    # Weights, distance limit, tier rules, selection, pins and forbidden pairs: everything the selector read.
    params = models.JSONField(_("parameters"), default=dict)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.JSONField(_("error"), default=dict, blank=True)
    job = models.ForeignKey(
        "jobs.Job", verbose_name=_("job"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    objects = MatchRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("matching run (匹配方案)")
        verbose_name_plural = _("matching runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="match_run_programme_number"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · #{self.number}"


class MatchPair(models.Model):
    """A proposed pair with its score broken down by criterion and its runner-up."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="pairs")
    apprentice = models.ForeignKey(
        Apprentice, verbose_name=_("apprentice"), on_delete=models.CASCADE, related_name="+"
    )
    mentor = models.ForeignKey(Mentor, verbose_name=_("mentor"), on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    breakdown = models.JSONField(_("breakdown"), default=dict)
    distance_km = models.FloatField(_("distance (km)"))
    pinned = models.BooleanField(_("pinned"), default=False)
    runner_up = models.ForeignKey(
        Mentor,
        verbose_name=_("runner-up"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    runner_up_score = models.FloatField(_("runner-up score"), null=True, blank=True)
    runner_up_breakdown = models.JSONField(default=dict, blank=True)
    why = models.CharField(_("why"), max_length=16, choices=Why.choices)

    class Meta:
        verbose_name = _("proposed pair")
        verbose_name_plural = _("proposed pairs")
        ordering = ["run", "apprentice_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "apprentice"], name="match_pair_run_apprentice"),
        ]

    def __str__(self) -> str:
        return f"{self.apprentice_id} → {self.mentor_id}"


class MatchUnpaired(models.Model):
    """An apprentice the run left unpaired, with the reason and what would change it."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="unpaired")
    apprentice = models.ForeignKey(
        Apprentice, verbose_name=_("apprentice"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=UnpairedReason.choices)
    blocked_by = models.JSONField(_("excluded by rule"), default=dict)
    feasible_mentors = models.PositiveIntegerField(_("mentors within the rules"), default=0)
    suggestion = models.JSONField(_("what would change it"), default=dict, blank=True)

    class Meta:
        verbose_name = _("unpaired apprentice")
        verbose_name_plural = _("unpaired apprentices")
        ordering = ["run", "apprentice_id"]

    def __str__(self) -> str:
        return str(self.apprentice_id)
