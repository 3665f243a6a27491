"""The mentor pool (导师库): mentors of a programme, their nomination and appointment, events and objections."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangdai.core.querysets import GovernedQuerySet
from bangdai.people.models import Person
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region

from .choices import MentorAction, MentorStatus, MentorTier, NominationSource


class MentorQuerySet(GovernedQuerySet):
    """Mentors whose home region lies in the user's governed subtrees, plus the user's own mentor records."""

    own_field = "person_id"

    def appointed(self):
        return self.filter(status=MentorStatus.ACTIVE)

    def with_free_places(self):
        return self.appointed().filter(load__lt=models.F("capacity"))


class Mentor(models.Model):
    """A cadre in a programme's mentor pool, from nomination to appointment and beyond (导师)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="mentors"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="mentor_roles"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("home region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The mentor's home village or unit; teaching sites and alliances start here."),
    )
    tier = models.CharField(_("tier"), max_length=12, choices=MentorTier.choices)
    titles = models.JSONField(_("titles"), default=list, blank=True)
    qianming_batch = models.PositiveSmallIntegerField(_("千名好支书 batch"), null=True, blank=True)
    expertise = models.JSONField(_("expertise"), default=list, blank=True)
    specialties = models.JSONField(_("specialties"), default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    load = models.PositiveSmallIntegerField(_("places taken"), default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=MentorStatus.choices, default=MentorStatus.SUBMITTED
    )
    nominated_via = models.CharField(_("nominated via"), max_length=4, choices=NominationSource.choices)
    nomination_statement = models.TextField(_("nomination statement"), blank=True)
    recommending_unit = models.CharField(_("recommending unit"), max_length=100, blank=True)
    publicity_start = models.DateField(_("publicity start"), null=True, blank=True)
    publicity_end = models.DateField(_("publicity end"), null=True, blank=True)
    appointed_at = models.DateField(_("appointed on"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    certificate_no = models.CharField(
        _("certificate number"), max_length=32, null=True, blank=True, unique=True
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MentorQuerySet.as_manager()

    class Meta:
        verbose_name = _("mentor (导师)")
        verbose_name_plural = _("mentors")
        constraints = [
            models.UniqueConstraint(fields=["programme", "person"], name="mentor_programme_person_unique"),
            models.CheckConstraint(
                condition=Q(load__lte=models.F("capacity")), name="mentor_load_within_capacity"
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="mentor_programme_status")]

    def __str__(self) -> str:
        return self.person.name

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.load, 0)


class MentorEvent(models.Model):
    """One step in a mentor's timeline: who did what, from which state to which, when and why."""

    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=MentorAction.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=MentorStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=MentorStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("mentor event")
        verbose_name_plural = _("mentor events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.mentor_id} {self.action} {self.at:%Y-%m-%d}"


class PublicityObjection(models.Model):
    """An objection raised during a mentor's publicity period (公示异议) and how it was resolved."""

    mentor = models.ForeignKey(Mentor, on_delete=models.CASCADE, related_name="objections")
    raised_by = models.CharField(_("raised by"), max_length=64, blank=True)
    content = models.TextField(_("content"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("publicity objection")
        verbose_name_plural = _("publicity objections")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.mentor_id} {self.recorded_at:%Y-%m-%d}"
