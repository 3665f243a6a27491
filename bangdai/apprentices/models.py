"""The apprentice registry (徒弟): young cadres registered in a programme, their categories and needs."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.core.querysets import GovernedQuerySet
from bangdai.people.models import Person
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region

from .choices import ApprenticeStatus


class ApprenticeQuerySet(GovernedQuerySet):
    """Apprentices working in the user's governed subtrees, plus the user's own apprentice records."""

    own_field = "person_id"

    def unpaired(self):
        return self.filter(status=ApprenticeStatus.ELIGIBLE)


class Apprentice(models.Model):
    """A young cadre registered in a programme to be mentored (徒弟 / 帮带对象)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="apprentices"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="apprentice_roles"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("workplace"), on_delete=models.PROTECT, related_name="+"
    )
    categories = models.JSONField(_("categories"), default=list)
    three_gates = models.BooleanField(
        _("三门干部"),
        default=False,
        help_text=_("From home to school to office, without grassroots experience."),
    )
    needs = models.JSONField(_("needs"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ApprenticeStatus.choices, default=ApprenticeStatus.ELIGIBLE
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ApprenticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("apprentice (徒弟)")
        verbose_name_plural = _("apprentices")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "person"], name="apprentice_programme_person_unique"
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="apprentice_programme_status")]

    def __str__(self) -> str:
        return self.person.name
