"""Registering apprentices and changing their records."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from bangdai.core.choices import ContentArea
from bangdai.programmes.models import Programme
from bangdai.programmes.services import check_open

from .choices import ApprenticeCategory, ApprenticeStatus
from .models import Apprentice


def _clean(data: dict) -> dict:
    errors = {}
    for key, choices in (("categories", ApprenticeCategory), ("needs", ContentArea)):
        values = data.get(key) or []
        if any(v not in choices.values for v in values):
            errors[key] = _("Unknown value.")
        else:
            data[key] = sorted(set(values), key=list(choices.values).index)
    if not data.get("categories"):
        errors["categories"] = _("Choose at least one category.")
    if errors:
        raise ValidationError(errors)
    return data


def check_age(programme: Programme, person, categories, three_gates: bool, on=None) -> None:
    """Young cadres only: at most the programme's age ceiling, unless new or 三门 (always eligible)."""
    from django.utils import timezone

    today = on or timezone.localdate()
    age = (
        today.year
        - person.birth_date.year
        - ((today.month, today.day) < (person.birth_date.month, person.birth_date.day))
    )
    service_years = (today - person.entry_date).days / 365.25
    limit = programme.policy.apprentice_max_age
    if age > limit and not three_gates and service_years > 3:
        raise ValidationError(
            {
                "person": _(
                    "%(name)s is %(age)d; apprentices are at most %(limit)d unless new to the post or 三门干部."
                )
                % {"name": person.name, "age": age, "limit": limit}
            }
        )


@transaction.atomic
def register(
    *, actor, programme: Programme, person, categories, three_gates=False, needs=(), note=""
) -> Apprentice:
    """Register a cadre in the programme's apprentice registry."""
    check_open(programme)
    if not actor.scope.edits(person.region.path):
        raise PermissionDenied(_("You cannot register a cadre outside your jurisdiction."))
    low, high = programme.region.subtree_range
    if not low <= person.region.path < high:
        raise ValidationError({"person": _("The cadre works outside the programme's region.")})
    data = _clean({"categories": list(categories), "needs": list(needs)})
    check_age(programme, person, data["categories"], three_gates)
    try:
        with transaction.atomic():
            return Apprentice.objects.create(
                programme=programme,
                person=person,
                region=person.region,
                three_gates=three_gates,
                note=note,
                **data,
            )
    except IntegrityError:
        raise ValidationError({"person": _("This cadre is already registered as an apprentice.")}) from None


@transaction.atomic
def update(*, actor, apprentice: Apprentice, **data) -> Apprentice:
    if not actor.scope.edits(apprentice.region.path):
        raise PermissionDenied(_("You may not change this apprentice."))
    current = {"categories": apprentice.categories, "needs": apprentice.needs}
    cleaned = _clean({**current, **{k: v for k, v in data.items() if k in current}})
    for key in ("three_gates", "note"):
        if key in data:
            cleaned[key] = data[key]
    for key, value in cleaned.items():
        setattr(apprentice, key, value)
    apprentice.save(update_fields=[*cleaned, "updated_at"])
    return apprentice


def set_status(apprentice: Apprentice, status: str) -> None:
    Apprentice.objects.filter(pk=apprentice.pk).update(status=status)
    apprentice.status = status


__all__ = ["register", "update", "set_status", "ApprenticeStatus"]
