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
from django.db.models import Max, Q
from django.utils import timezone

from bangdai.accounts.choices import Role
from bangdai.accounts.models import User
from bangdai.alliances.choices import AllianceAction, AllianceStatus
from bangdai.alliances.models import Alliance, AllianceMember, JointActivity
from bangdai.apprentices.choices import ApprenticeCategory, ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.apprentices.services import check_age
from bangdai.assignments.choices import AssignmentAction, AssignmentStatus
from bangdai.assignments.models import Assignment
from bangdai.core.choices import ContentArea, Method
from bangdai.demo.generator import (
    ACCOUNTS,
    DEMO_PASSWORD,
    TODAY,
    TOWNSHIP_CADRES,
    VILLAGE_CADRES,
    Generator,
    has_demo_data,
)
from bangdai.ledger.choices import ActivityAction, ActivityStatus, Verification
from bangdai.ledger.models import Activity, ActivityEvent, Review
from bangdai.mentors.choices import REVIEW_STATES, MentorAction, MentorStatus, MentorTier, MentorTitle
from bangdai.mentors.models import Mentor, MentorEvent, PublicityObjection
from bangdai.mentors.services import add_working_days
from bangdai.pairings import services as pairing_services
from bangdai.pairings.choices import (
    OPEN_STATES,
    RUNNING_STATES,
    ConflictKind,
    PairingAction,
    PairingMode,
    PairingStatus,
)
from bangdai.pairings.models import ConflictDeclaration, Pairing, PairingEvent, PairingMentor
from bangdai.pairings.services import _months_later, default_pledge_text
from bangdai.people.models import Person, PersonChange
from bangdai.people.protection import blind_index
from bangdai.people.validation import check_id_against, clean_id_number, clean_phone
from bangdai.plans.choices import Decision, PlanAction, PlanStatus
from bangdai.plans.models import MentoringPlan, PlanEvent, PlanGoal
from bangdai.programmes.models import Programme, ProgrammeRules
from bangdai.programmes.policy import Policy
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import Region
from bangdai.teaching.choices import ClassStatus, EnrolmentStatus
from bangdai.teaching.models import Enrolment, OpenClass, TeachingSite

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
    lines.extend(practice_lines())
    h = hashlib.sha256()
    for line in sorted(lines):
        h.update(line.encode())
    return h.hexdigest()


def practice_lines() -> list[str]:
    """The ledger, plans, assignments, classes and alliances, keyed by the apprentice's or village's identity."""
    who = "pairing__apprentice__person__id_number_index"
    queries = [
        Activity.objects.values_list(
            who,
            "occurred_on",
            "method",
            "content_areas",
            "place__code",
            "duration_min",
            "summary",
            "status",
            "verification",
            "confirmed_at",
            "created_at",
            "lng",
        ),
        ActivityEvent.objects.values_list(
            f"activity__{who}", "activity__occurred_on", "action", "at", "note"
        ),
        Review.objects.values_list(who, "created_at", "lessons"),
        MentoringPlan.objects.values_list(who, "status", "revision", "approved_revision", "submitted_at"),
        PlanGoal.objects.values_list(f"plan__{who}", "position", "content_area", "due_on", "achieved_on"),
        PlanEvent.objects.values_list(f"plan__{who}", "action", "to_status", "at"),
        Assignment.objects.values_list(who, "issued_at", "status", "due_on", "score", "submitted_at"),
        TeachingSite.objects.values_list("village__code", "name", "level", "themes", "capacity_per_session"),
        OpenClass.objects.values_list("village__code", "starts_at", "title", "enrolled_count", "status"),
        Enrolment.objects.values_list(
            "open_class__village__code",
            "open_class__starts_at",
            "person__id_number_index",
            "status",
            "attended_at",
        ),
        Alliance.objects.values_list("hub__code", "name", "status", "founded_on", "region__code"),
        AllianceMember.objects.values_list("alliance__hub__code", "village__code", "current", "left_on"),
        JointActivity.objects.values_list("alliance__hub__code", "occurred_on", "title"),
    ]
    return [repr(row) for query in queries for row in query]


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
    assert first.practice == second.practice and first.practice["activities"] > 0


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


