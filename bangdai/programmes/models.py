"""Mentoring programmes (帮带项目) and their versioned rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.regions.models import Region

from .choices import ProgrammeStatus
from .policy import Policy


class ProgrammeQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Programmes organised at a region inside the user's subtrees or above it (a county sees its city's)."""
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        q = scope.regions_q("region__path")
        for root in scope.paths():
            # Programmes of the ancestors reach down into the user's subtree.
            ancestors = [root[:i] for i in range(5, len(root), 5)]
            if ancestors:
                q |= models.Q(region__path__in=ancestors)
        return self.filter(q)


class Programme(models.Model):
    """A mentoring programme run by an organisation department for its region (帮带项目)."""

    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("organising region"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=ProgrammeStatus.choices, default=ProgrammeStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme (帮带项目)")
        verbose_name_plural = _("programmes")
        ordering = ["-year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="programme_region_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def current_rules(self) -> "ProgrammeRules":
        return self.rule_versions.order_by("-version").first()

    @property
    def policy(self) -> Policy:
        cached = getattr(self, "_policy", None)
        if cached is None:
            rules = self.current_rules()
            cached = self._policy = Policy.from_data(rules.data if rules else {})
        return cached


class ProgrammeRules(models.Model):
    """One version of a programme's rules; a change writes a new version and never rewrites the past."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="rule_versions")
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("rules"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("programme rules version")
        verbose_name_plural = _("programme rules versions")
        ordering = ["programme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="programme_rules_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.programme} v{self.version}"

    @property
    def policy(self) -> Policy:
        return Policy.from_data(self.data)
