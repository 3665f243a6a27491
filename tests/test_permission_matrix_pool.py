"""The permission matrix of the mentoring pool: programmes, mentors, apprentices, pairings, documents, rosters.

The machinery (personas, REACH, Call, Endpoint, the case generation and the runner) is
tests/test_permission_matrix.py's; this module declares POOL_COVERAGE over a "pool world" built once per module
through tests/pool.py and the services, and each case runs inside its own savepoint, rolled back after it.

What each persona may do, written from the issue and not from the app's scope code:
- organisation departments manage programmes, the mentor pool, apprentices and pairings in their subtree; a
  programme organised above a region reaches down into it (a county sees its city's), but only its organiser
  changes its rules;
- township committees recommend mentors (nominate, the unit recommendation step, the profile), register
  apprentices, pair them and record the 拜师帖 in their township, and manage those pairings; they do not vet,
  appoint, suspend, handle publicity objections, change a programme's rules or open programmes;
- auditors read everything in 湖州市 and change nothing (403 on every write);
- mentors and apprentices see their own mentor, apprentice and pairing records (and the programmes reaching
  them), confirm or decline their own proposals and may apply to be mentors; nothing else (404);
- roster imports are the organisation departments' and township committees' section (403 for everyone else);
  an upload is its uploader's and the organisation departments' over its programme, a background job its
  creator's and the organisation departments' over its region;
- out of scope is 404, including a record named in a form or a request body; anonymous callers go to the login
  page (pages) or are refused (API).
"""

import datetime as dt
import io
import itertools
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from bangdai.accounts.models import RoleAssignment, User
from bangdai.apprentices.models import Apprentice
from bangdai.jobs import services as job_services
from bangdai.jobs.models import Job
from bangdai.matching import services as matching_services
from bangdai.matching.choices import Criterion, RunStatus
from bangdai.matching.models import MatchPair, MatchRun, MatchUnpaired
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor, MentorEvent, PublicityObjection
from bangdai.pairings import services as pairing_services
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import ConflictDeclaration, Pairing, PairingEvent, PairingMentor
from bangdai.people.models import Person, PersonChange
from bangdai.programmes.models import Programme, ProgrammeRules
from bangdai.programmes.policy import Policy
from bangdai.rosters import services as roster_services
from bangdai.rosters.models import RosterUpload

from . import pool
from .conftest import make_world
from .factories import PersonFactory, UserFactory, region
from .test_permission_matrix import (
    DENIED,
    HIDDEN,
    INVALID,
    MARK,
    OK,
    Call,
    Case,
    Ctx,
    Endpoint,
    Outcome,
    _expected,
    build_cases,
    read_region,
    run_case,
    signed_in,
    within,
)

# ---------------------------------------------------------------------------------------------------------------
# The pool world, declared: every record by label, with the region and people that decide who sees it.

# Cadres beyond tests/conftest.py's world: label → (name, workplace, birth date).
NEW_PEOPLE = {
    "zheng": ("郑刘家", "330523205202", dt.date(1968, 5, 1)),  # a second mentor in 上墅乡
    "qian": ("钱横溪", "330523105201", dt.date(1969, 2, 1)),  # a mentor in 孝丰镇
    "sun": ("孙上柏", "330521002201", dt.date(1967, 8, 1)),  # a mentor in 德清县
    "chu": ("褚新苗", "330523205201", dt.date(1996, 3, 5)),  # apprentices awaiting a mentor
    "wei": ("卫新苗", "330523105201", dt.date(1997, 4, 6)),
    "jiang": ("蒋新苗", "330521002201", dt.date(1998, 5, 7)),
    "n_ss": ("沈待选", "330523205201", dt.date(1995, 6, 8)),  # cadres in no programme yet
    "n_xf": ("韩待选", "330523105201", dt.date(1995, 7, 9)),
    "n_b": ("杨待选", "330521002001", dt.date(1995, 8, 10)),
}
# Workplaces of every cadre the pool world uses (the world's own as in tests/conftest.py).
PERSON_REGION = {
    "mentor_person": "330523205202",
    "apprentice_person": "330523205201",
    "cadre_a": "330523205201",
    "cadre_a2": "330523105201",
    "cadre_b": "330521002201",
    **{label: code for label, (_name, code, _birth) in NEW_PEOPLE.items()},
}

# label → (organising region, organiser persona, name)
PROGRAMMES = {
    "prog_a": ("330523", "county_admin_a", "安吉县2027年导师帮带"),
    "prog_b": ("330521", "county_admin_b", "德清县2027年导师帮带"),
    "prog_city": ("330500", "province_admin", "湖州市2027年导师帮带"),
}
# label → (programme, cadre); appointed, with a certificate; the home region is the cadre's workplace.
MENTORS = {
    "m_ss": ("prog_a", "mentor_person"),
    "m_ss2": ("prog_a", "zheng"),
    "m_xf": ("prog_a", "qian"),
    "m_b": ("prog_b", "sun"),
    "m_city": ("prog_city", "mentor_person"),
}
# label → (programme, cadre)
APPRENTICES = {
    "a_ss": ("prog_a", "apprentice_person"),
    "a_city": ("prog_city", "apprentice_person"),
    "a_xf": ("prog_a", "cadre_a2"),
    "a_b": ("prog_b", "cadre_b"),
    "e_ss": ("prog_a", "chu"),
    "e_xf": ("prog_a", "wei"),
    "e_b": ("prog_b", "jiang"),
}
# label → (apprentice, mentor, state); the running ones have a signed 拜师帖.
PAIRINGS = {
    "p_prop": ("a_ss", "m_ss", PairingStatus.PROPOSED),  # the world's mentor and apprentice, to confirm
    "p_city": ("a_city", "m_city", PairingStatus.ACTIVE),  # the same two under the city's programme
    "p_xf": ("a_xf", "m_xf", PairingStatus.ACTIVE),  # 孝丰镇: county A's, not the township's
    "p_b": ("a_b", "m_b", PairingStatus.ACTIVE),  # 德清县
}
# label → (would-be mentor's cadre, would-be apprentice's cadre)
CONFLICTS = {"c_ss": ("mentor_person", "cadre_a"), "c_xf": ("qian", "n_xf"), "c_b": ("sun", "n_b")}

# The targets of each kind of call: one or two in scope and one out of scope for every persona class.
PROGS = ("prog_a", "prog_b", "prog_city")
MENTOR_TARGETS = ("m_ss", "m_xf", "m_b")
APPRENTICE_TARGETS = ("a_ss", "a_xf", "a_b")
PAIRING_TARGETS = ("p_prop", "p_xf", "p_b")
STEP_TARGETS = ("p_prop", "p_b")  # confirm and the steps of a running pairing
NEW_CADRES = ("n_ss", "n_xf", "n_b")  # nominated or registered into their county's programme
ELIGIBLE = ("e_ss", "e_xf", "e_b")  # proposed with a mentor of their township
LIST_FILTERS = (None, "all", "330521")  # pages: the home region, everything, county B
API_FILTERS = (None, "330523", "330521")
# A proposal's mentor, and a conflict's would-be mentor, for each apprentice target.
PROPOSED_MENTOR = {"e_ss": "m_ss2", "e_xf": "m_xf", "e_b": "m_b"}
CONFLICT_MENTOR = {"a_ss": "m_ss2", "a_xf": "m_xf", "a_b": "m_b"}
NEW_CONFLICTS = {"ss": ("zheng", "apprentice_person"), "xf": ("qian", "wei"), "b": ("sun", "jiang")}
REPAIR_MENTOR = "m_ss2"  # an appointed mentor of 上墅乡 with free places, for re-pairing in programme A

# Rosters (checked, one valid row each) and background jobs (finished, with a result file):
# label → (programme or region, uploader or creator)
ROSTERS = {"r_ta": ("prog_a", "township_a"), "r_b": ("prog_b", "county_admin_b")}
JOBS = {"j_ta": ("330523", "township_a"), "j_b": ("330521", "county_admin_b")}
ROSTER_VILLAGE = {"prog_a": "330523205201", "prog_b": "330521002201"}  # where a roster's row works

# Matching runs, solved at once: label → (programme, area, creator). Runs are the jurisdiction's business (the
# area's governing roles see them; mentors and apprentices do not); their editors adjust, accept and discard.
RUNS = {
    "run_a": ("prog_a", "330523", "county_admin_a"),  # 安吉县: e_ss and e_xf paired
    "run_ta": ("prog_a", "330523205", "township_a"),  # 上墅乡 alone: e_ss
    "run_b": ("prog_b", "330521", "county_admin_b"),  # 德清县: e_b
}
RUN_PAIRS = {"run_a": 2, "run_ta": 1, "run_b": 1}  # pairs each run proposes (a swap needs two)
COMPARE_WITH = {"run_a": "run_ta", "run_ta": "run_a", "run_b": None}  # another run of the same programme


