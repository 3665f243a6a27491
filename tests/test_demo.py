"""The county-scale demo: deterministic, valid ID numbers, villages under real townships, the demo accounts.

The generator runs twice on the session database (each run rolled back), beside the five test villages.
"""

import datetime as dt
import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bangdai.accounts.choices import Role
from bangdai.accounts.models import User
from bangdai.apprentices.choices import ApprenticeCategory, ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.apprentices.services import check_age
from bangdai.demo.generator import (
    ACCOUNTS,
    DEMO_PASSWORD,
    TODAY,
    TOWNSHIP_CADRES,
    VILLAGE_CADRES,
    Generator,
    has_demo_data,
)
from bangdai.mentors.choices import REVIEW_STATES, MentorAction, MentorStatus, MentorTier, MentorTitle
from bangdai.mentors.models import Mentor, MentorEvent, PublicityObjection
from bangdai.mentors.services import add_working_days
from bangdai.pairings import services as pairing_services
from bangdai.pairings.choices import OPEN_STATES, ConflictKind, PairingAction, PairingMode, PairingStatus
from bangdai.pairings.models import ConflictDeclaration, Pairing, PairingEvent, PairingMentor
from bangdai.pairings.services import _months_later, default_pledge_text
from bangdai.people.models import Person, PersonChange
from bangdai.people.protection import blind_index
from bangdai.people.validation import check_id_against, clean_id_number, clean_phone
from bangdai.programmes.models import Programme, ProgrammeRules
from bangdai.programmes.policy import Policy
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import Region

from .conftest import TEST_VILLAGES

COUNTIES = ("330523", "330521")
APPOINT_STEPS = [MentorAction.RECOMMEND, MentorAction.VET, MentorAction.REVIEW, MentorAction.PUBLICISE]


def digest() -> str:
    """A fingerprint of everything the demo writes, independent of primary keys and of row order.

    The rows are sorted before hashing: joins over several members or equal timestamps come back in an order
    the database does not promise (PostgreSQL differs from SQLite).
    """
    lines: list[str] = []
    for row in (
        Region.objects.filter(depth=Level.VILLAGE)
        .order_by("code")
        .values_list("code", "name", "kind", "path", "lng", "lat", "urban_rural_class")
    ):
        lines.append(repr(row))
    for row in Person.objects.order_by("region__code", "id_number_index").values_list(
        "region__code",
        "name",
        "gender",
        "birth_date",
        "id_number_index",
        "phone_index",
        "position",
        "cadre_type",
        "entry_date",
    ):
        lines.append(repr(row))
    for row in User.objects.order_by("username").values_list(
        "username",
        "display_name",
        "person__id_number_index",
        "role_assignments__role",
        "role_assignments__region__code",
    ):
        lines.append(repr(row))
    for row in ProgrammeRules.objects.order_by("programme__name", "version").values_list(
        "programme__name", "version", "data", "note", "created_at"
    ):
        lines.append(repr(row))
    for row in Mentor.objects.order_by("programme__name", "person__id_number_index").values_list(
        "programme__name",
        "person__id_number_index",
        "tier",
        "titles",
        "qianming_batch",
        "expertise",
        "specialties",
        "capacity",
        "load",
        "status",
        "status_reason",
        "appointed_at",
        "publicity_start",
        "created_at",
    ):
        lines.append(repr(row))
    for row in MentorEvent.objects.order_by("mentor__person__id_number_index", "at").values_list(
        "mentor__person__id_number_index",
        "action",
        "from_status",
        "to_status",
        "actor__username",
        "at",
        "reason",
    ):
        lines.append(repr(row))
    for row in Apprentice.objects.order_by("person__id_number_index").values_list(
        "person__id_number_index", "categories", "three_gates", "needs", "status", "created_at"
    ):
        lines.append(repr(row))
    for row in PairingEvent.objects.order_by(
        "pairing__apprentice__person__id_number_index", "at"
    ).values_list(
        "pairing__apprentice__person__id_number_index",
        "pairing__members__mentor__person__id_number_index",
        "pairing__status",
        "pairing__ceremony_place",
        "pairing__witnesses",
        "action",
        "to_status",
        "at",
        "reason",
    ):
        lines.append(repr(row))
    for row in ConflictDeclaration.objects.order_by(
        "mentor_person__id_number_index", "apprentice_person__id_number_index"
    ).values_list("mentor_person__id_number_index", "apprentice_person__id_number_index", "kind", "note"):
        lines.append(repr(row))
    h = hashlib.sha256()
    for line in sorted(lines):
        h.update(line.encode())
    return h.hexdigest()