# ---------------------------------------------------------------------- mentoring in practice (bangdai.demo.practice)


def _today() -> dt.date:
    return timezone.localdate()


def _start_of_today():
    return timezone.make_aware(dt.datetime.combine(_today(), dt.time(0)))


def _chain(events, status_of=lambda e: (e.from_status, e.to_status), same_state_actions=()):
    """Events in time order whose states follow on from each other (actions in ``same_state_actions`` keep it)."""
    for before, after in itertools.pairwise(events):
        assert after.at >= before.at
        if after.action not in same_state_actions:
            assert status_of(after)[0] == status_of(before)[1], (before.action, after.action)


def test_practice_is_reported_per_step(demo_db):
    report = demo_db.second_report
    practice = report.practice
    for key in (
        "activities",
        "reviews",
        "plans",
        "assignments",
        "teaching_sites",
        "open_classes",
        "alliances",
    ):
        assert practice[key] > 0, key
    assert practice["activities"] == Activity.objects.count()
    assert practice["running_pairings"] == Pairing.objects.filter(status__in=RUNNING_STATES).count()
    for step in ("practice", "  ledger", "  plans", "  assignments", "  teaching", "  alliances"):
        assert step in report.seconds


def test_activities_lie_within_their_pairings_and_the_past(demo_db):
    rules = {(r.programme_id, r.version): r.policy for r in ProgrammeRules.objects.all()}
    today, midnight = _today(), _start_of_today()
    activities = Activity.objects.select_related("pairing__programme__region", "place")
    assert activities.count() > 1500
    for a in activities:
        pairing = a.pairing
        policy = rules[(pairing.programme_id, pairing.rules_version)]
        assert pairing.status in RUNNING_STATES and a.region_id == pairing.region_id
        assert pairing.start_date <= a.occurred_on < today
        assert a.occurred_on <= local_day(a.created_at) and a.created_at < midnight
        assert a.confirm_due == local_day(a.created_at) + dt.timedelta(days=policy.confirm_within_days)
        assert 30 <= a.duration_min <= 240 and a.method in Method.values
        assert a.content_areas and set(a.content_areas) <= set(ContentArea.values)
        low, high = pairing.programme.region.subtree_range
        assert low <= a.place.path < high and a.place.depth >= Level.TOWNSHIP
        assert a.on_site == (a.place.depth == Level.VILLAGE)
        assert (a.lng is None) == (a.lat is None) == (a.accuracy_m is None)
        assert a.summary and a.updated_at >= a.created_at
        if a.status == ActivityStatus.CONFIRMED:
            assert a.created_at < a.confirmed_at < midnight and local_day(a.confirmed_at) <= a.confirm_due
        else:
            assert a.confirmed_at is None and a.confirmed_by_id is None
        if a.verification != Verification.UNREVIEWED:
            assert a.verified_at > a.created_at and a.verified_at < midnight
        if a.verification == Verification.QUESTIONABLE:
            assert a.verification_note


def test_activity_histories_are_what_the_services_write(demo_db):
    activities = Activity.objects.prefetch_related("events")
    for a in activities:
        events = list(a.events.all())
        steps = [e for e in events if e.action != ActivityAction.REVIEW]
        assert steps[0].action == ActivityAction.RECORD and steps[0].at == a.created_at
        assert steps[0].actor_id == a.logged_by_id
        assert all(x.at <= y.at for x, y in itertools.pairwise(steps))
        actions = [e.action for e in steps]
        assert actions.count(ActivityAction.CONFIRM) == (a.status == ActivityStatus.CONFIRMED)
        assert actions.count(ActivityAction.WITHDRAW) == (a.status == ActivityStatus.WITHDRAWN)
        if a.status == ActivityStatus.CONFIRMED:
            (confirm,) = [e for e in steps if e.action == ActivityAction.CONFIRM]
            assert confirm.at == a.confirmed_at and confirm.actor_id == a.confirmed_by_id
        assert a.revision == 1 + actions.count(ActivityAction.CORRECT)
        verdicts = [e for e in steps if e.action in (ActivityAction.VERIFY, ActivityAction.QUESTION)]
        if verdicts:
            last = verdicts[-1]
            expected = (
                Verification.VERIFIED if last.action == ActivityAction.VERIFY else Verification.QUESTIONABLE
            )
            assert (
                a.verification == expected and a.verified_at == last.at and a.verification_note == last.note
            )
        else:
            assert a.verification == Verification.UNREVIEWED
        assert a.updated_at == steps[-1].at
        for e in events:
            if e.action == ActivityAction.REVIEW:
                assert Review.objects.filter(pk=e.changes["review"], activities=a).exists()