def programme_of_cadre(label: str) -> str:
    return "prog_b" if within(PERSON_REGION[label], ["330521"]) else "prog_a"


# ---------------------------------------------------------------------------------------------------------------
# The context: the personas' world plus the pool world's records by label.


@dataclass
class PoolCtx(Ctx):
    pool: SimpleNamespace = None

    def person(self, label: str) -> Person:
        return getattr(self.world, label, None) or getattr(self.pool, label)

    def obj(self, label: str):
        return getattr(self.pool, label)

    def pk(self, label: str) -> int:
        return self.obj(label).pk


# ---------------------------------------------------------------------------------------------------------------
# Rules: who sees and who may change each record.


def governs(ctx, code) -> bool:
    """The persona's governing roles (org admin, township, auditor) reach the region."""
    return within(code, ctx.reach.cadres)


def edits(ctx, code) -> bool:
    return within(code, ctx.reach.edits)


def administers(ctx, code) -> bool:
    return within(code, ctx.reach.admin)


def sees_programme(ctx, label) -> bool:
    """Organised inside the persona's regions, or above them (a programme reaches down)."""
    code = PROGRAMMES[label][0]
    return any(within(code, [root]) or within(root, [code]) for root in ctx.reach.regions)


def mentor_region(label) -> str:
    return PERSON_REGION[MENTORS[label][1]]


def apprentice_region(label) -> str:
    return PERSON_REGION[APPRENTICES[label][1]]


def pairing_region(label) -> str:
    return apprentice_region(PAIRINGS[label][0])


def sees_mentor(ctx, label) -> bool:
    return governs(ctx, mentor_region(label)) or MENTORS[label][1] == ctx.reach.own


def sees_apprentice(ctx, label) -> bool:
    return governs(ctx, apprentice_region(label)) or APPRENTICES[label][1] == ctx.reach.own


def party(ctx, label) -> bool:
    apprentice, mentor, _state = PAIRINGS[label]
    return ctx.reach.own is not None and ctx.reach.own in (APPRENTICES[apprentice][1], MENTORS[mentor][1])


def sees_pairing(ctx, label) -> bool:
    return governs(ctx, pairing_region(label)) or party(ctx, label)


def sees_conflict(ctx, label) -> bool:
    """Declarations are the jurisdiction's business: not among a mentor's or an apprentice's own records."""
    return any(governs(ctx, PERSON_REGION[p]) for p in CONFLICTS[label])


def sees_cadre(ctx, label) -> bool:
    return governs(ctx, PERSON_REGION[label]) or ctx.reach.own == label


def read_programme(ctx, label) -> Outcome:
    return OK if sees_programme(ctx, label) else HIDDEN


def manage_programme(ctx, label) -> Outcome:
    if not sees_programme(ctx, label):
        return HIDDEN
    return OK if administers(ctx, PROGRAMMES[label][0]) else DENIED


def create_programme(ctx, code) -> Outcome:
    if not ctx.reach.admin:
        return DENIED
    return OK if administers(ctx, code) else HIDDEN


def org_admins_only(ctx, target) -> Outcome:
    return OK if ctx.reach.admin else DENIED


def editors_only(ctx, target) -> Outcome:
    return OK if ctx.reach.edits else DENIED


def read_mentor(ctx, label) -> Outcome:
    return OK if sees_mentor(ctx, label) else HIDDEN


def edit_mentor(ctx, label) -> Outcome:
    if not sees_mentor(ctx, label):
        return HIDDEN
    return OK if edits(ctx, mentor_region(label)) else DENIED


def mentor_step(township_too: bool):
    """A workflow step: the unit recommendation is the township's too; every later step the department's."""

    def rule(ctx, label) -> Outcome:
        if not sees_mentor(ctx, label):
            return HIDDEN
        allowed = edits if township_too else administers
        return OK if allowed(ctx, mentor_region(label)) else DENIED

    rule.__name__ = "recommend" if township_too else "department_step"
    return rule


def nominate(ctx, label) -> Outcome:
    """An organisation's recommendation of a cadre into their county's programme (pages)."""
    if not ctx.reach.edits:
        return DENIED
    if not (sees_cadre(ctx, label) and sees_programme(ctx, programme_of_cadre(label))):
        return HIDDEN
    return OK if edits(ctx, PERSON_REGION[label]) else DENIED


def nominate_api(ctx, label) -> Outcome:
    # The API's create is the cadres' self-nomination too: a personal account naming a cadre it cannot see is
    # refused as out of scope.
    if not ctx.reach.edits and ctx.reach.own and not sees_cadre(ctx, label):
        return HIDDEN
    return nominate(ctx, label)


def self_nominate(ctx, label) -> Outcome:
    own = ctx.reach.own
    if own is None:
        return DENIED
    if not sees_programme(ctx, label):
        return HIDDEN
    if any(m == (label, own) for m in MENTORS.values()):
        return INVALID  # already in the programme's pool
    return OK


def self_nominate_api(ctx, label) -> Outcome:
    # Personas without a cadre of their own name the world's mentor: somebody else's application is refused
    # (403) by those who may use the endpoint at all and see what the request names; the rest is out of scope.
    if ctx.reach.own is None:
        if ctx.reach.edits and not (sees_programme(ctx, label) and sees_cadre(ctx, "mentor_person")):
            return HIDDEN
        return DENIED
    return self_nominate(ctx, label)


def register(ctx, label) -> Outcome:
    return nominate(ctx, label)


def read_apprentice(ctx, label) -> Outcome:
    return OK if sees_apprentice(ctx, label) else HIDDEN


def edit_apprentice(ctx, label) -> Outcome:
    if not sees_apprentice(ctx, label):
        return HIDDEN
    return OK if edits(ctx, apprentice_region(label)) else DENIED


def propose(ctx, label) -> Outcome:
    if not ctx.reach.edits:
        return DENIED
    programme = APPRENTICES[label][0]
    if not (
        sees_programme(ctx, programme)
        and sees_apprentice(ctx, label)
        and sees_mentor(ctx, PROPOSED_MENTOR[label])
    ):
        return HIDDEN
    return OK if edits(ctx, apprentice_region(label)) else DENIED


def read_pairing(ctx, label) -> Outcome:
    return OK if sees_pairing(ctx, label) else HIDDEN


def confirm(ctx, label) -> Outcome:
    if not sees_pairing(ctx, label):
        return HIDDEN
    return OK if party(ctx, label) else DENIED


def decline(ctx, label) -> Outcome:
    if not sees_pairing(ctx, label):
        return HIDDEN
    return OK if party(ctx, label) or edits(ctx, pairing_region(label)) else DENIED


def manage_pairing(ctx, label) -> Outcome:
    if not sees_pairing(ctx, label):
        return HIDDEN
    return OK if edits(ctx, pairing_region(label)) else DENIED


def repair(ctx, label) -> Outcome:
    outcome = manage_pairing(ctx, label)
    if outcome is OK and not sees_mentor(ctx, REPAIR_MENTOR):
        return HIDDEN
    programme = APPRENTICES[PAIRINGS[label][0]][0]
    if outcome is OK and MENTORS[REPAIR_MENTOR][0] != programme:
        return INVALID  # a mentor of another programme's pool: refused, nothing ended
    return outcome


def declare_conflict_page(ctx, label) -> Outcome:
    if not sees_apprentice(ctx, label):
        return HIDDEN
    return OK if edits(ctx, apprentice_region(label)) else DENIED


def declare_conflict_api(ctx, label) -> Outcome:
    mentor_person, apprentice_person = NEW_CONFLICTS[label]
    if not ctx.reach.edits:
        return DENIED
    if not (sees_cadre(ctx, mentor_person) and sees_cadre(ctx, apprentice_person)):
        return HIDDEN
    return OK if edits(ctx, PERSON_REGION[apprentice_person]) else DENIED


def read_conflict(ctx, label) -> Outcome:
    return OK if sees_conflict(ctx, label) else HIDDEN


def pledge(ctx, label) -> Outcome:
    signed = PAIRINGS[label][2] != PairingStatus.PROPOSED
    return OK if signed and sees_pairing(ctx, label) else HIDDEN


def programme_certificates(ctx, label) -> Outcome:
    """A programme the persona sees, with at least one appointed mentor it sees (every mentor has a 聘书)."""
    if not sees_programme(ctx, label):
        return HIDDEN
    mentors = [m for m, (prog, _cadre) in MENTORS.items() if prog == label]
    return OK if any(sees_mentor(ctx, m) for m in mentors) else HIDDEN


def importers_only(rule):
    """Rosters are the organisation departments' and township committees' section: everyone else gets 403."""

    def checked(ctx, target) -> Outcome:
        return rule(ctx, target) if ctx.reach.edits else DENIED

    checked.__name__ = rule.__name__
    return checked


