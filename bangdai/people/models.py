"""Cadre records (干部) and the records that protect their personal data."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bangdai.core.querysets import GovernedQuerySet
from bangdai.regions.models import Region

from .choices import (
    CadreType,
    Education,
    Gender,
    HistoryAction,
    PoliticalStatus,
    Position,
    ProtectedField,
    Rank,
)
from .protection import EncryptedTextField, mask_id_number, mask_phone


class PersonQuerySet(GovernedQuerySet):
    """Cadres employed in the user's governed subtrees, plus the user's own record."""

    own_field = "pk"

    def in_region(self, region: Region):
        low, high = region.subtree_range
        return self.filter(region__path__gte=low, region__path__lt=high)


class Person(models.Model):
    """A cadre: the person behind mentor and apprentice roles."""

    name = models.CharField(_("name"), max_length=32, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=16, default="汉族", blank=True)
    id_number = EncryptedTextField(_("ID number"))
    id_number_index = models.CharField(max_length=64, unique=True, editable=False)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    political_status = models.CharField(_("political status"), max_length=20, choices=PoliticalStatus.choices)
    party_join_date = models.DateField(_("joined the party"), null=True, blank=True)
    education = models.CharField(_("education"), max_length=16, choices=Education.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("employer region"), on_delete=models.PROTECT, related_name="people"
    )
    org_unit = models.CharField(_("organisation unit"), max_length=64, blank=True)
    position = models.CharField(_("position"), max_length=24, choices=Position.choices)
    rank = models.CharField(_("rank"), max_length=16, choices=Rank.choices, blank=True)
    cadre_type = models.CharField(_("cadre type"), max_length=24, choices=CadreType.choices)
    entry_date = models.DateField(_("entry date"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("cadre (干部)")
        verbose_name_plural = _("cadres")
        indexes = [models.Index(fields=["region", "name"], name="person_region_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class PersonChange(models.Model):
    """One change to a cadre record; protected fields appear masked, never in clear."""

    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="changes")
    person_name = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=8, choices=HistoryAction.choices)
    changes = models.JSONField(_("changes"), default=dict)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("cadre record change")
        verbose_name_plural = _("cadre record changes")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.person_name} {self.action} {self.at:%Y-%m-%d %H:%M}"


class RevealRecord(models.Model):
    """A full view of a protected field: who saw whose what, when and through which channel."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reveals")
    field = models.CharField(_("field"), max_length=16, choices=ProtectedField.choices)
    channel = models.CharField(_("channel"), max_length=8)
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data reveal")
        verbose_name_plural = _("personal data reveals")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_id} → {self.person_id} {self.field} {self.at:%Y-%m-%d %H:%M}"
