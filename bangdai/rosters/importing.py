"""Roster import: every row through the services the pages use; all rows in one transaction, or none.

Two phases. ``check`` reads the rows, cleans every cell (formats, vocabulary, regions, the actor's scope,
duplicates in the file) and looks up existing records in bulk, writing nothing. ``write`` then hands the rows to
the people, mentor, apprentice and pairing services inside one transaction: cadres, mentors and apprentices to
their batch functions (``create_people``, ``update_people``, ``nominate_many``, ``register_many``), which run the
same validation and write the same history and events as the per-record functions the pages use, a thousand
rows at a time; pairings and changed mentor or apprentice profiles record by record. Any error on any row, or
a dry run, rolls the whole transaction back.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from bangdai.apprentices import services as apprentice_services
from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.apprentices.models import Apprentice
from bangdai.core.batches import BATCH_SIZE, Outcome, chunks
from bangdai.core.choices import ContentArea
from bangdai.mentors import services as mentor_services
from bangdai.mentors.choices import MentorStatus, MentorTier, MentorTitle
from bangdai.mentors.models import Mentor
from bangdai.pairings import services as pairing_services
from bangdai.pairings.models import Pairing
from bangdai.people import services as people_services
from bangdai.people.choices import CadreType, Education, Gender, PoliticalStatus, Position
from bangdai.people.models import Person
from bangdai.people.protection import blind_index
from bangdai.people.validation import clean_id_number, clean_phone, id_birth_date, id_gender
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region

from .choices import RosterKind, RowAction
from .columns import LAYOUTS, Layout, lookup
from .reading import (
    DateError,
    SheetRow,
    YearMonth,
    compact,
    is_blank,
    normalise_text,
    parse_date,
    precheck,
    read_sheet,
)

ROW = ""  # the error key of a message about the whole row
CELLS_KEPT = 200  # rows whose cells the stored report keeps for the preview (plus every row with an error)
BULK = 500

Progress = Callable[[int, int, str], None]


@dataclass
class RowReport:
    number: int
    cells: list[str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    action: str = ""

    def add(self, key: str, message) -> None:
        text = strip_tags(str(message))
        messages = self.errors.setdefault(key, [])
        if text not in messages:
            messages.append(text)
        self.action = RowAction.ERROR

    def add_error(self, error: Exception, columns: dict[str, str]) -> None:
        """A service's refusal on this row: field errors on their columns, the rest on the whole row."""
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add(columns.get(name, ROW), message)
        elif isinstance(error, ValidationError):
            for message in error.messages:
                self.add(ROW, message)
        else:
            self.add(ROW, str(error) or _("You may not do this."))


@dataclass
class Report:
    kind: str
    title: str
    headers: list[str]
    keys: list[str | None]
    rows: list[RowReport]
    dry_run: bool
    written: bool = False

    @property
    def error_rows(self) -> list[RowReport]:
        return [r for r in self.rows if r.errors]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(RowAction.values, 0)
        for row in self.rows:
            counts[row.action or RowAction.UNCHANGED] += 1
        return counts

    def header_of(self, key: str) -> str:
        if key == ROW:
            return ""
        for header, k in zip(self.headers, self.keys, strict=True):
            if k == key:
                return header
        return LAYOUTS[self.kind].column(key).header

    def to_data(self) -> dict:
        """The report as JSON for storage: cells only for the first rows and the rows with errors."""
        return {
            "kind": self.kind,
            "title": self.title,
            "headers": self.headers,
            "keys": self.keys,
            "dry_run": self.dry_run,
            "written": self.written,
            "rows": [
                {
                    "n": r.number,
                    "a": r.action,
                    "e": r.errors,
                    **({"c": r.cells} if r.errors or i < CELLS_KEPT else {}),
                }
                for i, r in enumerate(self.rows)
            ],
        }

    @classmethod
    def from_data(cls, data: dict) -> "Report":
        return cls(
            kind=data["kind"],
            title=data.get("title", ""),
            headers=data["headers"],
            keys=data["keys"],
            dry_run=data["dry_run"],
            written=data["written"],
            rows=[RowReport(r["n"], r.get("c", []), r["e"], r["a"]) for r in data["rows"]],
        )