@importers_only
def upload_roster(ctx, label) -> Outcome:
    return OK if sees_programme(ctx, label) else HIDDEN


@importers_only
def read_roster(ctx, label) -> Outcome:
    """A roster is its uploader's, and the organisation departments' over the programme's region."""
    programme, uploader = ROSTERS[label]
    mine = uploader == ctx.persona
    return OK if mine or administers(ctx, PROGRAMMES[programme][0]) else HIDDEN


def read_job(ctx, label) -> Outcome:
    """A job is its creator's, and the organisation departments' over the job's region."""
    code, creator = JOBS[label]
    return OK if creator == ctx.persona or administers(ctx, code) else HIDDEN


def sees_run(ctx, label) -> bool:
    return governs(ctx, RUNS[label][1])


def read_run(ctx, label) -> Outcome:
    return OK if sees_run(ctx, label) else HIDDEN


def change_run(ctx, label) -> Outcome:
    if not sees_run(ctx, label):
        return HIDDEN
    return OK if edits(ctx, RUNS[label][1]) else DENIED


def swap_run(ctx, label) -> Outcome:
    outcome = change_run(ctx, label)
    return INVALID if outcome is OK and RUN_PAIRS[label] < 2 else outcome


def compare_runs(ctx, label) -> Outcome:
    """Both runs must be in scope: the one in the URL and the one named in the query."""
    other = COMPARE_WITH[label]
    return OK if sees_run(ctx, label) and (other is None or sees_run(ctx, other)) else HIDDEN


def match_area(ctx, label) -> str:
    """The area a persona starts a run of a programme for: the programme's region, or the part it edits."""
    code = PROGRAMMES[label][0]
    if ctx.reach is None or not ctx.reach.edits or edits(ctx, code):
        return code
    return ctx.reach.edits[0]


def start_match(ctx, label) -> Outcome:
    if not ctx.reach.edits:
        return DENIED
    return OK if sees_programme(ctx, label) else HIDDEN


def list_filter(ctx, code) -> Outcome:
    return read_region(ctx, None if code == "all" else code)


# ---------------------------------------------------------------------------------------------------------------
# Expected list contents and checks of allowed calls.


def filter_region(ctx, code, *, home: bool):
    """The region a list is narrowed to: the one asked for, or the persona's home region on pages."""
    if code == "all":
        return None
    if code is None:
        return ctx.reach.regions[0] if home else None
    return code


def expected_labels(ctx, kind: str, code, *, home: bool) -> set[str]:
    region_code = filter_region(ctx, code, home=home)
    if kind == "mentors":
        visible = {m: mentor_region(m) for m in MENTORS if sees_mentor(ctx, m)}
    elif kind == "apprentices":
        visible = {a: apprentice_region(a) for a in APPRENTICES if sees_apprentice(ctx, a)}
    elif kind == "pairings":
        visible = {p: pairing_region(p) for p in PAIRINGS if sees_pairing(ctx, p)}
    elif kind == "conflicts":
        return {c for c in CONFLICTS if sees_conflict(ctx, c)}
    else:  # programmes: pages list those reaching the region (organised there, above or inside it)
        visible = {p: PROGRAMMES[p][0] for p in PROGRAMMES if sees_programme(ctx, p)}
        if region_code is None:
            return set(visible)
        if home:
            return {p for p, c in visible.items() if within(c, [region_code]) or within(region_code, [c])}
    return {label for label, c in visible.items() if region_code is None or within(c, [region_code])}


def lists_exactly(kind: str):
    def check(ctx, code, response):
        shown = {obj.pk for obj in response.context["table"].data.data}
        assert shown == {ctx.pk(label) for label in expected_labels(ctx, kind, code, home=True)}

    return check


def display_names(ctx, kind: str, labels) -> set[str]:
    if kind == "programmes":
        return {PROGRAMMES[p][2] for p in labels}
    if kind == "mentors":
        return {ctx.person(MENTORS[m][1]).name for m in labels}
    if kind == "apprentices":
        return {ctx.person(APPRENTICES[a][1]).name for a in labels}
    names = set()  # pairings: the apprentice and the mentors
    for label in labels:
        apprentice, mentor, _state = PAIRINGS[label]
        names |= {ctx.person(APPRENTICES[apprentice][1]).name, ctx.person(MENTORS[mentor][1]).name}
    return names


ALL_LABELS = {"programmes": PROGRAMMES, "mentors": MENTORS, "apprentices": APPRENTICES, "pairings": PAIRINGS}


def exports_exactly(kind: str):
    def check(ctx, code, response):
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        shown = {name for name in display_names(ctx, kind, ALL_LABELS[kind]) if name in body}
        assert shown == display_names(ctx, kind, expected_labels(ctx, kind, code, home=True))

    return check


def api_lists_exactly(kind: str):
    def check(ctx, code, response):
        shown = {row["id"] for row in response.json()["results"]}
        assert shown == {ctx.pk(label) for label in expected_labels(ctx, kind, code, home=False)}

    return check


def shows_cadre_masked(kind: str):
    def check(ctx, label, response):
        person = ctx.person({"mentors": MENTORS, "apprentices": APPRENTICES}[kind][label][1])
        body = response.content.decode()
        assert person.name in body and person.id_number not in body and person.phone not in body

    return check


def api_shows(ctx, label, response):
    assert response.json()["id"] == ctx.pk(label)


def is_image(ctx, label, response):
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def is_pdf(ctx, label, response):
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def programme_created(ctx, code, response):
    programme = Programme.objects.select_related("region").get(name=MARK)
    assert programme.region.code == code and programme.created_by_id == ctx.actor.pk
    assert ProgrammeRules.objects.filter(programme=programme, version=1).exists()


def rules_written(ctx, label, response):
    rules = ProgrammeRules.objects.get(programme_id=ctx.pk(label), note=MARK)
    assert rules.version == 2 and rules.created_by_id == ctx.actor.pk and rules.data["term_months"] == 18


def nominated(*, self_nomination=False):
    def check(ctx, label, response):
        if self_nomination:
            person, programme = ctx.person(ctx.reach.own), ctx.obj(label)
        else:
            person, programme = ctx.person(label), ctx.obj(programme_of_cadre(label))
        mentor = Mentor.objects.get(person=person, programme=programme)
        assert mentor.status == MentorStatus.SUBMITTED
        assert mentor.nominated_via == ("self" if self_nomination else "org")
        assert MentorEvent.objects.filter(mentor=mentor, action="nominate", actor=ctx.actor).exists()

    return check


def mentor_profile_changed(ctx, label, response):
    mentor = Mentor.objects.get(pk=ctx.pk(label))
    assert mentor.specialties == [MARK]
    assert MentorEvent.objects.filter(mentor=mentor, action="edit", actor=ctx.actor).exists()


def mentor_moved(action: str, status: str):
    def check(ctx, label, response):
        assert Mentor.objects.get(pk=ctx.pk(label)).status == status
        assert MentorEvent.objects.filter(mentor_id=ctx.pk(label), action=action, actor=ctx.actor).exists()

    return check


def objection_recorded(ctx, label, response):
    assert PublicityObjection.objects.filter(
        mentor_id=ctx.pk(label), content=MARK, recorded_by=ctx.actor
    ).exists()


def objection_resolved(ctx, label, response):
    objection = PublicityObjection.objects.filter(mentor_id=ctx.pk(label)).latest("pk")
    assert objection.resolution == MARK and objection.resolved_at is not None


def registered(ctx, label, response):
    apprentice = Apprentice.objects.get(person=ctx.person(label))
    assert apprentice.programme_id == ctx.pk(programme_of_cadre(label)) and apprentice.note == MARK


def apprentice_changed(ctx, label, response):
    assert Apprentice.objects.get(pk=ctx.pk(label)).note == MARK


def proposed(ctx, label, response):
    pairing = Pairing.objects.get(apprentice_id=ctx.pk(label))
    assert pairing.status == PairingStatus.PROPOSED and pairing.proposed_by_id == ctx.actor.pk
    assert list(pairing.members.values_list("mentor_id", flat=True)) == [ctx.pk(PROPOSED_MENTOR[label])]


def pairing_moved(action: str, status: str):
    def check(ctx, label, response):
        assert Pairing.objects.get(pk=ctx.pk(label)).status == status
        assert PairingEvent.objects.filter(pairing_id=ctx.pk(label), action=action, actor=ctx.actor).exists()

    return check


def confirmed_by_actor(ctx, label, response):
    pairing = Pairing.objects.get(pk=ctx.pk(label))
    if ctx.reach.own == APPRENTICES[PAIRINGS[label][0]][1]:
        assert pairing.apprentice_confirmed_at is not None
    else:
        assert pairing.members.get(mentor__person__pk=ctx.person(ctx.reach.own).pk).confirmed_at is not None
    assert PairingEvent.objects.filter(pairing=pairing, action="confirm", actor=ctx.actor).exists()