def test_every_standing_of_an_entry_is_present(demo_db):
    today = _today()
    statuses = Counter(Activity.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    assert statuses[ActivityStatus.CONFIRMED] > 0.75 * total
    assert 0 < statuses[ActivityStatus.WITHDRAWN] < 0.02 * total
    overdue, awaiting = Activity.objects.overdue(today).count(), Activity.objects.awaiting(today).count()
    assert 0.03 * total < overdue < 0.2 * total and awaiting > 0
    verdicts = Counter(Activity.objects.values_list("verification", flat=True))
    assert verdicts[Verification.VERIFIED] > 0 and verdicts[Verification.QUESTIONABLE] > 0
    assert verdicts[Verification.UNREVIEWED] > 0.9 * total
    assert ActivityEvent.objects.filter(action=ActivityAction.CORRECT).exists()
    methods = Counter(Activity.objects.values_list("method", flat=True))
    assert set(methods) == set(Method.values)
    assert Activity.objects.filter(on_site=True).count() > 0.5 * total


def test_silent_and_falling_behind_pairings(demo_db):
    today = _today()
    running = list(Pairing.objects.filter(status__in=RUNNING_STATES).values_list("pk", "start_date"))
    last = dict(Activity.objects.counted().values_list("pairing_id").annotate(latest=Max("occurred_on")))
    silent = [pk for pk, start in running if (today - last.get(pk, start)).days > 60]
    assert 0.03 <= len(silent) / len(running) <= 0.12, len(silent) / len(running)
    recent = [pk for pk, _start in running if pk in last and (today - last[pk]).days <= 30]
    assert len(recent) / len(running) > 0.75
    # Months with fewer than the rules' two activities: some pairings fall behind, most do not.
    months = Counter(
        (p, d.replace(day=1)) for p, d in Activity.objects.counted().values_list("pairing_id", "occurred_on")
    )
    full = [(pk, m) for pk, start in running for m in _full_months(start, today) if pk not in silent]
    short = sum(1 for key in full if months[key] < 2)
    assert 0.05 < short / len(full) < 0.4


def _full_months(start: dt.date, today: dt.date):
    month = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    while (month + dt.timedelta(days=32)).replace(day=1) <= today.replace(day=1):
        yield month
        month = (month + dt.timedelta(days=32)).replace(day=1)


def test_activity_is_seasonal(demo_db):
    """Per running pairing-day, fewer activities in the farming rush (三夏, 双抢) than in spring and autumn."""
    yesterday = _today() - dt.timedelta(days=1)
    spans = list(Pairing.objects.filter(status__in=RUNNING_STATES).values_list("start_date", flat=True))
    days = Counter()
    for start in spans:
        day = start
        while day <= yesterday:
            days[(day.year, day.month)] += 1
            day += dt.timedelta(days=1)
    count = Counter((d.year, d.month) for d in Activity.objects.values_list("occurred_on", flat=True))
    rate = {key: count[key] / n for key, n in days.items() if n > 1000}
    summer = [rate[k] for k in rate if k[1] in (6, 7)]
    busy = [rate[k] for k in rate if k[1] in (4, 9, 11)]
    assert summer and busy and max(summer) < min(busy), rate


def test_reviews_look_back_on_their_own_activities(demo_db):
    reviews = Review.objects.prefetch_related("activities")
    assert reviews.count() > 50
    for review in reviews:
        linked = list(review.activities.all())
        assert len(linked) >= 2
        assert all(a.pairing_id == review.pairing_id for a in linked)
        assert all(a.status != ActivityStatus.WITHDRAWN for a in linked)
        assert review.created_at > max(a.created_at for a in linked) and review.created_at < _start_of_today()
        assert review.lessons and review.next_steps
        assert ActivityEvent.objects.filter(
            action=ActivityAction.REVIEW, changes__review=review.pk
        ).count() == len(linked)


def test_plans_and_their_revisions(demo_db):
    rules = {(r.programme_id, r.version): r.policy for r in ProgrammeRules.objects.all()}
    today, midnight = _today(), _start_of_today()
    plans = MentoringPlan.objects.select_related("pairing").prefetch_related("goals", "revisions", "events")
    states = Counter()
    overdue = 0
    for plan in plans:
        pairing = plan.pairing
        states[plan.status] += 1
        assert pairing.status in RUNNING_STATES and plan.created_at.date() >= pairing.start_date
        revisions = list(plan.revisions.all())
        assert [r.number for r in revisions] == list(range(1, plan.revision + 1))
        goals = [
            {
                "content_area": g.content_area,
                "description": g.description,
                "measurable_target": g.measurable_target,
                "due_on": g.due_on.isoformat(),
            }
            for g in plan.goals.all()
        ]
        assert goals and all(
            pairing.start_date <= g.due_on <= pairing.planned_end_date for g in plan.goals.all()
        )
        if plan.status in (PlanStatus.SUBMITTED, PlanStatus.APPROVED, PlanStatus.RETURNED):
            assert (
                revisions[-1].goals == goals
            )  # the goals as last submitted (a returned plan not yet edited)
        if plan.status == PlanStatus.SUBMITTED:
            assert not revisions[-1].decision
        else:
            assert all(r.decision for r in revisions)
        if plan.approved_revision:
            approved = revisions[plan.approved_revision - 1]
            assert approved.decision == Decision.APPROVED and approved.decided_at == plan.approved_at
        if revisions:
            assert plan.first_submitted_at == revisions[0].submitted_at
            assert plan.submitted_at == revisions[-1].submitted_at
            assert plan.required_frequencies["activities_per_month"] == 2
        events = list(plan.events.all())
        assert events[0].action == PlanAction.CREATE and events[0].at == plan.created_at
        _chain(events, same_state_actions=(PlanAction.ACHIEVE,))
        assert events[-1].to_status == plan.status and events[-1].at < midnight
        submits = [e for e in events if e.action in (PlanAction.SUBMIT, PlanAction.REVISE)]
        assert [e.revision for e in submits] == [r.number for r in revisions]
        for goal in plan.goals.all():
            if goal.achieved_on:
                assert plan.approved_revision and goal.achieved_on < today
        due = pairing.start_date + dt.timedelta(
            days=rules[(pairing.programme_id, pairing.rules_version)].plan_due_days
        )
        handed_in = plan.first_submitted_at and local_day(plan.first_submitted_at) <= due
        overdue += due < today and not handed_in
    assert set(states) == set(PlanStatus.values)
    assert states[PlanStatus.APPROVED] > 0.6 * sum(states.values())
    assert overdue > 0
    running = Pairing.objects.filter(status__in=RUNNING_STATES)
    assert (
        running.filter(plan__isnull=True).exists()
        and running.filter(plan__isnull=False).count() > 0.85 * running.count()
    )


def test_assignments_submissions_and_scores(demo_db):
    today, midnight = _today(), _start_of_today()
    assignments = Assignment.objects.select_related("pairing").prefetch_related("submissions", "events")
    states = Counter()
    overdue = review_overdue = 0
    for a in assignments:
        states[a.status] += 1
        pairing = a.pairing
        assert pairing.start_date <= local_day(a.issued_at) <= a.due_on <= pairing.planned_end_date
        submissions = list(a.submissions.all())
        assert a.submission_count == len(submissions)
        assert [s.superseded_at is None for s in submissions] == [False] * (len(submissions) - 1) + [
            True
        ] * bool(submissions)
        if submissions:
            assert a.first_submitted_at == submissions[0].submitted_at > a.issued_at
            assert a.submitted_at == submissions[-1].submitted_at < midnight
        if a.status == AssignmentStatus.REVIEWED:
            assert 0 <= a.score <= 100 and a.feedback and a.submitted_at < a.reviewed_at < midnight
        else:
            assert a.score is None and a.reviewed_at is None
        assert (a.status == AssignmentStatus.WITHDRAWN) == bool(a.withdrawn_at and a.withdraw_reason)
        events = list(a.events.all())
        assert events[0].action == AssignmentAction.ISSUE and events[0].at == a.issued_at
        _chain(events)
        assert events[-1].to_status == a.status
        overdue += a.status == AssignmentStatus.ISSUED and a.due_on < today
        review_overdue += (
            a.status == AssignmentStatus.SUBMITTED and (today - local_day(a.submitted_at)).days > 14
        )
    assert set(states) == set(AssignmentStatus.values)
    assert states[AssignmentStatus.REVIEWED] > 0.5 * sum(states.values())
    assert overdue > 0 and review_overdue > 0
    assert Assignment.objects.filter(submission_count=2).exists()


def test_teaching_sites_classes_and_attendance(demo_db):
    now = timezone.now()
    sites = TeachingSite.objects.prefetch_related("host_mentors")
    assert 6 <= sites.count() <= 20
    for site in sites:
        hosts = list(site.host_mentors.all())
        assert hosts and hosts[0].status == MentorStatus.ACTIVE
        assert any(m.region_id == site.village_id for m in hosts)
        assert site.themes and site.courses and site.capacity_per_session >= 1
    classes = OpenClass.objects.select_related("site", "mentor").prefetch_related("enrolments__apprentice")
    assert classes.filter(starts_at__gt=now).exists() and classes.filter(ends_at__lt=now).exists()
    for open_class in classes:
        assert open_class.site.village_id == open_class.village_id
        assert open_class.site.host_mentors.filter(pk=open_class.mentor_id).exists()
        assert open_class.created_at < open_class.starts_at < open_class.ends_at
        assert open_class.ends_at - open_class.starts_at <= dt.timedelta(hours=12)
        enrolments = list(open_class.enrolments.all())
        enrolled = [e for e in enrolments if e.status == EnrolmentStatus.ENROLLED]
        assert open_class.enrolled_count == len(enrolled) <= open_class.capacity
        assert len({e.person_id for e in enrolled}) == len(enrolled)
        for e in enrolments:
            assert e.person_id == e.apprentice.person_id != open_class.mentor.person_id
            assert open_class.created_at < e.enrolled_at < open_class.starts_at
            if e.attended_at:
                assert e.status == EnrolmentStatus.ENROLLED and open_class.status == ClassStatus.SCHEDULED
                opens = open_class.starts_at - dt.timedelta(minutes=30)
                assert opens <= e.attended_at <= open_class.ends_at < now and e.check_in_method
            if open_class.starts_at > now:
                assert e.attended_at is None
    attended = Enrolment.objects.filter(attended_at__isnull=False).count()
    past = Enrolment.objects.filter(open_class__ends_at__lt=now, status=EnrolmentStatus.ENROLLED).count()
    assert 0.75 * past < attended < past


def test_alliances_around_mentors_villages(demo_db):
    today = _today()
    alliances = Alliance.objects.select_related("lead_mentor", "region", "hub").prefetch_related(
        "members__village", "activities__villages", "events"
    )
    assert alliances.count() >= 6
    states = Counter(a.status for a in alliances)
    assert states[AllianceStatus.ACTIVE] > states[AllianceStatus.FORMING] > 0
    current = Counter(AllianceMember.objects.filter(current=True).values_list("village_id", flat=True))
    assert current and max(current.values()) == 1
    live_leads = Counter(a.lead_mentor.person_id for a in alliances if a.is_live)
    assert max(live_leads.values()) == 1
    for alliance in alliances:
        assert (
            alliance.lead_mentor.region_id == alliance.hub_id
            and alliance.lead_mentor.status == MentorStatus.ACTIVE
        )
        members = list(alliance.members.all())
        low, high = alliance.region.subtree_range
        assert all(low <= m.village.path < high for m in members)
        assert [m.village_id for m in members if m.is_hub] == [alliance.hub_id]
        counties = {m.village.path[:15] for m in members}
        assert alliance.spans_counties == (len(counties) > 1)
        assert (alliance.status == AllianceStatus.DISSOLVED) == bool(alliance.dissolved_on)
        if alliance.is_live:
            assert any(m.current for m in members)
        else:
            assert not any(m.current for m in members)
        for m in members:
            assert (m.left_on is None) == m.current
        events = list(alliance.events.all())
        assert events[0].action == AllianceAction.FORM
        states_seen = [e for e in events if e.to_status]
        _chain(states_seen)
        assert states_seen[-1].to_status == alliance.status
        end = alliance.dissolved_on or today
        for activity in alliance.activities.all():
            assert alliance.founded_on <= activity.occurred_on < end
            villages = {v.pk for v in activity.villages.all()}
            assert villages and villages <= {m.village_id for m in members}
    assert Alliance.objects.filter(spans_counties=True, region__code="330500").exists()
    assert JointActivity.objects.count() > 10


def test_demo_accounts_have_a_year_of_practice(demo_db):
    """The mentor and the apprentice have something to do today, through the real services."""
    from bangdai.assignments import services as assignment_services
    from bangdai.ledger import services as ledger_services
    from bangdai.teaching import services as teaching_services

    today = _today()
    mentor_user = User.objects.get(username="mentor")
    apprentice_user = User.objects.get(username="apprentice")
    own = Pairing.objects.get(apprentice__person=apprentice_user.person, status__in=RUNNING_STATES)
    for pairing in Pairing.objects.filter(
        Q(members__mentor__person=mentor_user.person) | Q(apprentice__person=apprentice_user.person),
        status__in=RUNNING_STATES,
    ):
        assert pairing.activities.count() >= 10 and hasattr(pairing, "plan") and pairing.assignments.exists()
    ledger = own.activities.all()
    months = {a.occurred_on.replace(day=1) for a in ledger}
    assert len(months) >= min(6, len(list(_full_months(own.start_date, today))))
    waiting_for_apprentice = ledger.filter(
        status=ActivityStatus.RECORDED, logged_by=mentor_user, confirm_due__gte=today
    )
    waiting_for_mentor = ledger.filter(
        status=ActivityStatus.RECORDED, logged_by=apprentice_user, confirm_due__gte=today
    )
    assert waiting_for_apprentice.count() >= 2 and waiting_for_mentor.exists()
    assert ledger.overdue(today).exists()
    assert ledger.filter(verification=Verification.QUESTIONABLE).exists()
    assert ledger.filter(verification=Verification.VERIFIED, verified_by__username="shangshu").exists()
    assert ledger.exclude(lng=None).count() > ledger.count() / 2
    assert own.reviews.filter(written_by=mentor_user).exists()
    plan = own.plan
    assert plan.status == PlanStatus.APPROVED and plan.revision == 2 and plan.approved_revision == 2
    assert [r.decision for r in plan.revisions.all()] == [Decision.RETURNED, Decision.APPROVED]
    assert plan.revisions.first().decided_by.username == "shangshu"
    to_submit = own.assignments.get(status=AssignmentStatus.ISSUED, due_on__gte=today)
    to_review = own.assignments.get(status=AssignmentStatus.SUBMITTED)
    assert own.assignments.filter(status=AssignmentStatus.REVIEWED).exists()
    today_class = OpenClass.objects.get(
        mentor__person=mentor_user.person, starts_at__date=today, enrolments__person=apprentice_user.person
    )
    assert OpenClass.objects.filter(
        starts_at__gt=today_class.ends_at, enrolments__person=apprentice_user.person
    ).exists()
    assert Enrolment.objects.filter(person=apprentice_user.person, attended_at__isnull=False).exists()
    assert Alliance.objects.get(lead_mentor__person=mentor_user.person).status == AllianceStatus.ACTIVE
    with transaction.atomic():
        entry = waiting_for_apprentice.first()
        done = ledger_services.confirm_activity(actor=apprentice_user, activity=entry)
        assert done.status == ActivityStatus.CONFIRMED
        assignment_services.submit(actor=apprentice_user, assignment=to_submit, text="已完成调研，报告如下。")
        assignment_services.review(actor=mentor_user, assignment=to_review, feedback="很好。", score=90)
        token = teaching_services.checkin_token(today_class)
        seat = teaching_services.check_in(
            actor=apprentice_user,
            open_class=today_class,
            token=token,
            now=today_class.starts_at + dt.timedelta(hours=2),
        )
        assert seat.check_in_method == "scan"
        transaction.set_rollback(True)