@dataclass
class Item:
    """What one row (or, for pairings, the rows of one apprentice) will write."""

    reports: list[RowReport]
    data: dict

    def fail(self, error: Exception, columns: dict[str, str]) -> None:
        for row in self.reports:
            row.add_error(error, columns)

    def done(self, action: str) -> None:
        for row in self.reports:
            row.action = action


# --- cell cleaners: each returns a value or raises ValidationError with a message for that cell ---


def _text(value, max_length: int) -> str:
    text = normalise_text(value)
    if len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length})
    return text


_NAME_RE = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·A-Za-z]{2,32}$")


def _name(value) -> str:
    name = compact(value).replace("•", "·").replace(".", "·")
    if not _NAME_RE.match(name):
        raise ValidationError(_("Write the name in Chinese characters (2 to 32)."))
    return name


def _id_number(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValidationError(
            _(
                "The ID number was stored as a number, and Excel keeps only 15 digits: format the column as text."
            )
        )
    return clean_id_number(compact(value))


def _choice(value, choices) -> str:
    text = compact(value)
    found = lookup(choices, text)
    if found is None:
        raise ValidationError(_("Unknown value “%(value)s”.") % {"value": text})
    return found


_SPLIT_RE = re.compile(r"[、,，;；\n]+")


def _list(value) -> list[str]:
    return [part.strip() for part in _SPLIT_RE.split(normalise_text(value)) if part.strip()]


def _choices(value, choices) -> list[str]:
    values, unknown = [], []
    for part in _list(value):
        found = lookup(choices, part)
        (values if found else unknown).append(found or part)
    if unknown:
        raise ValidationError(_("Unknown value “%(value)s”.") % {"value": "、".join(unknown)})
    return list(dict.fromkeys(values))


_BATCH_RE = re.compile(r"第?([一二三123])批")
_BATCHES = {"一": 1, "二": 2, "三": 3, "1": 1, "2": 2, "3": 3}


def _titles(value) -> tuple[list[str], int | None]:
    """Honorary titles; 千名好支书 may carry its batch: 千名好支书（第二批）."""
    titles, batch, unknown = [], None, []
    for part in _list(value):
        found_batch = _BATCH_RE.search(part)
        name = re.sub(r"[(（]?第?[一二三123]批[)）]?", "", part).strip()
        title = lookup(MentorTitle, name)
        if title is None:
            unknown.append(part)
            continue
        titles.append(title)
        if title == MentorTitle.QIANMING_HAO_ZHISHU and found_batch:
            batch = _BATCHES[found_batch.group(1)]
    if unknown:
        raise ValidationError(_("Unknown title “%(value)s”.") % {"value": "、".join(unknown)})
    return list(dict.fromkeys(titles)), batch


def _date(value, id_number: str | None = None):
    try:
        parsed = parse_date(value)
    except DateError as error:
        raise ValidationError(str(error)) from None
    if isinstance(parsed, YearMonth):
        if id_number:  # 出生年月: the ID number gives the day
            born = id_birth_date(id_number)
            if (born.year, born.month) == (parsed.year, parsed.month):
                return born
            raise ValidationError(
                _("The birth date does not match the ID number (%(date)s).") % {"date": born.isoformat()}
            )
        return dt.date(parsed.year, parsed.month, 1)
    return parsed


def _yes_no(value) -> bool:
    text = compact(value).lower()
    if text in ("是", "y", "yes", "true", "1", "√", "✓", "✔"):
        return True
    if text in ("否", "n", "no", "false", "0", "×", "", "-"):
        return False
    raise ValidationError(_("Write 是 or 否."))


def _capacity(value) -> int:
    text = compact(value)
    if not text.isdigit() or not 1 <= int(text) <= 50:
        raise ValidationError(_("A whole number from 1 to 50."))
    return int(text)


class Regions:
    """Region codes and names inside the programme's region, loaded once per import."""

    def __init__(self, programme: Programme):
        self.root = programme.region
        low, high = self.root.subtree_range
        regions = list(
            Region.objects.current()
            .filter(path__gte=low, path__lt=high, depth__gte=4)
            .only("id", "code", "name", "path", "depth")
        )
        self.by_code = {r.code: r for r in regions}
        by_path = {r.path: r for r in regions}
        self.by_name: dict[str, list[Region]] = {}
        for region in regions:
            self.by_name.setdefault(region.name, []).append(region)
            parent = by_path.get(region.path[:-5])
            if parent is not None:
                self.by_name.setdefault(parent.name + region.name, []).append(region)

    def resolve(self, value) -> Region:
        text = compact(value)
        if text.isdigit():
            if len(text) not in (9, 12):
                raise ValidationError(_("A region code has 12 digits (village) or 9 (township)."))
            region = self.by_code.get(text)
            if region is not None:
                return region
            outside = Region.objects.current().filter(code=text).first()
            if outside is not None:
                raise ValidationError(
                    _("%(name)s (%(code)s) lies outside the programme's region %(root)s.")
                    % {"name": outside.name, "code": text, "root": self.root.name}
                )
            raise ValidationError(_("No current region has the code %(code)s.") % {"code": text})
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise ValidationError(
                _("Several places in %(root)s are called %(name)s; write the region code instead.")
                % {"root": self.root.name, "name": text}
            )
        raise ValidationError(
            _("No village or township called %(name)s in %(root)s; write the 12-digit region code.")
            % {"name": text, "root": self.root.name}
        )


def _persons_by_index(indexes: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(indexes), BULK):
        chunk = indexes[start : start + BULK]
        for person in Person.objects.filter(id_number_index__in=chunk).select_related("region"):
            found[person.id_number_index] = person
    return found


class Roster:
    """The rules of one kind of roster; subclasses say how rows are checked and written."""

    columns: dict[str, str] = {}  # service field → column key

    def __init__(self, *, programme: Programme, actor, layout: Layout, headers: list[str | None]):
        self.programme = programme
        self.actor = actor
        self.layout = layout
        self.present = {k for k in headers if k}

    def check(self, rows: list[SheetRow], reports: list[RowReport], progress: Progress) -> list[Item]:
        raise NotImplementedError

    def write(self, item: Item) -> str:
        raise NotImplementedError

    def write_all(self, items: list[Item], progress: Progress) -> None:
        """Write every item, its errors on its rows; by default one service call per item."""
        for i, item in enumerate(items, start=1):
            # No savepoint of our own: each service is atomic (its failure undoes only itself), and any failure
            # rolls the whole transaction back anyway.
            try:
                action = self.write(item)
            except (ValidationError, PermissionDenied) as error:
                item.fail(error, self.columns)
            else:
                item.done(action)
            if i % 200 == 0:
                progress(i, len(items), "write")


PERSON_FIELDS = {
    "name": "name",
    "gender": "gender",
    "birth_date": "birth_date",
    "id_number": "id_number",
    "phone": "phone",
    "region": "region",
    "org_unit": "org_unit",
    "position": "position",
    "political_status": "political_status",
    "education": "education",
    "cadre_type": "cadre_type",
    "entry_date": "entry_date",
    "ethnicity": "ethnicity",
}
NEW_PERSON_REQUIRED = (
    "name",
    "region",
    "position",
    "political_status",
    "education",
    "cadre_type",
    "entry_date",
)


class PersonRoster(Roster):
    """Rows that create or update a cadre and then their role in the programme (mentor or apprentice)."""

    role_model: type = Mentor
    role_required: tuple[str, ...] = ()

    def check(self, rows, reports, progress):
        numbers: list[str | None] = []
        first_row: dict[str, int] = {}
        for row, report in zip(rows, reports, strict=True):
            try:
                number = _id_number(row.raw.get("id_number"))
            except ValidationError as error:
                report.add("id_number", error.messages[0])
                number = None
            if number and number in first_row:
                report.add("id_number", _("The same ID number is on row %(n)d.") % {"n": first_row[number]})
                number = None
            if number:
                first_row[number] = row.number
            numbers.append(number)
        indexes = {n: blind_index(n) for n in numbers if n}
        persons = _persons_by_index(list(indexes.values()))
        roles = {
            role.person_id: role
            for role in self.role_model.objects.filter(
                programme=self.programme, person_id__in=[p.pk for p in persons.values()]
            )
        }
        regions = Regions(self.programme)
        items = []
        for i, (row, report, number) in enumerate(zip(rows, reports, numbers, strict=True), start=1):
            if number is not None:
                person = persons.get(indexes[number])
                role = roles.get(person.pk) if person else None
                item = self._check_row(row.raw, report, number, person, role, regions)
                if item is not None:
                    items.append(item)
            if i % 200 == 0:
                progress(i, len(rows), "check")
        return items

    def _check_row(self, raw, report, number, person, role, regions) -> Item | None:
        errors: dict[str, str] = {}

        def cell(key, cleaner, *args):
            value = raw.get(key)
            if is_blank(value):
                return None
            try:
                return cleaner(value, *args)
            except ValidationError as error:
                errors[key] = error.messages[0]
                return None

        if person is not None and not self.actor.scope.edits(person.region.path):
            report.add(
                "id_number",
                _(
                    "This cadre is registered in another jurisdiction; only its organisation department can change them."
                ),
            )
            return None
        values = {
            "name": cell("name", _name),
            "gender": cell("gender", _choice, Gender),
            "birth_date": cell("birth_date", _date, number),
            "phone": cell("phone", lambda v: clean_phone(compact(v))),
            "region": cell("region", regions.resolve),
            "org_unit": cell("org_unit", _text, 64),
            "position": cell("position", _choice, Position),
            "political_status": cell("political_status", _choice, PoliticalStatus),
            "education": cell("education", _choice, Education),
            "cadre_type": cell("cadre_type", _choice, CadreType),
            "entry_date": cell("entry_date", _date),
            "ethnicity": cell("ethnicity", _text, 16),
        }
        if values["gender"] and values["gender"] != id_gender(number):
            errors["gender"] = _("The gender does not match the ID number.")
        if values["birth_date"] and values["birth_date"] != id_birth_date(number):
            errors["birth_date"] = _("The birth date does not match the ID number (%(date)s).") % {
                "date": id_birth_date(number).isoformat()
            }
        region = values["region"]
        if region is not None and not self.actor.scope.edits(region.path):
            errors["region"] = _("%(name)s is outside your jurisdiction.") % {"name": region.name}
        if person is None:
            values["gender"] = values["gender"] or id_gender(number)
            values["birth_date"] = values["birth_date"] or id_birth_date(number)
            for key in NEW_PERSON_REQUIRED:
                if values[key] is None and key not in errors:
                    errors[key] = _("Required for a cadre not registered yet.")
            person_data = {k: v for k, v in values.items() if v is not None}
            person_data["id_number"] = number
            person_data.setdefault("phone", "")
        else:
            person_data = {k: v for k, v in values.items() if v is not None and getattr(person, k) != v}
        role_data = self.check_role(raw, role, errors)
        for key, message in errors.items():
            report.add(key, message)
        if report.errors:
            return None
        return Item(
            [report], {"person": person, "person_data": person_data, "role": role, "role_data": role_data}
        )

    def check_role(self, raw, role, errors) -> dict:
        raise NotImplementedError

    def write_all(self, items: list[Item], progress: Progress) -> None:
        """A thousand rows at a time: their cadres, then their roles, through the services' batch functions."""
        done = 0
        for chunk in chunks(items, BATCH_SIZE):
            self._write_chunk(chunk)
            done += len(chunk)
            progress(done, len(items), "write")

    def _write_chunk(self, items) -> None:
        new = [item for item in items if item.data["person"] is None]
        changed = [item for item in items if item.data["person"] is not None and item.data["person_data"]]
        people = {id(item): item.data["person"] for item in items if item.data["person"] is not None}
        created = people_services.create_people(
            actor=self.actor, rows=[item.data["person_data"] for item in new]
        )
        updated = people_services.update_people(
            actor=self.actor, items=[(item.data["person"], item.data["person_data"]) for item in changed]
        )
        failed = self._collect(new, created, people) | self._collect(changed, updated, people)
        ready = [item for item in items if id(item) not in failed]

        new_roles = [item for item in ready if item.data["role"] is None]
        roles = self.create_roles([(people[id(item)], item.data["role_data"]) for item in new_roles])
        self._collect(new_roles, roles, {})
        for item, error in zip(new_roles, roles.errors, strict=True):
            if error is None:
                item.done(RowAction.CREATED)
        person_updated = {id(item) for item in changed if id(item) not in failed}
        for item in ready:
            role, role_data = item.data["role"], item.data["role_data"]
            if role is None:
                continue
            if role_data:
                try:
                    self.update_role(role, role_data)
                except (ValidationError, PermissionDenied) as error:
                    item.fail(error, self.columns)
                    continue
            updated_row = bool(role_data) or id(item) in person_updated
            item.done(RowAction.UPDATED if updated_row else RowAction.UNCHANGED)

    def _collect(self, items, outcome: Outcome, records: dict) -> set[int]:
        """Put each item's error on its rows and its record in ``records``; the ids of the items that failed."""
        failed = set()
        for item, record, error in zip(items, outcome.records, outcome.errors, strict=True):
            if error is not None:
                item.fail(error, self.columns)
                failed.add(id(item))
            else:
                records[id(item)] = record
        return failed

    def create_roles(self, pairs: list[tuple[Person, dict]]) -> Outcome:
        raise NotImplementedError

    def update_role(self, role, data) -> None:
        raise NotImplementedError


class MentorRoster(PersonRoster):
    role_model = Mentor
    columns = {
        **PERSON_FIELDS,
        "tier": "tier",
        "titles": "titles",
        "qianming_batch": "titles",
        "expertise": "expertise",
        "specialties": "specialties",
        "capacity": "capacity",
        "person": ROW,
    }

    def check_role(self, raw, mentor, errors) -> dict:
        data: dict = {}

        def cell(key, cleaner, *args):
            value = raw.get(key)
            if is_blank(value):
                return None
            try:
                return cleaner(value, *args)
            except ValidationError as error:
                errors[key] = error.messages[0]
                return None

        tier = cell("tier", _choice, MentorTier)
        titles = cell("titles", _titles)
        expertise = cell("expertise", _choices, ContentArea)
        specialties = cell("specialties", _list)
        capacity = cell("capacity", _capacity)
        if tier is not None:
            data["tier"] = tier
        if titles is not None:
            data["titles"], batch = titles
            if MentorTitle.QIANMING_HAO_ZHISHU in data["titles"]:
                if batch is None and not (mentor and mentor.qianming_batch):
                    errors["titles"] = _("Write the batch of 千名好支书, e.g. 千名好支书（第二批）.")
                data["qianming_batch"] = batch or (mentor.qianming_batch if mentor else None)
        if expertise is not None:
            data["expertise"] = expertise
        if specialties is not None:
            data["specialties"] = specialties[:20]
        if capacity is not None:
            data["capacity"] = capacity
        if mentor is None:
            if "tier" not in data and "tier" not in errors:
                errors["tier"] = _("Required for a new mentor.")
            return data
        if mentor.capacity == data.get("capacity"):
            data.pop("capacity")
        for key in ("tier", "titles", "qianming_batch", "specialties"):
            if key in data and data[key] == getattr(mentor, key):
                data.pop(key)
        if "expertise" in data and set(data["expertise"]) == set(mentor.expertise):
            data.pop("expertise")
        return data

    def create_roles(self, pairs):
        return mentor_services.nominate_many(
            actor=self.actor,
            programme=self.programme,
            items=[{"person": person, **data} for person, data in pairs],
        )

    def update_role(self, mentor, data) -> None:
        mentor_services.update_profile(actor=self.actor, mentor=mentor, **data)


class ApprenticeRoster(PersonRoster):
    role_model = Apprentice
    columns = {
        **PERSON_FIELDS,
        "categories": "categories",
        "needs": "needs",
        "three_gates": "three_gates",
        "note": "note",
        "person": ROW,
    }

    def check_role(self, raw, apprentice, errors) -> dict:
        data: dict = {}
        for key, cleaner, args in (
            ("categories", _choices, (ApprenticeCategory,)),
            ("needs", _choices, (ContentArea,)),
            ("three_gates", _yes_no, ()),
            ("note", _text, (2000,)),
        ):
            value = raw.get(key)
            if is_blank(value):
                continue
            try:
                data[key] = cleaner(value, *args)
            except ValidationError as error:
                errors[key] = error.messages[0]
        if apprentice is None:
            if not data.get("categories") and "categories" not in errors:
                errors["categories"] = _("Required for a new apprentice.")
            return data
        for key in ("categories", "needs"):
            if key in data and set(data[key]) == set(getattr(apprentice, key)):
                data.pop(key)
        for key in ("three_gates", "note"):
            if key in data and data[key] == getattr(apprentice, key):
                data.pop(key)
        return data

    def create_roles(self, pairs):
        return apprentice_services.register_many(
            actor=self.actor,
            programme=self.programme,
            items=[{"person": person, **data} for person, data in pairs],
        )

    def update_role(self, apprentice, data) -> None:
        apprentice_services.update(actor=self.actor, apprentice=apprentice, **data)


class PairingRoster(Roster):
    """Rows naming an appointed mentor and a registered apprentice; the rows of one apprentice form one pairing."""

    columns = {"mentors": "mentor_id", "apprentice": "apprentice_id", "note": "note"}

    def check(self, rows, reports, progress):
        pairs: list[tuple[str | None, str | None]] = []
        for row, report in zip(rows, reports, strict=True):
            ids = []
            for key in ("mentor_id", "apprentice_id"):
                try:
                    ids.append(_id_number(row.raw.get(key)))
                except ValidationError as error:
                    report.add(key, error.messages[0])
                    ids.append(None)
            pairs.append((ids[0], ids[1]))
        indexes = {n: blind_index(n) for pair in pairs for n in pair if n}
        persons = _persons_by_index(list(set(indexes.values())))
        person_ids = [p.pk for p in persons.values()]
        mentors = {
            m.person_id: m
            for m in Mentor.objects.filter(programme=self.programme, person_id__in=person_ids).select_related(
                "person"
            )
        }
        apprentices = {
            a.person_id: a
            for a in Apprentice.objects.filter(
                programme=self.programme, person_id__in=person_ids
            ).select_related("person", "region", "programme")
        }
        open_pairings: dict[int, set[int]] = {}
        for pairing in (
            Pairing.objects.open().filter(apprentice__in=apprentices.values()).prefetch_related("members")
        ):
            open_pairings[pairing.apprentice_id] = {m.mentor_id for m in pairing.members.all()}
        groups: dict[int, Item] = {}
        for i, (row, report, (mentor_no, apprentice_no)) in enumerate(
            zip(rows, reports, pairs, strict=True), 1
        ):
            mentor = apprentice = None
            if mentor_no:
                person = persons.get(indexes[mentor_no])
                mentor = mentors.get(person.pk) if person else None
                if mentor is None:
                    report.add("mentor_id", _("No mentor of this programme has this ID number."))
                elif mentor.status != MentorStatus.ACTIVE:
                    report.add(
                        "mentor_id",
                        _("%(name)s is not an appointed mentor (now “%(status)s”).")
                        % {"name": mentor.person.name, "status": mentor.get_status_display()},
                    )
                elif (
                    not is_blank(row.raw.get("mentor_name"))
                    and compact(row.raw["mentor_name"]) != mentor.person.name
                ):
                    report.add(
                        "mentor_name", _("The ID number belongs to %(name)s.") % {"name": mentor.person.name}
                    )
            if apprentice_no:
                person = persons.get(indexes[apprentice_no])
                apprentice = apprentices.get(person.pk) if person else None
                if apprentice is None:
                    report.add("apprentice_id", _("No apprentice of this programme has this ID number."))
                elif not self.actor.scope.edits(apprentice.region.path):
                    report.add("apprentice_id", _("This apprentice works outside your jurisdiction."))
                elif (
                    not is_blank(row.raw.get("apprentice_name"))
                    and compact(row.raw["apprentice_name"]) != apprentice.person.name
                ):
                    report.add(
                        "apprentice_name",
                        _("The ID number belongs to %(name)s.") % {"name": apprentice.person.name},
                    )
            if apprentice is not None:
                group = groups.setdefault(
                    apprentice.pk, Item([], {"apprentice": apprentice, "mentors": [], "note": ""})
                )
                group.reports.append(report)
                if mentor is not None and not report.errors:
                    if mentor in group.data["mentors"]:
                        report.add("mentor_id", _("This mentor and apprentice are already on another row."))
                    group.data["mentors"].append(mentor)
                group.data["note"] = group.data["note"] or _text(row.raw.get("note"), 2000)
            if i % 200 == 0:
                progress(i, len(rows), "check")
        items = []
        for group in groups.values():
            bad = [r for r in group.reports if r.errors]
            if bad:
                for report in group.reports:
                    if not report.errors:
                        report.add(
                            ROW,
                            _("Not imported: row %(n)d of the same apprentice has errors.")
                            % {"n": bad[0].number},
                        )
                continue
            apprentice = group.data["apprentice"]
            current = open_pairings.get(apprentice.pk)
            if current is not None:
                if current == {m.pk for m in group.data["mentors"]}:
                    for report in group.reports:
                        report.action = RowAction.UNCHANGED
                    continue
                for report in group.reports:
                    report.add(
                        "apprentice_id",
                        _("%(name)s already has an open pairing with other mentors.")
                        % {"name": apprentice.person.name},
                    )
                continue
            items.append(group)
        return items

    def write(self, item: Item) -> str:
        pairing_services.propose(
            actor=self.actor,
            apprentice=item.data["apprentice"],
            mentors=item.data["mentors"],
            note=item.data["note"],
        )
        return RowAction.CREATED


ROSTERS: dict[str, type[Roster]] = {
    RosterKind.MENTORS: MentorRoster,
    RosterKind.APPRENTICES: ApprenticeRoster,
    RosterKind.PAIRINGS: PairingRoster,
}


def _no_progress(done: int, total: int, phase: str) -> None:
    pass


def import_roster(
    *,
    kind: str,
    programme: Programme,
    actor,
    file: IO[bytes],
    dry_run: bool,
    progress: Progress | None = None,
    begin: Callable[[], None] | None = None,
    on_success: Callable[[Report], None] | None = None,
) -> Report:
    """Check and write a roster; ``dry_run`` (the preview) runs every service and rolls everything back.

    ``begin`` runs first inside the write transaction (a guard may raise there), ``on_success`` last, only when
    every row was written. Raises ``RosterFileError`` when the file is refused as a whole; row errors are in the
    report.
    """
    progress = progress or _no_progress
    layout = LAYOUTS[kind]
    precheck(file)
    sheet = read_sheet(file, layout)
    reports = [RowReport(row.number, [normalise_text(c) for c in row.cells]) for row in sheet.rows]
    report = Report(kind, sheet.title, sheet.headers, sheet.keys, reports, dry_run=dry_run)
    total = len(reports)
    progress(0, total, "check")
    roster = ROSTERS[kind](programme=programme, actor=actor, layout=layout, headers=sheet.keys)
    items = roster.check(sheet.rows, reports, progress)
    progress(0, len(items), "write")
    with transaction.atomic():
        if begin is not None:
            begin()
        roster.write_all(items, progress)
        failed = bool(report.error_rows)
        report.written = not failed and not dry_run
        if report.written and on_success is not None:
            on_success(report)
        if not report.written:
            transaction.set_rollback(True)
    return report