def repaired(ctx, label, response):
    assert Pairing.objects.get(pk=ctx.pk(label)).status == PairingStatus.TERMINATED
    new = Pairing.objects.get(replaces_id=ctx.pk(label))
    assert list(new.members.values_list("mentor_id", flat=True)) == [ctx.pk(REPAIR_MENTOR)]


def conflict_declared(ctx, label, response):
    assert ConflictDeclaration.objects.filter(note=MARK, declared_by=ctx.actor).count() == 1


def workspace_offers_own_confirmation(ctx, target, response):
    url = reverse("pairings:action", args=[ctx.pk("p_prop"), "confirm"])
    assert (url in response.content.decode()) == party(ctx, "p_prop")


def lookup_only_editable(ctx, label, response):
    ids = {int(row["value"]) for row in response.json()["results"]}
    editable = {ctx.person(p).pk for p in PERSON_REGION if edits(ctx, PERSON_REGION[p])}
    assert ids <= editable
    assert (ctx.person(label).pk in ids) == edits(ctx, PERSON_REGION[label])


def roster_checked(ctx, label, response):
    roster = RosterUpload.objects.get(uploaded_by=ctx.actor, programme_id=ctx.pk(label), original_name=MARK)
    assert roster.status == "checked" and roster.row_count == 1
    assert response["Location"] == reverse("rosters:detail", args=[roster.pk])
    assert not Mentor.objects.filter(person__name=ROSTER_NAME).exists()  # a preview writes nothing


def roster_imported(ctx, label, response):
    assert RosterUpload.objects.get(pk=ctx.pk(label)).status == "imported"
    mentor = Mentor.objects.get(person__name=ROSTER_NAME)
    assert mentor.programme_id == ctx.pk(ROSTERS[label][0])
    assert MentorEvent.objects.filter(mentor=mentor, actor=ctx.actor, action="nominate").exists()


def is_xlsx(ctx, label, response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:2] == b"PK"


def api_roster_checked(ctx, label, response):
    body = response.json()
    roster = RosterUpload.objects.get(uploaded_by=ctx.actor, programme_id=ctx.pk(label), original_name=MARK)
    assert body["roster"]["id"] == roster.pk and body["roster"]["status"] == "checked" and body["job"] is None
    assert body["roster"]["report"]["counts"]["created"] == 1 and body["roster"]["report"]["error_rows"] == []
    assert not Mentor.objects.filter(person__name=ROSTER_NAME).exists()  # a preview writes nothing


def api_rosters_listed_exactly(ctx, target, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(r) for r in ROSTERS if read_roster(ctx, r) is OK}


def api_jobs_listed_exactly(ctx, target, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(j) for j in JOBS if read_job(ctx, j) is OK}


def jobs_listed_exactly(ctx, target, response):
    shown = {job.pk for job in response.context["object_list"]}
    assert shown == {ctx.pk(j) for j in JOBS if read_job(ctx, j) is OK}


def runs_listed_exactly(ctx, code, response):
    region_code = filter_region(ctx, code, home=True)
    expected = {
        r for r in RUNS if sees_run(ctx, r) and (region_code is None or within(RUNS[r][1], [region_code]))
    }
    assert {run.pk for run in response.context["table"].data.data} == {ctx.pk(r) for r in expected}


def runs_exported_exactly(ctx, code, response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    region_code = filter_region(ctx, code, home=True)
    shown = {r for r in RUNS if f"{RUNS[r][1]}," in body}
    assert shown == {
        r for r in RUNS if sees_run(ctx, r) and (region_code is None or within(RUNS[r][1], [region_code]))
    }


def shows_run(ctx, label, response):
    body = response.content.decode()
    run = ctx.obj(label)
    assert f"#{run.number}" in body and 'class="run-map"' in body
    assert all(name in body for name in run.pairs.values_list("apprentice__person__name", flat=True))


def match_started(ctx, label, response):
    run = MatchRun.objects.select_related("region", "job").get(
        created_by=ctx.actor, params__weights__distance=7
    )
    assert run.programme_id == ctx.pk(label) and run.region.code == match_area(ctx, label)
    assert run.status == RunStatus.QUEUED and run.job.created_by == ctx.actor
    assert response["Location"] == reverse("matching:detail", args=[run.pk])


def first_pairs(ctx, label, n=2) -> list[MatchPair]:
    return list(MatchPair.objects.filter(run_id=ctx.pk(label)).order_by("pk")[:n])


def child_run(ctx, label, response) -> MatchRun:
    child = MatchRun.objects.get(parent_id=ctx.pk(label), created_by=ctx.actor)
    assert child.status == RunStatus.QUEUED and response["Location"] == reverse(
        "matching:detail", args=[child.pk]
    )
    return child


def pinned_in_child(ctx, label, response):
    [pair] = first_pairs(ctx, label, 1)
    assert child_run(ctx, label, response).params["pinned"] == [[pair.apprentice_id, pair.mentor_id]]


def swapped_in_child(ctx, label, response):
    first, second = first_pairs(ctx, label)
    expected = sorted([[first.apprentice_id, second.mentor_id], [second.apprentice_id, first.mentor_id]])
    assert child_run(ctx, label, response).params["pinned"] == expected


def run_accepted(ctx, label, response):
    run = MatchRun.objects.get(pk=ctx.pk(label))
    assert run.status == RunStatus.ACCEPTED and run.decided_by == ctx.actor
    for pair in run.pairs.all():
        pairing = Pairing.objects.get(apprentice_id=pair.apprentice_id, status=PairingStatus.PROPOSED)
        assert pairing.proposed_by == ctx.actor and pairing.members.get().mentor_id == pair.mentor_id


def run_discarded(ctx, label, response):
    run = MatchRun.objects.get(pk=ctx.pk(label))
    assert run.status == RunStatus.DISCARDED and run.decided_by == ctx.actor
    assert not Pairing.objects.filter(apprentice_id__in=run.pairs.values("apprentice_id"), status="proposed")


def api_runs_listed_exactly(ctx, target, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(r) for r in RUNS if sees_run(ctx, r)}


def api_match_started(ctx, label, response):
    run = MatchRun.objects.select_related("region", "job").get(
        created_by=ctx.actor, params__weights__distance=7
    )
    assert response.json()["id"] == run.pk and run.programme_id == ctx.pk(label)
    assert run.region.code == match_area(ctx, label) and run.status == RunStatus.QUEUED and run.job


def api_pairs_listed(ctx, label, response):
    rows = response.json()["results"]
    assert {r["apprentice"] for r in rows} == set(
        MatchPair.objects.filter(run_id=ctx.pk(label)).values_list("apprentice_id", flat=True)
    )
    assert all(r["breakdown"] and r["mentor_name"] for r in rows)


def api_child_pinned(ctx, label, response):
    [pair] = first_pairs(ctx, label, 1)
    child = MatchRun.objects.get(parent_id=ctx.pk(label), created_by=ctx.actor)
    assert response.json()["id"] == child.pk and child.params["pinned"] == [
        [pair.apprentice_id, pair.mentor_id]
    ]


# Preparations (before the snapshot): put a record in the state the call needs.


def mentor_in(status: str):
    def prepare(ctx, label):
        Mentor.objects.filter(pk=ctx.pk(label)).update(status=status)

    return prepare


def with_open_objection(ctx, label):
    Mentor.objects.filter(pk=ctx.pk(label)).update(status=MentorStatus.PUBLICITY)
    PublicityObjection.objects.create(mentor_id=ctx.pk(label), content="群众反映")


def objection_kwargs(key: str):
    def kwargs(ctx, label):
        latest = PublicityObjection.objects.filter(mentor_id=ctx.pk(label)).latest("pk")
        return {"pk": ctx.pk(label), key: latest.pk}

    return kwargs


def pairing_in(status: str):
    def prepare(ctx, label):
        now = timezone.now()
        pk = ctx.pk(label)
        confirmed = None if status == PairingStatus.PROPOSED else now
        changes = {"status": status, "apprentice_confirmed_at": confirmed}
        if status in (PairingStatus.ACTIVE, PairingStatus.EXTENDED):
            start = timezone.localdate() - dt.timedelta(days=30)
            changes.update(start_date=start, term_months=12, pledge_signed_on=start)
        Pairing.objects.filter(pk=pk).update(**changes)
        PairingMentor.objects.filter(pairing_id=pk).update(confirmed_at=confirmed)

    return prepare


# Request bodies.

POLICY = Policy()


def rule_fields(term_months=18) -> dict:
    data = {f"capacity_{tier}": value for tier, value in POLICY.capacity_by_tier.items()}
    data.update({k: v for k, v in POLICY.as_data().items() if k != "capacity_by_tier"})
    return {**data, "term_months": term_months}


def new_programme_form(ctx, code) -> dict:
    return {"name": MARK, "region": code, "year": 2027, "description": "", **rule_fields(12)}


def nominate_form(ctx, label) -> dict:
    return {
        "programme": ctx.pk(programme_of_cadre(label)),
        "person": ctx.person(label).pk,
        "tier": "village",
        "qianming_batch": "",
        "specialties": "",
        "capacity": "",
        "recommending_unit": MARK,
        "nomination_statement": MARK,
    }


def nominate_body(ctx, label) -> dict:
    return {
        "programme": ctx.pk(programme_of_cadre(label)),
        "person": ctx.person(label).pk,
        "tier": "village",
        "recommending_unit": MARK,
    }


def self_nominate_body(ctx, label) -> dict:
    own = (ctx.reach.own if ctx.reach else None) or "mentor_person"
    return {
        "programme": ctx.pk(label),
        "person": ctx.person(own).pk,
        "tier": "village",
        "self_nomination": True,
    }


def profile_form(ctx, label) -> dict:
    return {"tier": "village", "qianming_batch": "", "specialties": MARK, "capacity": 3}


def register_form(ctx, label, *, api=False) -> dict:
    data = {
        "programme": ctx.pk(programme_of_cadre(label)),
        "person": ctx.person(label).pk,
        "categories": ["new_village_secretary"],
        "note": MARK,
    }
    return data if api else {**data, "needs": []}


def apprentice_form(ctx, label) -> dict:
    return {"categories": ["new_village_secretary"], "three_gates": "on", "note": MARK}


def propose_body(ctx, label, *, api=False) -> dict:
    mentor = ctx.pk(PROPOSED_MENTOR[label])
    return {"apprentice": ctx.pk(label), "mentors": [mentor] if api else mentor, "note": MARK}


def conflict_form(ctx, label) -> dict:
    return {"mentor": ctx.pk(CONFLICT_MENTOR[label]), "kind": "other", "note": MARK}


def conflict_body(ctx, label) -> dict:
    mentor_person, apprentice_person = NEW_CONFLICTS[label]
    return {
        "mentor_person": ctx.person(mentor_person).pk,
        "apprentice_person": ctx.person(apprentice_person).pk,
        "kind": "other",
        "note": MARK,
    }


def sign_body(prefix=""):
    def data(ctx, label) -> dict:
        body = {"signed_on": timezone.localdate().isoformat(), "ceremony_place": MARK}
        body["witnesses"] = "乡党委书记" if prefix else ["乡党委书记"]
        return {f"{prefix}{k}": v for k, v in body.items()}

    return data


def fields(prefix="", **values):
    return lambda ctx, label: {f"{prefix}{k}": v for k, v in values.items()}


def repair_body(*, api=False):
    def data(ctx, label) -> dict:
        mentor = ctx.pk(REPAIR_MENTOR)
        if api:
            return {"mentors": [mentor], "reason": MARK}
        return {"repair-mentors": mentor, "repair-reason": MARK}

    return data


ROSTER_NAME = "名册新人"
ROSTER_HEADERS = [
    "序号", "姓名", "身份证号", "性别", "出生日期", "手机", "工作单位所在村", "职务",
    "政治面貌", "学历", "干部类别", "参加工作时间", "导师层级", "擅长领域", "帮带容量",
]  # fmt: skip


def roster_xlsx(village: str) -> bytes:
    """A mentor roster of one valid row, under a merged title row as departments send them."""
    from openpyxl import Workbook
    from stdnum.cn import ric

    birth = dt.date(1966, 4, 12)
    body = f"{village[:6]}{birth:%Y%m%d}013"
    row = [1, ROSTER_NAME, body + ric.calc_check_digit(body + "0"), "男", "1966.4.12", "13955550123", village,
           "党组织书记", "中共党员", "大学本科", "村干部", "1990.7.1", "村级", "富民强村", 2]  # fmt: skip
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2027年导师名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ROSTER_HEADERS))
    sheet.append(ROSTER_HEADERS)
    sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_form(ctx, label) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    village = ROSTER_VILLAGE.get(label, "330523205201")
    return {
        "programme": ctx.pk(label),
        "kind": "mentors",
        "file": SimpleUploadedFile(MARK, roster_xlsx(village), content_type=XLSX_TYPE),
    }


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def region_query(key="region"):
    def query(ctx, code):
        if code is None:
            return {}
        return {key: "" if code == "all" else code}

    return query


