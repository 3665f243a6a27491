"""Registering apprentices and changing their records."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from bangdai.core.batches import Outcome, bulk_insert, existing_person_ids
from bangdai.core.choices import ContentArea
from bangdai.programmes.models import Programme
from bangdai.programmes.services import check_open

from .choices import ApprenticeCategory, ApprenticeStatus
from .models import Apprentice


def _clean(data: dict) -> dict:
    errors = {}
    for key, choices in (("categories", ApprenticeCategory), ("needs", ContentArea)):
        values, known = data.get(key) or [], choices.values  # ``values`` builds a new list on every access
        if any(v not in known for v in values):
            errors[key] = _("Unknown value.")
        else:
            data[key] = sorted(set(values), key=known.index)
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


def _registration(
    actor, programme: Programme, person, categories, three_gates=False, needs=(), note=""
) -> Apprentice:
    """The checks of a registration, in order, and the apprentice it would create (not saved)."""
    if not actor.scope.edits(person.region.path):
        raise PermissionDenied(_("You cannot register a cadre outside your jurisdiction."))
    low, high = programme.region.subtree_range
    if not low <= person.region.path < high:
        raise ValidationError({"person": _("The cadre works outside the programme's region.")})
    data = _clean({"categories": list(categories), "needs": list(needs)})
    check_age(programme, person, data["categories"], three_gates)
    return Apprentice(
        programme=programme, person=person, region=person.region, three_gates=three_gates, note=note, **data
    )


def _registered_error() -> ValidationError:
    return ValidationError({"person": _("This cadre is already registered as an apprentice.")})


@transaction.atomic
def register(
    *, actor, programme: Programme, person, categories, three_gates=False, needs=(), note=""
) -> Apprentice:
    """Register a cadre in the programme's apprentice registry."""
    check_open(programme)
    apprentice = _registration(actor, programme, person, categories, three_gates, needs, note)
    try:
        with transaction.atomic():
            apprentice.save(force_insert=True)
    except IntegrityError:
        raise _registered_error() from None
    return apprentice


@transaction.atomic
def register_many(*, actor, programme: Programme, items: Sequence[dict]) -> Outcome[Apprentice]:
    """Register many cadres: each item (``person`` and ``register``'s other arguments) checked as ``register``
    checks it, the age rule included; the valid ones written in bulk.

    An invalid item does not stop the others: its error is in the outcome. A caller that wants all or nothing
    rolls back when ``outcome.failed``.
    """
    outcome: Outcome[Apprentice] = Outcome.sized(len(items))
    try:
        check_open(programme)
    except ValidationError as error:
        for i in range(len(items)):
            outcome.fail(i, error)
        return outcome
    taken = existing_person_ids(
        Apprentice.objects.filter(programme=programme), {item["person"].pk for item in items}
    )
    pending: list[tuple[int, Apprentice]] = []
    for i, item in enumerate(items):
        try:
            apprentice = _registration(actor, programme, **{"categories": (), **item})
            if apprentice.person_id in taken:
                raise _registered_error()
        except (ValidationError, PermissionDenied) as error:
            outcome.fail(i, error)
            continue
        taken.add(apprentice.person_id)
        pending.append((i, apprentice))

    def refuse(inserting: list[Apprentice]) -> list:
        # Another writer registered some of these cadres meanwhile: refuse those, keep the rest.
        raced = existing_person_ids(
            Apprentice.objects.filter(programme=programme), {a.person_id for a in inserting}
        )
        return [_registered_error() if a.person_id in raced else None for a in inserting]

    bulk_insert(Apprentice, pending, outcome, refuse)
    return outcome


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