@dataclass
class DemoRuns:
    first_digest: str
    second_digest: str
    first_report: object
    second_report: object
    rows: list[dict]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Two runs in one outer transaction: the first rolled back to a savepoint, the second kept for the tests."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            assert not has_demo_data()
            savepoint = transaction.savepoint_create()
            first_report = Generator("county").run()
            first = digest()
            transaction.savepoint_rollback(savepoint)
            assert not has_demo_data() and not Person.objects.exists()
            second_report = Generator("county").run()
            second = digest()
            rows = Generator("county").village_rows()
            yield DemoRuns(first, second, first_report, second_report, rows)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo_db(demo, db):
    return demo


def test_two_runs_write_the_same_data(demo_db):
    assert demo_db.first_digest == demo_db.second_digest
    first, second = demo_db.first_report, demo_db.second_report
    assert (first.villages, first.cadres, first.accounts) == (second.villages, second.cadres, second.accounts)
    assert first.pool == second.pool and first.pool["pairings"] > 0


def test_village_rows_are_stable(demo_db):
    again = Generator("county").village_rows()
    assert again == demo_db.rows


def test_scale_of_the_county_demo(demo_db):
    report = demo_db.second_report
    assert 300 <= report.villages <= 600
    assert report.villages == len(demo_db.rows)
    assert 1500 <= report.cadres <= 3000
    townships = (
        Region.objects.current().filter(depth=Level.TOWNSHIP).filter(code__regex=r"^(330523|330521)").count()
    )
    villages = Region.objects.current().filter(depth=Level.VILLAGE, code__regex=r"^(330523|330521)").count()
    assert report.cadres == Person.objects.count() == townships * TOWNSHIP_CADRES + villages * VILLAGE_CADRES
    assert not Person.objects.exclude(region__code__regex=r"^(330523|330521)").exists()


def test_villages_sit_under_real_townships(demo_db):
    codes = [row["code"] for row in demo_db.rows]
    assert len(codes) == len(set(codes))
    by_code = {r.code: r for r in Region.objects.current().filter(code__in=codes)}
    assert set(by_code) == set(codes)  # every generated code exists exactly once (current)
    townships = {r.path: r for r in Region.objects.current().filter(depth=Level.TOWNSHIP)}
    for row in demo_db.rows:
        node = by_code[row["code"]]
        assert node.depth == Level.VILLAGE and node.name == row["name"]
        parent = townships[node.path[:-5]]
        assert parent.code == row["parent_code"] == node.code[:9]
        assert parent.code.startswith(COUNTIES)
        suffix = int(node.code[9:])
        if node.kind == Kind.COMMUNITY:
            assert 1 <= suffix <= 199, node.code
        else:
            assert node.kind == Kind.VILLAGE and 200 <= suffix <= 399, node.code
        assert 117.5 <= node.lng <= 123.5 and 26.5 <= node.lat <= 31.8
    kinds = {by_code[c].kind for c in codes}
    assert kinds == {Kind.VILLAGE, Kind.COMMUNITY}
    # Both counties get villages, and every township of both counties gets some.
    for county in COUNTIES:
        township_codes = set(
            Region.objects.current()
            .filter(depth=Level.TOWNSHIP, code__startswith=county)
            .values_list("code", flat=True)
        )
        assert township_codes == {
            row["parent_code"] for row in demo_db.rows if row["code"].startswith(county)
        }
    assert not Region.objects.find_problems() or all(not ids for ids in Region.objects.find_problems())