def export_query(ctx, code):
    return {"export": "csv", **region_query()(ctx, code)}


def pk_kw(ctx, label):
    return {"pk": ctx.pk(label)}


# ---------------------------------------------------------------------------------------------------------------
# POOL_COVERAGE: every URL name of the pool → its targets, how to build the URL, and the calls to make.


def list_calls(kind: str) -> tuple[Call, ...]:
    return (
        Call("GET", list_filter, query=region_query(), check=lists_exactly(kind)),
        Call(
            "GET",
            list_filter,
            label="GET-export",
            query=export_query,
            check=exports_exactly(kind),
            targets=("all",),
        ),
    )


def pairing_action(action: str, rule, *, state=None, data=None, check=None, targets=PAIRING_TARGETS):
    return Call(
        "POST",
        rule,
        ok=302,
        label=f"POST-{action}",
        url_kwargs=(("action", action),),
        prepare=pairing_in(state) if state else None,
        data=data,
        check=check,
        targets=targets,
    )


def api_pairing_action(
    action: str, rule, *, state=None, data=None, check=None, ok=200, targets=PAIRING_TARGETS
):
    return Endpoint(
        api=True,
        targets=targets,
        kwargs=pk_kw,
        calls=(
            Call("POST", rule, ok=ok, prepare=pairing_in(state) if state else None, data=data, check=check),
        ),
    )


P = PairingStatus
MENTOR_STEPS = (
    ("recommend", True, MentorStatus.SUBMITTED, MentorStatus.UNIT_RECOMMENDED),
    ("suspend", False, MentorStatus.ACTIVE, MentorStatus.SUSPENDED),
)


def mentor_step_calls(*, api: bool) -> tuple[Call, ...]:
    return tuple(
        Call(
            "POST",
            mentor_step(township_too),
            ok=200 if api else 302,
            label=f"POST-{action}",
            prepare=mentor_in(before),
            check=mentor_moved(action, after),
            data=(lambda a: lambda ctx, m: {"action": a, "reason": MARK})(action)
            if api
            else fields(reason=MARK),
            url_kwargs=() if api else (("action", action),),
        )
        for action, township_too, before, after in MENTOR_STEPS
    )


