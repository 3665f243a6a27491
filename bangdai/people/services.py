"""Writes to cadre records: create, update and reveal, each scoped, validated and recorded."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from bangdai.core.cache import REGION_COUNTS, bump

from .choices import HistoryAction, ProtectedField
from .models import Person, PersonChange, RevealRecord
from .protection import blind_index, mask_id_number, mask_phone
from .validation import check_id_against

TRACKED_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "id_number",
    "phone",
    "political_status",
    "party_join_date",
    "education",
    "region",
    "org_unit",
    "position",
    "rank",
    "cadre_type",
    "entry_date",
]
MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


def _display(field: str, value) -> str | None:
    if value is None or value == "":
        return None
    if field in MASKERS:
        return MASKERS[field](value)
    if field == "region":
        return f"{value.code} {value.name}"
    return str(value)


def _snapshot(person: Person) -> dict[str, str | None]:
    return {f: _display(f, getattr(person, f)) for f in TRACKED_FIELDS}


def duplicate_error(existing: Person, actor) -> ValidationError:
    """The refusal of a second record with the same ID number, linking to the first where the actor may see it."""
    if Person.objects.visible_to(actor).filter(pk=existing.pk).exists():
        message = format_html(
            _('A cadre with this ID number already exists: <a href="{}">{}</a>.'),
            reverse("people:detail", args=[existing.pk]),
            existing.name,
        )
        return ValidationError(
            {"id_number": ValidationError(message, code="duplicate", params={"id": existing.pk})}
        )
    return ValidationError(
        {
            "id_number": ValidationError(
                _("A cadre with this ID number is already registered in another jurisdiction."),
                code="duplicate_elsewhere",
            )
        }
    )


def _validate(person: Person, actor) -> None:
    errors = check_id_against(person.id_number, person.birth_date, person.gender)
    if errors:
        raise ValidationError(errors)
    existing = Person.objects.filter(id_number_index=person.id_number_index).exclude(pk=person.pk).first()
    if existing:
        raise duplicate_error(existing, actor)


def _save_checked(person: Person, actor) -> None:
    person.id_number_index = blind_index(person.id_number)
    person.phone_index = blind_index(person.phone) if person.phone else ""
    _validate(person, actor)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Another writer registered the same ID number between our check and our insert.
        existing = Person.objects.filter(id_number_index=person.id_number_index).exclude(pk=person.pk).first()
        if existing:
            raise duplicate_error(existing, actor) from None
        raise
    if not actor.scope.edits(person.region.path):
        raise PermissionDenied(_("You cannot place a cadre outside your jurisdiction."))
    bump(REGION_COUNTS)


@transaction.atomic
def create_person(*, actor, data: dict) -> Person:
    """Register a cadre in a region the actor governs."""
    person = Person(**data)
    _save_checked(person, actor)
    PersonChange.objects.create(
        person=person,
        person_name=person.name,
        actor=actor,
        action=HistoryAction.CREATED,
        changes={f: [None, v] for f, v in _snapshot(person).items() if v is not None},
    )
    return person


@transaction.atomic
def update_person(*, actor, person: Person, data: dict) -> Person:
    """Change a cadre record; the scope is checked before and after the change."""
    if not actor.scope.edits(person.region.path):
        raise PermissionDenied(_("You cannot change a cadre outside your jurisdiction."))
    before = _snapshot(Person.objects.select_related("region").get(pk=person.pk))
    for field, value in data.items():
        setattr(person, field, value)
    _save_checked(person, actor)
    after = _snapshot(person)
    changes = {f: [before[f], after[f]] for f in TRACKED_FIELDS if before[f] != after[f]}
    if changes:
        PersonChange.objects.create(
            person=person, person_name=person.name, actor=actor, action=HistoryAction.UPDATED, changes=changes
        )
    return person


def can_reveal(actor, person: Person) -> bool:
    return actor.has_perm("people.reveal_person", person)


@transaction.atomic
def reveal(*, actor, person: Person, field: str, channel: str) -> str:
    """Return a protected field in clear and record who saw it."""
    if field not in ProtectedField.values:
        raise ValidationError(_("Unknown protected field."))
    if not can_reveal(actor, person):
        raise PermissionDenied(_("You may not see this cadre's personal data in full."))
    RevealRecord.objects.create(actor=actor, person=person, field=field, channel=channel)
    return getattr(person, field)
