"""Writes to cadre records: create, update and reveal, each scoped, validated and recorded."""

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from bangdai.core.batches import Outcome, bulk_insert, chunks
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


def _check_id(person: Person) -> None:
    errors = check_id_against(person.id_number, person.birth_date, person.gender)
    if errors:
        raise ValidationError(errors)


def _validate(person: Person, actor) -> None:
    _check_id(person)
    existing = Person.objects.filter(id_number_index=person.id_number_index).exclude(pk=person.pk).first()
    if existing:
        raise duplicate_error(existing, actor)


def _set_indexes(person: Person) -> None:
    person.id_number_index = blind_index(person.id_number)
    person.phone_index = blind_index(person.phone) if person.phone else ""


def _placement_error() -> PermissionDenied:
    return PermissionDenied(_("You cannot place a cadre outside your jurisdiction."))


def _save_checked(person: Person, actor) -> None:
    _set_indexes(person)
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
        raise _placement_error()
    bump(REGION_COUNTS)


def _created_change(person: Person, actor) -> PersonChange:
    return PersonChange(
        person=person,
        person_name=person.name,
        actor=actor,
        action=HistoryAction.CREATED,
        changes={f: [None, v] for f, v in _snapshot(person).items() if v is not None},
    )


def _updated_change(person: Person, actor, before: dict, after: dict) -> PersonChange | None:
    changes = {f: [before[f], after[f]] for f in TRACKED_FIELDS if before[f] != after[f]}
    if not changes:
        return None
    return PersonChange(
        person=person, person_name=person.name, actor=actor, action=HistoryAction.UPDATED, changes=changes
    )


@transaction.atomic
def create_person(*, actor, data: dict) -> Person:
    """Register a cadre in a region the actor governs."""
    person = Person(**data)
    _save_checked(person, actor)
    _created_change(person, actor).save()
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
    change = _updated_change(person, actor, before, _snapshot(person))
    if change is not None:
        change.save()
    return person


# --- batches: the same checks and history as create_person and update_person, written in bulk ---


def _existing_by_index(indexes) -> dict[str, Person]:
    """Cadres holding these ID-number indexes (only what a duplicate error needs: nothing is decrypted)."""
    found: dict[str, Person] = {}
    for chunk in chunks(list(indexes)):
        for person in Person.objects.filter(id_number_index__in=chunk).only("pk", "name", "id_number_index"):
            found[person.id_number_index] = person
    return found


class _Claims:
    """ID numbers taken by earlier items of the batch that passed every check (the first one wins)."""

    def __init__(self):
        self.by_index: dict[str, Person] = {}

    def holder(self, person: Person) -> Person | None:
        return self.by_index.get(person.id_number_index)

    def claim(self, person: Person) -> None:
        self.by_index[person.id_number_index] = person


@transaction.atomic
def create_people(*, actor, rows: Sequence[dict]) -> Outcome[Person]:
    """Register many cadres: each row checked as ``create_person`` checks it, the valid ones written in bulk.

    An invalid row does not stop the others: its error is in the outcome, in the order ``create_person`` would
    raise it (ID number against birth date and gender, duplicate, jurisdiction). A caller that wants all or
    nothing rolls back when ``outcome.failed``.
    """
    outcome: Outcome[Person] = Outcome.sized(len(rows))
    people = []
    for data in rows:
        person = Person(**data)
        _set_indexes(person)
        people.append(person)
    existing = _existing_by_index({p.id_number_index for p in people})
    claims, duplicates, pending = _Claims(), [], []
    for i, person in enumerate(people):
        try:
            _check_id(person)
            if person.id_number_index in existing:
                raise duplicate_error(existing[person.id_number_index], actor)
        except ValidationError as error:
            outcome.fail(i, error)
            continue
        if claims.holder(person) is not None:
            duplicates.append((i, claims.holder(person)))  # the error links to it once it is written
            continue
        # create_person checks the scope after its save; here the objects inserted below are the ones checked.
        if not actor.scope.edits(person.region.path):
            outcome.fail(i, _placement_error())
            continue
        claims.claim(person)
        pending.append((i, person))

    def refuse(inserting: list[Person]) -> list:
        taken = _existing_by_index(p.id_number_index for p in inserting)
        return [
            duplicate_error(taken[p.id_number_index], actor) if p.id_number_index in taken else None
            for p in inserting
        ]

    written = bulk_insert(Person, pending, outcome, refuse)
    for i, holder in duplicates:
        if holder.pk is not None:
            outcome.fail(i, duplicate_error(holder, actor))
        else:  # its holder lost a race in the insert: this row is refused the same way
            outcome.fail(i, outcome.errors[people.index(holder)])
    PersonChange.objects.bulk_create([_created_change(p, actor) for p in written], batch_size=1000)
    if written:
        bump(REGION_COUNTS)
    return outcome


@transaction.atomic
def update_people(*, actor, items: Sequence[tuple[Person, dict]]) -> Outcome[Person]:
    """Change many cadre records: each checked as ``update_person`` checks it, the valid ones written in bulk.

    Errors per item as in ``create_people``. One difference from calling ``update_person`` in turn: an ID number
    is compared with the records as they were before the batch, so two cadres cannot swap numbers in one batch.
    """
    outcome: Outcome[Person] = Outcome.sized(len(items))
    before: dict[int, dict] = {}
    for chunk in chunks([person.pk for person, _data in items]):
        for current in Person.objects.select_related("region").filter(pk__in=chunk):
            before[current.pk] = _snapshot(current)
    checked = []
    for i, (person, data) in enumerate(items):
        if person.pk not in before:
            outcome.fail(i, ValidationError(_("This cadre record has been deleted.")))
            continue
        if not actor.scope.edits(person.region.path):
            outcome.fail(i, PermissionDenied(_("You cannot change a cadre outside your jurisdiction.")))
            continue
        for key, value in data.items():
            setattr(person, key, value)
        _set_indexes(person)
        checked.append((i, person, data))
    existing = _existing_by_index({person.id_number_index for _i, person, _data in checked})
    claims, pending, fields = _Claims(), [], {"id_number_index", "phone_index", "updated_at"}
    now = timezone.now()
    for i, person, data in checked:
        try:
            _check_id(person)
            holder = existing.get(person.id_number_index)
            if holder is not None and holder.pk != person.pk:
                raise duplicate_error(holder, actor)
            holder = claims.holder(person)
            if holder is not None and holder.pk != person.pk:
                raise duplicate_error(holder, actor)
        except ValidationError as error:
            outcome.fail(i, error)
            continue
        if not actor.scope.edits(person.region.path):
            outcome.fail(i, _placement_error())
            continue
        claims.claim(person)
        person.updated_at = now  # bulk_update does not apply auto_now
        fields.update(data)
        pending.append((i, person))
    Person.objects.bulk_update([person for _, person in pending], sorted(fields), batch_size=1000)
    changes = []
    for i, person in pending:
        outcome.records[i] = person
        change = _updated_change(person, actor, before[person.pk], _snapshot(person))
        if change is not None:
            changes.append(change)
    PersonChange.objects.bulk_create(changes, batch_size=1000)
    if pending:
        bump(REGION_COUNTS)
    return outcome


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