POOL_COVERAGE: dict[str, Endpoint] = {
    # People: the cadre search of the nomination and registration forms
    "people:lookup": Endpoint(
        targets=("cadre_a", "cadre_a2", "cadre_b"),
        calls=(
            Call(
                "GET", signed_in, query=lambda ctx, c: {"q": ctx.person(c).name}, check=lookup_only_editable
            ),
        ),
    ),
    # Programmes: pages
    "programmes:list": Endpoint(
        targets=(None, "330523", "330521"),
        calls=(
            Call("GET", read_region, query=region_query(), check=lists_exactly("programmes")),
            Call(
                "GET",
                read_region,
                label="GET-export",
                query=export_query,
                check=exports_exactly("programmes"),
                targets=(None,),
            ),
        ),
    ),
    "programmes:create": Endpoint(
        targets=("330523", "330521"),
        calls=(
            Call("GET", org_admins_only, targets=(None,)),
            Call("POST", create_programme, ok=302, data=new_programme_form, check=programme_created),
        ),
    ),
    "programmes:detail": Endpoint(targets=PROGS, kwargs=pk_kw, calls=(Call("GET", read_programme),)),
    "programmes:rules": Endpoint(
        targets=PROGS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read_programme),
            Call(
                "POST",
                manage_programme,
                ok=302,
                data=lambda ctx, p: {**rule_fields(18), "note": MARK},
                check=rules_written,
            ),
        ),
    ),
    # Programmes: API
    "api:programme-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_lists_exactly("programmes")),
            Call(
                "POST",
                create_programme,
                ok=201,
                targets=("330523", "330521"),
                data=lambda ctx, code: {"name": MARK, "region": code, "year": 2027},
                check=programme_created,
            ),
        ),
    ),
    "api:programme-detail": Endpoint(
        api=True, targets=PROGS, kwargs=pk_kw, calls=(Call("GET", read_programme, check=api_shows),)
    ),
    "api:programme-rules": Endpoint(
        api=True,
        targets=PROGS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read_programme),
            Call(
                "POST",
                manage_programme,
                ok=201,
                data=lambda ctx, p: {"data": {"term_months": 18}, "note": MARK},
                check=rules_written,
            ),
        ),
    ),
    "api:programme-summary": Endpoint(
        api=True, targets=PROGS, kwargs=pk_kw, calls=(Call("GET", read_programme),)
    ),
    # The mentor pool: pages
    "mentors:list": Endpoint(targets=LIST_FILTERS, calls=list_calls("mentors")),
    "mentors:nominate": Endpoint(
        targets=NEW_CADRES,
        calls=(
            Call("GET", editors_only, targets=(None,)),
            Call("POST", nominate, ok=302, data=nominate_form, check=nominated()),
        ),
    ),
    "mentors:self_nominate": Endpoint(
        targets=PROGS,
        calls=(
            Call("GET", lambda ctx, t: OK if ctx.reach.own else DENIED, targets=(None,)),
            Call(
                "POST",
                self_nominate,
                ok=302,
                data=lambda ctx, p: {"programme": ctx.pk(p), "tier": "village", "nomination_statement": MARK},
                check=nominated(self_nomination=True),
            ),
        ),
    ),
    "mentors:detail": Endpoint(
        targets=MENTOR_TARGETS,
        kwargs=pk_kw,
        calls=(Call("GET", read_mentor, check=shows_cadre_masked("mentors")),),
    ),
    "mentors:edit": Endpoint(
        targets=MENTOR_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", edit_mentor),
            Call("POST", edit_mentor, ok=302, data=profile_form, check=mentor_profile_changed),
        ),
    ),
    "mentors:transition": Endpoint(targets=MENTOR_TARGETS, kwargs=pk_kw, calls=mentor_step_calls(api=False)),
    "mentors:record_objection": Endpoint(
        targets=MENTOR_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                mentor_step(False),
                ok=302,
                prepare=mentor_in(MentorStatus.PUBLICITY),
                data=fields(content=MARK, raised_by=""),
                check=objection_recorded,
            ),
        ),
    ),
    "mentors:resolve_objection": Endpoint(
        targets=MENTOR_TARGETS,
        kwargs=objection_kwargs("objection_pk"),
        calls=(
            Call(
                "POST",
                mentor_step(False),
                ok=302,
                prepare=with_open_objection,
                data=fields(resolution=MARK),
                check=objection_resolved,
            ),
        ),
    ),
    # The mentor pool: API
    "api:mentor-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_lists_exactly("mentors")),
            Call("POST", nominate_api, ok=201, targets=NEW_CADRES, data=nominate_body, check=nominated()),
            Call(
                "POST",
                self_nominate_api,
                ok=201,
                label="POST-self",
                targets=PROGS,
                data=self_nominate_body,
                check=nominated(self_nomination=True),
            ),
        ),
    ),
    "api:mentor-detail": Endpoint(
        api=True,
        targets=MENTOR_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read_mentor, check=api_shows),
            Call(
                "PATCH",
                edit_mentor,
                data=lambda ctx, m: {"specialties": [MARK]},
                check=mentor_profile_changed,
            ),
        ),
    ),
    "api:mentor-transition": Endpoint(
        api=True, targets=MENTOR_TARGETS, kwargs=pk_kw, calls=mentor_step_calls(api=True)
    ),
    "api:mentor-objections": Endpoint(
        api=True,
        targets=MENTOR_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                mentor_step(False),
                ok=201,
                prepare=mentor_in(MentorStatus.PUBLICITY),
                data=fields(content=MARK),
                check=objection_recorded,
            ),
        ),
    ),
    "api:mentor-objection-resolve": Endpoint(
        api=True,
        targets=MENTOR_TARGETS,
        kwargs=objection_kwargs("objection_id"),
        calls=(
            Call(
                "POST",
                mentor_step(False),
                prepare=with_open_objection,
                data=fields(resolution=MARK),
                check=objection_resolved,
            ),
        ),
    ),
    # Apprentices: pages
    "apprentices:list": Endpoint(targets=LIST_FILTERS, calls=list_calls("apprentices")),
    "apprentices:create": Endpoint(
        targets=NEW_CADRES,
        calls=(
            Call("GET", editors_only, targets=(None,)),
            Call("POST", register, ok=302, data=register_form, check=registered),
        ),
    ),
    "apprentices:detail": Endpoint(
        targets=APPRENTICE_TARGETS,
        kwargs=pk_kw,
        calls=(Call("GET", read_apprentice, check=shows_cadre_masked("apprentices")),),
    ),
    "apprentices:edit": Endpoint(
        targets=APPRENTICE_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", edit_apprentice),
            Call("POST", edit_apprentice, ok=302, data=apprentice_form, check=apprentice_changed),
        ),
    ),
    # Apprentices: API
    "api:apprentice-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_lists_exactly("apprentices")),
            Call(
                "POST",
                register,
                ok=201,
                targets=NEW_CADRES,
                data=lambda ctx, c: register_form(ctx, c, api=True),
                check=registered,
            ),
        ),
    ),
    "api:apprentice-detail": Endpoint(
        api=True,
        targets=APPRENTICE_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read_apprentice, check=api_shows),
            Call("PATCH", edit_apprentice, data=fields(note=MARK), check=apprentice_changed),
        ),
    ),
    # Pairings: pages
    "pairings:list": Endpoint(targets=LIST_FILTERS, calls=list_calls("pairings")),
    "pairings:propose": Endpoint(
        targets=ELIGIBLE,
        calls=(
            Call("GET", editors_only, targets=(None,)),
            Call(
                "POST",
                propose,
                ok=302,
                query=lambda ctx, e: {"programme": ctx.pk(APPRENTICES[e][0])},
                data=propose_body,
                check=proposed,
            ),
        ),
    ),
    "pairings:workspace": Endpoint(calls=(Call("GET", signed_in, check=workspace_offers_own_confirmation),)),
    "pairings:declare_conflict": Endpoint(
        targets=APPRENTICE_TARGETS,
        kwargs=lambda ctx, a: {"apprentice_pk": ctx.pk(a)},
        calls=(Call("POST", declare_conflict_page, ok=302, data=conflict_form, check=conflict_declared),),
    ),
    "pairings:detail": Endpoint(
        targets=("p_prop", "p_city", "p_xf", "p_b"), kwargs=pk_kw, calls=(Call("GET", read_pairing),)
    ),
    "pairings:action": Endpoint(
        kwargs=pk_kw,
        calls=(
            pairing_action(
                "confirm", confirm, state=P.PROPOSED, check=confirmed_by_actor, targets=STEP_TARGETS
            ),
            pairing_action(
                "decline",
                decline,
                state=P.PROPOSED,
                data=fields("decline-", reason=MARK),
                check=pairing_moved("decline", P.DECLINED),
            ),
            pairing_action(
                "sign",
                manage_pairing,
                state=P.CONFIRMED,
                data=sign_body("sign-"),
                check=pairing_moved("sign", P.ACTIVE),
                targets=STEP_TARGETS,
            ),
            pairing_action(
                "extend",
                manage_pairing,
                state=P.ACTIVE,
                data=fields("extend-", months=6, reason=MARK),
                check=pairing_moved("extend", P.EXTENDED),
                targets=STEP_TARGETS,
            ),
            pairing_action(
                "complete",
                manage_pairing,
                state=P.ACTIVE,
                data=fields("complete-", note=MARK),
                check=pairing_moved("complete", P.COMPLETED),
                targets=STEP_TARGETS,
            ),
            pairing_action(
                "terminate",
                manage_pairing,
                data=fields("terminate-", reason=MARK),
                check=pairing_moved("terminate", P.TERMINATED),
            ),
            pairing_action("repair", repair, data=repair_body(), check=repaired, targets=PAIRING_TARGETS),
        ),
    ),
    # Pairings and conflicts: API
    "api:pairing-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_lists_exactly("pairings")),
            Call(
                "POST",
                propose,
                ok=201,
                targets=ELIGIBLE,
                data=lambda ctx, e: propose_body(ctx, e, api=True),
                check=proposed,
            ),
        ),
    ),
    "api:pairing-detail": Endpoint(
        api=True,
        targets=("p_prop", "p_city", "p_xf", "p_b"),
        kwargs=pk_kw,
        calls=(Call("GET", read_pairing, check=api_shows),),
    ),
    "api:pairing-confirm": api_pairing_action(
        "confirm", confirm, state=P.PROPOSED, check=confirmed_by_actor, targets=STEP_TARGETS
    ),
    "api:pairing-decline": api_pairing_action(
        "decline",
        decline,
        state=P.PROPOSED,
        data=fields(reason=MARK),
        check=pairing_moved("decline", P.DECLINED),
    ),
    "api:pairing-sign": api_pairing_action(
        "sign",
        manage_pairing,
        state=P.CONFIRMED,
        data=sign_body(),
        check=pairing_moved("sign", P.ACTIVE),
        targets=STEP_TARGETS,
    ),
    "api:pairing-extend": api_pairing_action(
        "extend",
        manage_pairing,
        state=P.ACTIVE,
        data=fields(months=6, reason=MARK),
        check=pairing_moved("extend", P.EXTENDED),
        targets=STEP_TARGETS,
    ),
    "api:pairing-complete": api_pairing_action(
        "complete",
        manage_pairing,
        state=P.ACTIVE,
        data=fields(note=MARK),
        check=pairing_moved("complete", P.COMPLETED),
        targets=STEP_TARGETS,
    ),
    "api:pairing-terminate": api_pairing_action(
        "terminate",
        manage_pairing,
        data=fields(reason=MARK),
        check=pairing_moved("terminate", P.TERMINATED),
    ),
    "api:pairing-repair": api_pairing_action(
        "repair", repair, ok=201, data=repair_body(api=True), check=repaired, targets=PAIRING_TARGETS
    ),
    "api:conflict-list": Endpoint(
        api=True,
        calls=(
            Call("GET", signed_in, check=api_lists_exactly("conflicts")),
            Call(
                "POST",
                declare_conflict_api,
                ok=201,
                targets=tuple(NEW_CONFLICTS),
                data=conflict_body,
                check=conflict_declared,
            ),
        ),
    ),
    "api:conflict-detail": Endpoint(
        api=True, targets=tuple(CONFLICTS), kwargs=pk_kw, calls=(Call("GET", read_conflict, check=api_shows),)
    ),
    # Printed documents
    "documents:pledge": Endpoint(
        targets=("p_prop", "p_city", "p_b"), kwargs=pk_kw, calls=(Call("GET", pledge, check=is_pdf),)
    ),
    "documents:certificate": Endpoint(
        targets=("m_ss", "m_b"), kwargs=pk_kw, calls=(Call("GET", read_mentor, check=is_pdf),)
    ),
    "documents:programme_certificates": Endpoint(
        targets=PROGS, kwargs=pk_kw, calls=(Call("GET", programme_certificates, check=is_pdf),)
    ),
    # Roster imports and background jobs
    "rosters:index": Endpoint(
        targets=("prog_a", "prog_b"),
        calls=(
            Call("GET", importers_only(signed_in), targets=(None,)),
            Call("POST", upload_roster, ok=302, data=upload_form, check=roster_checked),
        ),
    ),
    "rosters:detail": Endpoint(targets=tuple(ROSTERS), kwargs=pk_kw, calls=(Call("GET", read_roster),)),
    "rosters:commit": Endpoint(
        targets=tuple(ROSTERS),
        kwargs=pk_kw,
        calls=(Call("POST", read_roster, ok=302, check=roster_imported),),
    ),
    "rosters:report": Endpoint(
        targets=tuple(ROSTERS), kwargs=pk_kw, calls=(Call("GET", read_roster, check=is_xlsx),)
    ),
    "rosters:template": Endpoint(
        kwargs=lambda ctx, t: {"kind": "mentors"},
        calls=(Call("GET", importers_only(signed_in), check=is_xlsx),),
    ),
    "api:roster-list": Endpoint(
        api=True,
        targets=("prog_a", "prog_b"),
        calls=(
            Call("GET", importers_only(signed_in), targets=(None,), check=api_rosters_listed_exactly),
            Call("POST", upload_roster, data=upload_form, check=api_roster_checked),
        ),
    ),
    "api:roster-detail": Endpoint(
        api=True, targets=tuple(ROSTERS), kwargs=pk_kw, calls=(Call("GET", read_roster, check=api_shows),)
    ),
    "api:roster-import-rows": Endpoint(
        api=True,
        targets=tuple(ROSTERS),
        kwargs=pk_kw,
        calls=(Call("POST", read_roster, check=roster_imported),),
    ),
    "api:roster-report": Endpoint(
        api=True, targets=tuple(ROSTERS), kwargs=pk_kw, calls=(Call("GET", read_roster, check=is_xlsx),)
    ),
    "api:roster-template": Endpoint(
        api=True,
        calls=(
            Call("GET", importers_only(signed_in), query=lambda ctx, t: {"kind": "mentors"}, check=is_xlsx),
        ),
    ),
    "api:job-list": Endpoint(api=True, calls=(Call("GET", signed_in, check=api_jobs_listed_exactly),)),
    "api:job-detail": Endpoint(
        api=True, targets=tuple(JOBS), kwargs=pk_kw, calls=(Call("GET", read_job, check=api_shows),)
    ),
    "api:job-result": Endpoint(api=True, targets=tuple(JOBS), kwargs=pk_kw, calls=(Call("GET", read_job),)),
    "jobs:list": Endpoint(calls=(Call("GET", signed_in, check=jobs_listed_exactly),)),
    "jobs:detail": Endpoint(targets=tuple(JOBS), kwargs=pk_kw, calls=(Call("GET", read_job),)),
    "jobs:result": Endpoint(targets=tuple(JOBS), kwargs=pk_kw, calls=(Call("GET", read_job),)),
    # Matching runs: pages
    "matching:index": Endpoint(
        targets=LIST_FILTERS,
        calls=(
            Call("GET", list_filter, query=region_query(), check=runs_listed_exactly),
            Call(
                "GET",
                list_filter,
                label="GET-export",
                query=export_query,
                check=runs_exported_exactly,
                targets=("all",),
            ),
        ),
    ),
    "matching:start": Endpoint(
        targets=PROGS,
        calls=(
            Call("GET", editors_only, targets=(None,)),
            Call("GET", start_match, label="GET-form", query=lambda ctx, p: {"programme": ctx.pk(p)}),
            Call(
                "POST",
                start_match,
                ok=302,
                query=lambda ctx, p: {"programme": ctx.pk(p)},
                data=lambda ctx, p: {
                    "area": match_area(ctx, p),
                    "max_distance_km": 30,
                    **{f"weight_{c}": 7 for c in ("distance", "coverage", "tier_fit", "locality")},
                    "weight_balance": 0,
                    "weight_continuity": 0,
                },
                check=match_started,
            ),
        ),
    ),
    "api:match-run-list": Endpoint(
        api=True,
        targets=PROGS,
        calls=(
            Call("GET", signed_in, targets=(None,), check=api_runs_listed_exactly),
            Call(
                "POST",
                start_match,
                ok=202,
                data=lambda ctx, p: {
                    "programme": ctx.pk(p),
                    "region": match_area(ctx, p),
                    "weights": {c: 7 if c != "balance" else 0 for c in Criterion.values},
                },
                check=api_match_started,
            ),
        ),
    ),
    "api:match-run-detail": Endpoint(
        api=True, targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("GET", read_run, check=api_shows),)
    ),
    "api:match-run-pairs": Endpoint(
        api=True, targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("GET", read_run, check=api_pairs_listed),)
    ),
    "api:match-run-unpaired": Endpoint(
        api=True, targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("GET", read_run),)
    ),
    "api:match-run-adjust": Endpoint(
        api=True,
        targets=tuple(RUNS),
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                change_run,
                ok=202,
                data=lambda ctx, r: {
                    "pin": [[first_pairs(ctx, r, 1)[0].apprentice_id, first_pairs(ctx, r, 1)[0].mentor_id]]
                },
                check=api_child_pinned,
            ),
        ),
    ),
    "api:match-run-accept": Endpoint(
        api=True, targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("POST", change_run, check=run_accepted),)
    ),
    "api:match-run-discard": Endpoint(
        api=True, targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("POST", change_run, check=run_discarded),)
    ),
    "matching:detail": Endpoint(
        targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("GET", read_run, check=shows_run),)
    ),
    "matching:compare": Endpoint(
        targets=tuple(RUNS),
        kwargs=pk_kw,
        calls=(
            Call(
                "GET",
                compare_runs,
                query=lambda ctx, r: {"with": ctx.pk(COMPARE_WITH[r])} if COMPARE_WITH[r] else {},
            ),
        ),
    ),
    "matching:adjust": Endpoint(
        targets=tuple(RUNS),
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                change_run,
                ok=302,
                data=lambda ctx, r: {"row": f"pin:{first_pairs(ctx, r, 1)[0].pk}"},
                check=pinned_in_child,
            ),
        ),
    ),
    "matching:swap": Endpoint(
        targets=tuple(RUNS),
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                swap_run,
                ok=302,
                data=lambda ctx, r: {"pairs": [p.pk for p in first_pairs(ctx, r)]},
                check=swapped_in_child,
            ),
        ),
    ),
    "matching:accept": Endpoint(
        targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("POST", change_run, ok=302, check=run_accepted),)
    ),
    "matching:discard": Endpoint(
        targets=tuple(RUNS), kwargs=pk_kw, calls=(Call("POST", change_run, ok=302, check=run_discarded),)
    ),
}

