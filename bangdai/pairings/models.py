"""Pairings (结对) of mentors and apprentices, their 拜师帖, events and declared conflicts of interest."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bangdai.apprentices.models import Apprentice
from bangdai.mentors.models import Mentor
from bangdai.people.models import Person
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region

from .choices import OPEN_STATES, ConflictKind, PairingAction, PairingMode, PairingStatus


class PairingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Pairings of apprentices in the user's governed subtrees, and the user's own as mentor or apprentice."""
        if not user.is_authenticated:
            return self.none()
        scope = user.scope
        if scope.superuser:
            return self
        q = scope.governed_q("region__path")
        if scope.person_id:
            own = Q(apprentice__person_id=scope.person_id) | Q(
                pk__in=PairingMentor.objects.filter(mentor__person_id=scope.person_id).values("pairing_id")
            )
            q |= own
        return self.filter(q)

    def open(self):
        return self.filter(status__in=OPEN_STATES)


class Pairing(models.Model):
    """A mentor (or a team of mentors) and an apprentice bound by a 拜师帖 (结对)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="pairings"
    )
    apprentice = models.ForeignKey(
        Apprentice, verbose_name=_("apprentice"), on_delete=models.PROTECT, related_name="pairings"
    )
    mentors = models.ManyToManyField(Mentor, through="PairingMentor", related_name="pairings")
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(
        _("mode"), max_length=12, choices=PairingMode.choices, default=PairingMode.ONE_TO_ONE
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PairingStatus.choices, default=PairingStatus.PROPOSED
    )
    rules_version = models.PositiveIntegerField(_("rules version"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    apprentice_confirmed_at = models.DateTimeField(_("apprentice confirmed"), null=True, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    planned_end_date = models.DateField(_("planned end"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    pledge_signed_on = models.DateField(_("拜师帖 signed on"), null=True, blank=True)
    ceremony_place = models.CharField(_("ceremony place"), max_length=100, blank=True)
    witnesses = models.JSONField(_("witnesses"), default=list, blank=True)
    pledge_text = models.TextField(_("拜师帖 text"), blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    note = models.TextField(_("note"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("pairing (结对)")
        verbose_name_plural = _("pairings")
        constraints = [
            # At most one open primary pairing per apprentice, enforced by the database on SQLite and PostgreSQL.
            models.UniqueConstraint(
                fields=["apprentice"],
                condition=Q(status__in=OPEN_STATES),
                name="pairing_one_open_per_apprentice",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"], name="pairing_programme_status")]

    def __str__(self) -> str:
        return f"{self.pk}"


class PairingMentor(models.Model):
    """One mentor of a pairing and their confirmation."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="members")
    mentor = models.ForeignKey(Mentor, on_delete=models.PROTECT, related_name="memberships")
    is_primary = models.BooleanField(_("primary mentor"), default=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("pairing mentor")
        verbose_name_plural = _("pairing mentors")
        ordering = ["-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["pairing", "mentor"], name="pairing_mentor_unique")]

    def __str__(self) -> str:
        return f"{self.pairing_id}:{self.mentor_id}"


class PairingEvent(models.Model):
    """One step in a pairing's life: who, what, from which state to which, when and why."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=PairingAction.choices)
    from_status = models.CharField(_("from"), max_length=12, choices=PairingStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=PairingStatus.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("pairing event")
        verbose_name_plural = _("pairing events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.pairing_id} {self.action}"


class ConflictDeclaration(models.Model):
    """A declared conflict of interest: these two cadres may not be paired."""

    mentor_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    apprentice_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=ConflictKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    declared_at = models.DateTimeField(_("declared"), auto_now_add=True)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["mentor_person", "apprentice_person"], name="conflict_pair_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mentor_person_id}≠{self.apprentice_person_id}"
