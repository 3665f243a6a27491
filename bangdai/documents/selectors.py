"""Reads for printed documents: a pairing's 拜师帖 and mentors' 聘书, as plain records for the templates."""

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from bangdai.mentors.choices import MentorStatus, MentorTier, MentorTitle
from bangdai.mentors.models import Mentor
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import Pairing
from bangdai.programmes.models import Programme
from bangdai.regions.models import PATH_STEP, Region

# A 拜师帖 exists once the pledge has been signed: the pairing is running or has graduated.
SIGNED_STATES = (PairingStatus.ACTIVE, PairingStatus.EXTENDED, PairingStatus.COMPLETED)

_CHINESE_IN_LABEL = re.compile(r"[(（]([^()（）]+)[)）]\s*$")


@dataclass(frozen=True)
class Party:
    """A signatory of a document: the cadre's name, unit and the full name of their region."""

    name: str
    place: str
    unit: str = ""


@dataclass(frozen=True)
class PledgeLetter:
    """The 拜师帖 of one pairing, ready to print."""

    salutation: str
    paragraphs: list[str]
    apprentice: Party
    mentors: list[Party]
    signed_on: str
    start: str
    planned_end: str
    term_months: int
    ceremony_place: str
    witnesses: list[str]
    programme: str
    organiser: str


@dataclass(frozen=True)
class Certificate:
    """One mentor's 聘书, ready to print."""

    number: str
    mentor: Party
    tier: str
    titles: list[str]
    programme: str
    organiser: str
    appointed_on: str
    term_end: str


def chinese_date(day: dt.date | None) -> str:
    """2027年3月5日, as dates are written on Party and government documents."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def chinese_label(label) -> str:
    """The Chinese term of a choice label such as “Village (村级)”; the label itself when it has none."""
    text = str(label)
    found = _CHINESE_IN_LABEL.search(text)
    return found.group(1) if found else text


def organisation_department(region: Region) -> str:
    """The Party body that issues documents for a region: 中共安吉县委组织部, 中共上墅乡委员会 …"""
    if region.depth <= 3:  # province, city, county: the committee's organisation department
        return f"中共{region.name}委组织部"
    if region.name.endswith("街道"):
        return f"中共{region.name}工作委员会"
    return f"中共{region.name}委员会"


def place_names(regions: Iterable[Region]) -> dict[int, str]:
    """Full names below the province (湖州市安吉县上墅乡刘家塘村) by region id, in one query for all."""
    regions = list({r.pk: r for r in regions}.values())
    ancestor_paths = {p for r in regions for p in r.ancestor_paths() if len(p) > PATH_STEP}
    names = dict(Region.objects.filter(path__in=ancestor_paths).values_list("path", "name"))
    return {
        r.pk: "".join(names.get(p, "") for p in r.ancestor_paths() if len(p) > PATH_STEP) + r.name
        for r in regions
    }


def pledge_letter(pairing: Pairing) -> PledgeLetter:
    """The 拜师帖 of a signed pairing (two queries: its mentors, then every place name)."""
    members = list(pairing.members.select_related("mentor__person__region"))
    people = [pairing.apprentice.person, *(m.mentor.person for m in members)]
    places = place_names(p.region for p in people)
    lines = [line.strip() for line in pairing.pledge_text.splitlines() if line.strip()]
    salutation = lines.pop(0) if lines and lines[0].endswith(("：", ":")) else ""
    return PledgeLetter(
        salutation=salutation,
        paragraphs=lines,
        apprentice=_party(pairing.apprentice.person, places),
        mentors=[_party(m.mentor.person, places) for m in members],
        signed_on=chinese_date(pairing.pledge_signed_on),
        start=chinese_date(pairing.start_date),
        planned_end=chinese_date(pairing.planned_end_date),
        term_months=pairing.term_months,
        ceremony_place=pairing.ceremony_place,
        witnesses=list(pairing.witnesses),
        programme=pairing.programme.name,
        organiser=organisation_department(pairing.programme.region),
    )


def programme_certificates(user, programme: Programme) -> QuerySet[Mentor]:
    """The appointed mentors of a programme visible to the user, in certificate-number order."""
    return (
        Mentor.objects.visible_to(user)
        .filter(programme=programme, status=MentorStatus.ACTIVE, certificate_no__isnull=False)
        .select_related("person__region", "programme__region")
        .order_by("certificate_no")
    )


def certificates(mentors: Sequence[Mentor]) -> list[Certificate]:
    """聘书 records for mentors fetched with their person, region and programme (one more query for places)."""
    places = place_names(m.person.region for m in mentors)
    organisers: dict[int, str] = {}
    result = []
    for mentor in mentors:
        programme = mentor.programme
        if programme.pk not in organisers:
            organisers[programme.pk] = organisation_department(programme.region)
        result.append(
            Certificate(
                number=mentor.certificate_no or "",
                mentor=_party(mentor.person, places),
                tier=chinese_label(MentorTier(mentor.tier).label)
                if mentor.tier in MentorTier
                else mentor.tier,
                titles=[_title(t) for t in mentor.titles or []],
                programme=programme.name,
                organiser=organisers[programme.pk],
                appointed_on=chinese_date(mentor.appointed_at),
                term_end=chinese_date(mentor.term_end),
            )
        )
    return result


def _party(person, places: dict[int, str]) -> Party:
    return Party(name=person.name, place=places.get(person.region_id, ""), unit=person.org_unit)


def _title(value: str) -> str:
    return chinese_label(MentorTitle(value).label) if value in MentorTitle else value