# The guarded tables of the pool, besides those of the cadres and accounts.
POOL_GUARDED = {
    Person: None,
    User: ["last_login"],
    RoleAssignment: None,
    Programme: None,
    ProgrammeRules: None,
    Mentor: None,
    MentorEvent: None,
    PublicityObjection: None,
    Apprentice: None,
    Pairing: None,
    PairingMentor: None,
    PairingEvent: None,
    ConflictDeclaration: None,
    PersonChange: None,
    RosterUpload: None,
    Job: None,
    MatchRun: None,
    MatchPair: None,
    MatchUnpaired: None,
}

POOL_CASES = build_cases(POOL_COVERAGE)


# ---------------------------------------------------------------------------------------------------------------
# The pool world, built once per module through the services; every case runs in a savepoint inside it.


def party_account(world, ns, pairing_label: str, side: str = "mentor") -> User:
    """The account of a pool-world pairing's mentor (or, with ``side="apprentice"``, its apprentice)."""
    apprentice, mentor, _state = PAIRINGS[pairing_label]
    cadre = APPRENTICES[apprentice][1] if side == "apprentice" else MENTORS[mentor][1]
    return User.objects.get(person=getattr(world, cadre, None) or getattr(ns, cadre))


def build_pool_world(world) -> SimpleNamespace:
    ns = SimpleNamespace()
    for label, (name, code, birth) in NEW_PEOPLE.items():
        setattr(ns, label, PersonFactory(name=name, region=region(code), birth_date=birth))

    def person(label):
        return getattr(world, label, None) or getattr(ns, label)

    for label, (code, organiser, name) in PROGRAMMES.items():
        setattr(ns, label, pool.programme(getattr(world, organiser), code=code, name=name))
    for label, (prog, cadre) in MENTORS.items():
        organiser = getattr(world, PROGRAMMES[prog][1])
        setattr(ns, label, pool.appointed_mentor(organiser, getattr(ns, prog), person=person(cadre)))
    for label, (prog, cadre) in APPRENTICES.items():
        organiser = getattr(world, PROGRAMMES[prog][1])
        setattr(
            ns, label, pool.apprentice(organiser, getattr(ns, prog), person=person(cadre), three_gates=True)
        )
    parties = {world.mentor_person.pk: world.mentor, world.apprentice_person.pk: world.apprentice}
    signer = {"prog_a": world.county_admin_a, "prog_b": world.county_admin_b, "prog_city": world.township_a}
    for label, (apprentice_label, mentor_label, state) in PAIRINGS.items():
        apprentice, mentor = getattr(ns, apprentice_label), getattr(ns, mentor_label)
        organiser = getattr(world, PROGRAMMES[APPRENTICES[apprentice_label][0]][1])
        pairing = pairing_services.propose(actor=organiser, apprentice=apprentice, mentors=[mentor])
        if state == PairingStatus.ACTIVE:
            for cadre in (apprentice.person, mentor.person):
                account = parties.get(cadre.pk) or UserFactory(username=f"party-{cadre.pk}", person=cadre)
                pairing = pairing_services.confirm(actor=account, pairing=pairing)
            pairing = pairing_services.sign_pledge(
                actor=signer[APPRENTICES[apprentice_label][0]],
                pairing=pairing,
                signed_on=timezone.localdate() - dt.timedelta(days=10),
                ceremony_place="师说馆",
                witnesses=["乡党委书记"],
            )
        setattr(ns, label, pairing)
    for label, (programme, uploader) in ROSTERS.items():
        roster = roster_services.upload(
            actor=getattr(world, uploader),
            programme=getattr(ns, programme),
            kind="mentors",
            file=io.BytesIO(roster_xlsx(ROSTER_VILLAGE[programme])),
            name=f"{label}.xlsx",
        )
        roster_services.submit(roster, actor=getattr(world, uploader), dry_run=True)
        roster.refresh_from_db()
        assert roster.status == "checked", roster.report
        setattr(ns, label, roster)
    for label, (code, creator) in JOBS.items():
        job = job_services.create_job(
            kind="roster_check", created_by=getattr(world, creator), region=region(code), title=label
        )
        job_services.run(job.pk, lambda j: job_services.finish(j, succeeded=True, result=("r.xlsx", b"PK")))
        setattr(ns, label, Job.objects.get(pk=job.pk))
    for label, (mentor_person, apprentice_person) in CONFLICTS.items():
        setattr(
            ns,
            label,
            pairing_services.declare_conflict(
                actor=world.province_admin,
                mentor_person=person(mentor_person),
                apprentice_person=person(apprentice_person),
                kind="other",
            ),
        )
    for label, (programme, area, creator) in RUNS.items():
        run = matching_services.start(
            actor=getattr(world, creator),
            programme=getattr(ns, programme),
            area=region(area),
            background=False,
        )
        assert run.status == RunStatus.PROPOSED, matching_services.error_message(run)
        setattr(ns, label, run)
    return ns


