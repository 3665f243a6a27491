"""Writes to programmes: create one with default rules, and version its rules."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from bangdai.regions.choices import Level

from .choices import ProgrammeStatus
from .models import Programme, ProgrammeRules
from .policy import Policy

ORGANISING_LEVELS = {Level.PROVINCE, Level.CITY, Level.COUNTY}


def can_manage(actor, programme: Programme) -> bool:
    return actor.scope.administers(programme.region.path)


@transaction.atomic
def create_programme(
    *, actor, name: str, region, year: int, description: str = "", rules: dict | None = None
):
    """Open a programme for a region the actor's organisation department governs, with default rules."""
    if region.depth not in ORGANISING_LEVELS:
        raise ValidationError({"region": _("A programme is organised by a province, city or county.")})
    if not actor.scope.administers(region.path):
        raise PermissionDenied(_("You cannot organise a programme outside your jurisdiction."))
    policy = Policy.from_data(rules or {})
    try:
        with transaction.atomic():
            programme = Programme.objects.create(
                name=name.strip(), region=region, year=year, description=description, created_by=actor
            )
    except IntegrityError:
        raise ValidationError({"name": _("This region already has a programme with this name.")}) from None
    ProgrammeRules.objects.create(programme=programme, version=1, data=policy.as_data(), created_by=actor)
    return programme


@transaction.atomic
def change_rules(*, actor, programme: Programme, data: dict, note: str = "") -> ProgrammeRules:
    """Write a new version of the rules; records made under earlier versions keep theirs."""
    if not can_manage(actor, programme):
        raise PermissionDenied(_("You cannot change this programme's rules."))
    current = programme.policy.as_data()
    policy = Policy.from_data({**current, **data})
    if policy.as_data() == current:
        return programme.current_rules()
    version = (programme.rule_versions.aggregate(v=Max("version"))["v"] or 0) + 1
    rules = ProgrammeRules.objects.create(
        programme=programme, version=version, data=policy.as_data(), note=note, created_by=actor
    )
    programme._policy = None
    return rules


def check_open(programme: Programme) -> None:
    """New nominations, registrations and pairings go only into an open programme."""
    if programme.status != ProgrammeStatus.OPEN:
        raise ValidationError(_("The programme “%(name)s” is closed.") % {"name": programme.name})