def test_demo_coexists_with_the_test_villages(demo_db):
    generated = {row["code"]: row["name"] for row in demo_db.rows}
    for village in TEST_VILLAGES:
        matches = Region.objects.current().filter(code=village["code"])
        assert matches.count() == 1
        if village["code"] in generated:  # the demo updated it in place
            assert matches.get().name == generated[village["code"]]
        else:
            assert matches.get().name == village["name"]
    # The named village of the README path is there, once.
    liujiatang = Region.objects.current().get(code__startswith="330523205", name="刘家塘村")
    assert liujiatang.full_name == "浙江省 › 湖州市 › 安吉县 › 上墅乡 › 刘家塘村"


def test_id_numbers_are_valid_and_consistent(demo_db):
    seen = set()
    for person in Person.objects.select_related("region"):
        number = person.id_number
        assert clean_id_number(number) == number
        assert check_id_against(number, person.birth_date, person.gender) == {}
        assert person.id_number_index == blind_index(number)
        assert clean_phone(person.phone) == person.phone
        assert person.phone_index == blind_index(person.phone)
        assert person.entry_date > person.birth_date
        seen.add(number)
    assert len(seen) == Person.objects.count()


def test_history_rows_hold_no_clear_personal_data(demo_db):
    assert PersonChange.objects.count() == Person.objects.count()
    sample = list(Person.objects.order_by("pk")[:200])
    text = " ".join(str(c) for c in PersonChange.objects.values_list("changes", flat=True))
    for person in sample:
        assert person.id_number not in text and person.phone not in text


def test_the_eight_demo_accounts(demo_db, settings):
    # The demo hashed its password outside this test's fast-hasher setting.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    accounts = {u.username: u for u in User.objects.prefetch_related("role_assignments__region")}
    assert set(accounts) == {a[0] for a in ACCOUNTS}
    assert len(accounts) == 8
    for username, role, code, _display in ACCOUNTS:
        user = accounts[username]
        (assignment,) = user.role_assignments.all()
        assert assignment.role == role
        if code:
            assert assignment.region.code == code
        assert user.password == accounts["province"].password
    assert accounts["province"].check_password(DEMO_PASSWORD)
    mentor, apprentice = accounts["mentor"], accounts["apprentice"]
    mentor_role = mentor.role_assignments.get()
    assert mentor_role.region.name == "刘家塘村" and mentor_role.region.code.startswith("330523205")
    assert mentor.person is not None and mentor.person.region == mentor_role.region
    apprentice_role = apprentice.role_assignments.get()
    assert apprentice_role.role == Role.APPRENTICE and apprentice_role.region.code.startswith("330523205")
    assert apprentice_role.region != mentor_role.region
    assert apprentice.person is not None and apprentice.person.region == apprentice_role.region
    assert accounts["shangshu"].role_assignments.get().region.name == "上墅乡"


def test_demo_accounts_sign_in_and_see_their_scope(demo_db, client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    assert client.post("/login/", {"username": "anji", "password": DEMO_PASSWORD}).status_code == 302
    anji = client.get("/api/cadres/", {"page_size": 1}).json()["count"]
    client.force_login(User.objects.get(username="deqing"))
    deqing = client.get("/api/cadres/", {"page_size": 1}).json()["count"]
    client.force_login(User.objects.get(username="huzhou"))
    huzhou = client.get("/api/cadres/", {"page_size": 1}).json()["count"]
    assert anji > 0 and deqing > 0
    assert anji + deqing == huzhou == Person.objects.count()
    client.force_login(User.objects.get(username="mentor"))
    own = client.get("/api/cadres/").json()
    assert own["count"] == 1 and own["results"][0]["id"] == User.objects.get(username="mentor").person_id


# ---------------------------------------------------------------------- programmes, mentors and pairings


def local_day(moment) -> dt.date:
    return timezone.localtime(moment).date()


def test_one_programme_per_county_with_versioned_rules(demo_db):
    programmes = {p.region.code: p for p in Programme.objects.select_related("region")}
    assert set(programmes) == set(COUNTIES)
    anji, deqing = programmes["330523"], programmes["330521"]
    assert anji.name == "安吉县2027年乡村年轻干部导师帮带" and anji.year == 2027
    assert deqing.name == "德清县2027年乡村年轻干部导师帮带"
    defaults = Policy().as_data()
    assert [r.version for r in deqing.rule_versions.all()] == [1]
    assert deqing.current_rules().data == defaults
    v2, v1 = anji.rule_versions.order_by("-version")
    assert (v1.version, v2.version) == (1, 2) and v1.data == defaults
    assert v2.data == {**defaults, "max_mentors_per_apprentice": 2} and v2.note
    assert v1.created_at < v2.created_at and anji.policy.max_mentors_per_apprentice == 2
    assert {v1.created_by.username, v2.created_by.username} == {"anji"}


def test_mentor_load_equals_open_pairings_within_capacity(demo_db):
    open_by_mentor = Counter(
        PairingMentor.objects.filter(pairing__status__in=OPEN_STATES).values_list("mentor_id", flat=True)
    )
    mentors = list(Mentor.objects.all())
    assert len(mentors) > 150
    for mentor in mentors:
        assert mentor.load == open_by_mentor.get(mentor.pk, 0), mentor.pk
        assert mentor.load <= mentor.capacity
        if mentor.load:
            assert mentor.status in (MentorStatus.ACTIVE, MentorStatus.SUSPENDED)
    assert sum(m.load for m in mentors) == sum(open_by_mentor.values()) > 100


def test_at_most_one_open_pairing_per_apprentice_and_status_follows(demo_db):
    apprentices = list(Apprentice.objects.prefetch_related("pairings"))
    assert len(apprentices) > 200
    for apprentice in apprentices:
        pairings = sorted(apprentice.pairings.all(), key=lambda p: p.created_at)
        open_ = [p for p in pairings if p.status in OPEN_STATES]
        assert len(open_) <= 1
        if open_:
            assert open_[0] is pairings[-1] and apprentice.status == ApprenticeStatus.PAIRED
        elif pairings and pairings[-1].status == PairingStatus.COMPLETED:
            assert apprentice.status == ApprenticeStatus.GRADUATED
        else:
            assert apprentice.status == ApprenticeStatus.ELIGIBLE
        # Young cadres only, unless new to the post or 三门 (the registry's own age rule).
        check_age(
            apprentice.programme, apprentice.person, apprentice.categories, apprentice.three_gates, on=TODAY
        )
        assert apprentice.categories and apprentice.needs
        assert apprentice.region_id == apprentice.person.region_id
        if apprentice.three_gates:
            assert {ApprenticeCategory.XUANDIAOSHENG, ApprenticeCategory.NEW_TOWNSHIP_CADRE} & set(
                apprentice.categories
            )
    # Nobody is both a mentor and an apprentice, and nobody is paired with themselves.
    mentor_people = set(Mentor.objects.values_list("person_id", flat=True))
    assert not mentor_people & {a.person_id for a in apprentices}


def test_every_state_is_present(demo_db):
    mentor_states = set(Mentor.objects.values_list("status", flat=True))
    assert mentor_states == set(MentorStatus.values) - {MentorStatus.EXPIRED}
    pairing_states = Counter(Pairing.objects.values_list("status", flat=True))
    assert set(pairing_states) == set(PairingStatus.values)
    assert pairing_states[PairingStatus.ACTIVE] > pairing_states[PairingStatus.PROPOSED] > 0
    apprentice_states = set(Apprentice.objects.values_list("status", flat=True))
    assert apprentice_states == {
        ApprenticeStatus.ELIGIBLE,
        ApprenticeStatus.PAIRED,
        ApprenticeStatus.GRADUATED,
    }
    # Proposals confirmed by one side only, re-pairings, mentor teams, objections, conflicts.
    half = Pairing.objects.filter(status=PairingStatus.PROPOSED).filter(
        Q(apprentice_confirmed_at__isnull=False) | Q(members__confirmed_at__isnull=False)
    )
    assert half.exists()
    assert Pairing.objects.filter(replaces__isnull=False).exists()
    assert Pairing.objects.filter(mode=PairingMode.MANY_TO_ONE, status=PairingStatus.ACTIVE).exists()
    assert PublicityObjection.objects.filter(resolved_at__isnull=True).exists()
    assert PublicityObjection.objects.filter(resolved_at__isnull=False).exists()
    assert ConflictDeclaration.objects.count() >= 4
    assert set(Mentor.objects.values_list("tier", flat=True)) == {
        MentorTier.COUNTY,
        MentorTier.TOWNSHIP,
        MentorTier.VILLAGE,
    }


def _chain_ok(events, first_action, first_to):
    assert events and events[0].action in first_action and events[0].from_status == ""
    assert events[0].to_status == first_to
    for before, after in itertools.pairwise(events):
        assert after.at > before.at
        assert after.from_status == before.to_status, (before.action, after.action)
    assert local_day(events[-1].at) <= TODAY


def test_mentor_event_chains(demo_db):
    admins = {"330523": {"anji", "shangshu"}, "330521": {"deqing"}}
    appointment = [MentorAction.NOMINATE, *APPOINT_STEPS, MentorAction.APPOINT]
    for mentor in Mentor.objects.select_related("programme__region").prefetch_related(
        "events__actor", "objections"
    ):
        events = list(mentor.events.all())
        _chain_ok(events, {MentorAction.NOMINATE}, MentorStatus.SUBMITTED)
        assert events[-1].to_status == mentor.status
        assert {e.actor.username for e in events if e.actor} <= admins[mentor.programme.region.code]
        steps = [e.action for e in events if e.action != MentorAction.OBJECTION]
        code = mentor.programme.region.code
        if mentor.status in (
            MentorStatus.ACTIVE,
            MentorStatus.SUSPENDED,
            MentorStatus.RETIRED,
            MentorStatus.DISMISSED,
        ):
            assert steps[:6] == appointment
            appoint = next(e for e in events if e.action == MentorAction.APPOINT)
            assert mentor.appointed_at == local_day(appoint.at) and mentor.appointed_at.year == 2026
            assert mentor.certificate_no == f"{code}-{mentor.appointed_at.year}-{mentor.pk:06d}"
            assert mentor.term_end == mentor.appointed_at.replace(year=mentor.appointed_at.year + 3)
            assert mentor.appointed_at > mentor.publicity_end
            assert not mentor.objections.filter(resolved_at__isnull=True).exists()
        else:
            assert mentor.certificate_no is None and mentor.appointed_at is None
            assert mentor.load == 0
        if mentor.publicity_start:
            assert mentor.publicity_end == add_working_days(mentor.publicity_start, 5)
        if mentor.status == MentorStatus.PUBLICITY:
            assert mentor.publicity_end >= TODAY - dt.timedelta(days=7)
        elif mentor.status in REVIEW_STATES:
            assert steps == appointment[: REVIEW_STATES.index(mentor.status) + 1]
        if mentor.status in (
            MentorStatus.REJECTED,
            MentorStatus.SUSPENDED,
            MentorStatus.RETIRED,
            MentorStatus.DISMISSED,
        ):
            assert mentor.status_reason and mentor.status_reason == events[-1].reason
        if mentor.objections.all():
            assert MentorAction.OBJECTION in [e.action for e in events]
        assert mentor.capacity == Policy().capacity_for(mentor.tier)
        assert set(mentor.titles) <= set(MentorTitle.values)
        if mentor.tier == MentorTier.COUNTY:  # the county's master mentors are honoured secretaries
            honours = {
                MentorTitle.XINGCUN_MINGSHI,
                MentorTitle.ZHISHE_MINGSHI,
                MentorTitle.DANDANG_HAO_ZHISHU,
            }
            assert honours & set(mentor.titles) or mentor.qianming_batch == 1
        if MentorTitle.LAO_XIANGZHEN in mentor.titles:
            assert mentor.tier == MentorTier.TOWNSHIP
        assert mentor.expertise and mentor.specialties
        if MentorTitle.QIANMING_HAO_ZHISHU in mentor.titles:
            assert mentor.qianming_batch in (1, 2, 3)
        else:
            assert mentor.qianming_batch is None


def test_departed_mentors_pairings_were_terminated_with_their_reason(demo_db):
    departed = Mentor.objects.filter(status__in=[MentorStatus.RETIRED, MentorStatus.DISMISSED])
    assert departed.exists()
    ended = Pairing.objects.filter(members__mentor__in=departed)
    assert ended.exists()
    for pairing in ended.prefetch_related("members__mentor"):
        (mentor,) = [m.mentor for m in pairing.members.all()]
        assert pairing.status == PairingStatus.TERMINATED and pairing.end_reason == mentor.status_reason
        gone = mentor.events.get(to_status=mentor.status).at
        assert pairing.events.last().at > gone and local_day(gone) == pairing.ended_on


def test_pairing_event_chains_and_fields(demo_db):
    confirmed_states = {
        PairingStatus.CONFIRMED,
        PairingStatus.ACTIVE,
        PairingStatus.EXTENDED,
        PairingStatus.COMPLETED,
    }
    signed_states = {PairingStatus.ACTIVE, PairingStatus.EXTENDED, PairingStatus.COMPLETED}
    rules = {(r.programme_id, r.version): r.policy for r in ProgrammeRules.objects.all()}
    pairings = Pairing.objects.select_related("apprentice", "replaces").prefetch_related(
        "events", "members__mentor__person"
    )
    for pairing in pairings:
        events = list(pairing.events.all())
        first = PairingAction.REPAIR if pairing.replaces_id else PairingAction.PROPOSE
        _chain_ok(events, {first}, PairingStatus.PROPOSED)
        assert events[-1].to_status == pairing.status
        members = list(pairing.members.all())
        policy = rules[(pairing.programme_id, pairing.rules_version)]
        assert 1 <= len(members) <= policy.max_mentors_per_apprentice
        assert [m.is_primary for m in members] == [True] + [False] * (len(members) - 1)
        assert pairing.mode == (PairingMode.MANY_TO_ONE if len(members) > 1 else PairingMode.ONE_TO_ONE)
        assert all(m.mentor.programme_id == pairing.programme_id for m in members)
        assert pairing.region_id == pairing.apprentice.region_id
        confirmations = [pairing.apprentice_confirmed_at] + [m.confirmed_at for m in members]
        assert sum(e.action == PairingAction.CONFIRM for e in events) == sum(
            c is not None for c in confirmations
        )
        reached = {e.to_status for e in events}
        if PairingStatus.CONFIRMED in reached:
            assert all(confirmations)
        elif pairing.status == PairingStatus.PROPOSED:
            assert not all(confirmations)
        assert (pairing.status in confirmed_states) <= (PairingStatus.CONFIRMED in reached)
        if PairingStatus.ACTIVE in reached:
            assert pairing.status in signed_states | {PairingStatus.TERMINATED}
            assert pairing.start_date == pairing.pledge_signed_on <= TODAY
            assert pairing.planned_end_date == _months_later(pairing.start_date, pairing.term_months)
            assert pairing.ceremony_place and pairing.witnesses
            names = SimpleNamespace(select_related=lambda *_, members=members: [m.mentor for m in members])
            assert pairing.pledge_text == default_pledge_text(
                SimpleNamespace(term_months=policy.term_months, mentors=names)
            )
        else:
            assert not pairing.pledge_signed_on and not pairing.pledge_text and not pairing.start_date
        extended = pairing.status == PairingStatus.EXTENDED or PairingStatus.EXTENDED in reached
        assert pairing.term_months == policy.term_months + (6 if extended else 0)
        closed = pairing.status in (PairingStatus.COMPLETED, PairingStatus.TERMINATED, PairingStatus.DECLINED)
        assert bool(pairing.ended_on) == closed == bool(pairing.end_reason)
        if closed:
            assert pairing.ended_on == local_day(events[-1].at) and events[-1].reason == pairing.end_reason
        if pairing.replaces_id:
            assert pairing.replaces.status == PairingStatus.TERMINATED
            assert pairing.replaces.apprentice_id == pairing.apprentice_id
            assert events[0].at > pairing.replaces.events.last().at
        assert pairing.created_at == events[0].at and pairing.apprentice.created_at < pairing.created_at
    # Mentor teams only where and when the rules allowed them.
    teams = Pairing.objects.filter(mode=PairingMode.MANY_TO_ONE)
    assert teams.exists() and set(teams.values_list("programme__region__code", "rules_version")) == {
        ("330523", 2)
    }


def test_conflicts_of_interest_are_never_paired(demo_db):
    paired = set(PairingMentor.objects.values_list("mentor__person_id", "pairing__apprentice__person_id"))
    for conflict in ConflictDeclaration.objects.all():
        assert (conflict.mentor_person_id, conflict.apprentice_person_id) not in paired
        assert Mentor.objects.filter(person_id=conflict.mentor_person_id).exists()
        assert Apprentice.objects.filter(person_id=conflict.apprentice_person_id).exists()
        assert conflict.kind in ConflictKind.values and conflict.note


def test_demo_mentor_and_apprentice_have_their_pairings(demo_db):
    mentor_user = User.objects.get(username="mentor")
    apprentice_user = User.objects.get(username="apprentice")
    mentor = Mentor.objects.get(person=mentor_user.person)
    assert mentor.programme.name == "安吉县2027年乡村年轻干部导师帮带"
    assert mentor.status == MentorStatus.ACTIVE and mentor.certificate_no and mentor.region.name == "刘家塘村"
    pairings = {p.status: p for p in Pairing.objects.filter(members__mentor=mentor)}
    assert PairingStatus.ACTIVE in pairings and PairingStatus.PROPOSED in pairings
    proposed = pairings[PairingStatus.PROPOSED]
    assert pairing_services.needs_confirmation_from(mentor_user, proposed)
    assert proposed.apprentice_confirmed_at is not None
    apprentice = Apprentice.objects.get(person=apprentice_user.person)
    assert apprentice.status == ApprenticeStatus.PAIRED and apprentice.programme_id == mentor.programme_id
    own = Pairing.objects.get(apprentice=apprentice, status__in=OPEN_STATES)
    assert own == pairings[PairingStatus.ACTIVE]
    assert own.pledge_signed_on and own.pledge_text.startswith(f"尊敬的{mentor_user.person.name}导师")
    assert own.ceremony_place == "上墅乡师说馆" and own.witnesses
    assert pairing_services.party_of(apprentice_user, own) == "apprentice"
    assert pairing_services.party_of(mentor_user, own) == "mentor"
    # The proposal still goes through the real service: the mentor's confirmation makes it confirmed.
    with transaction.atomic():
        done = pairing_services.confirm(actor=mentor_user, pairing=proposed)
        assert done.status == PairingStatus.CONFIRMED
        transaction.set_rollback(True)