@pytest.fixture(scope="module")
def pool_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The personas and the pool world, committed to nothing: rolled back when the module is done."""
    media = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("pool-media")))
    media.enable()  # uploaded rosters and job results, for the whole module
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                world = make_world()
            ns = build_pool_world(world)
            far = PersonFactory(name="赵西湖", region=region("330106002"))
            yield world, ns, far
            transaction.set_rollback(True)
    finally:
        media.disable()


@pytest.fixture
def pctx(pool_world, db) -> PoolCtx:
    world, ns, far = pool_world
    return PoolCtx(world=world, cadre_far=far, pool=ns)


@pytest.mark.parametrize("case", POOL_CASES, ids=[c.id for c in POOL_CASES])
def test_pool_permission_matrix(case: Case, pctx, client):
    run_case(case, pctx, client, guarded=POOL_GUARDED)


def test_pool_world_is_as_declared(pctx):
    """The declared world the rules read is the one in the database."""
    for label, (prog, cadre) in MENTORS.items():
        mentor = Mentor.objects.select_related("region").get(pk=pctx.pk(label))
        assert (mentor.programme_id, mentor.person_id) == (pctx.pk(prog), pctx.person(cadre).pk)
        assert mentor.region.code == PERSON_REGION[cadre] and mentor.status == MentorStatus.ACTIVE
        assert mentor.certificate_no
    for label, (prog, cadre) in APPRENTICES.items():
        apprentice = Apprentice.objects.get(pk=pctx.pk(label))
        assert (apprentice.programme_id, apprentice.person_id) == (pctx.pk(prog), pctx.person(cadre).pk)
    for label, (apprentice, mentor, state) in PAIRINGS.items():
        pairing = Pairing.objects.select_related("region").get(pk=pctx.pk(label))
        assert (pairing.apprentice_id, pairing.status) == (pctx.pk(apprentice), state)
        assert list(pairing.members.values_list("mentor_id", flat=True)) == [pctx.pk(mentor)]
        assert pairing.region.code == pairing_region(label)
        assert (pairing.pledge_signed_on is not None) == (state != PairingStatus.PROPOSED)
    for label, (code, _organiser, _name) in PROGRAMMES.items():
        assert Programme.objects.get(pk=pctx.pk(label)).region.code == code


def test_pool_runs_are_as_declared(pctx):
    for label, (programme, area, creator) in RUNS.items():
        run = MatchRun.objects.select_related("region").get(pk=pctx.pk(label))
        assert (run.programme_id, run.region.code, run.created_by) == (
            pctx.pk(programme),
            area,
            getattr(pctx.world, creator),
        )
        assert run.status == RunStatus.PROPOSED and run.pairs.count() == RUN_PAIRS[label]


def test_pool_matrix_cannot_pass_vacuously(pctx):
    """Every outcome occurs, and county admin A meets a hidden and a visible target on each object URL."""
    outcomes, per_endpoint = set(), {}
    for case in POOL_CASES:
        pctx.persona = case.persona
        outcome = _expected(case, pctx)
        outcomes.add(outcome)
        per_endpoint.setdefault((case.url_name, case.persona), set()).add(outcome)
    assert outcomes == set(Outcome)
    skip = {"people:lookup", "pairings:workspace", "mentors:self_nominate", "api:conflict-list"}
    for name, endpoint in POOL_COVERAGE.items():
        if endpoint.targets != (None,) and name not in skip:
            seen = per_endpoint[(name, "county_admin_a")]
            assert HIDDEN in seen and seen - {HIDDEN}, name
    # Each kind of persona meets both its own records and others' (404).
    for persona in ("township_a", "mentor", "apprentice"):
        assert {OK, HIDDEN} <= per_endpoint[("pairings:detail", persona)], persona


def test_pool_case_ids_are_unique():
    ids = [c.id for c in POOL_CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates
