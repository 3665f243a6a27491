"""The permission matrix of the growth file (成长档案): its page, PDF and API × the eight personas.

The machinery is tests/test_permission_matrix.py's and the records are the pool world of
tests/test_permission_matrix_pool.py (built once per module through the services); this module adds ledger entries
and assignments on its running pairings and declares MATRIX_COVERAGE.

What each persona may do, written from the issue and not from the app's code:
- an apprentice opens their own growth file (each apprentice record of theirs: the world's apprentice is in county
  A's programme and in the city's);
- a mentor opens the files of the apprentices they mentor or have mentored, a pairing merely proposed to them
  included (to decide on it), and sees in them the records of their own pairings;
- the organisation departments, township committees and auditors over the apprentice's region open every file
  there; nobody else (404), anonymous callers go to the login page (pages) or are refused (API);
- the growth file only reads: no call changes anything.
"""

import datetime as dt
import io
import itertools
import re

import pytest
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from bangdai.assignments import services as assignment_services
from bangdai.assignments.models import Assignment, AssignmentEvent
from bangdai.core.choices import ContentArea, Method
from bangdai.ledger import services as ledger_services
from bangdai.ledger.models import Activity, ActivityEvent

from .test_permission_matrix import (
    HIDDEN,
    MARK,
    OK,
    Call,
    Case,
    Endpoint,
    Outcome,
    _expected,
    build_cases,
    run_case,
)
from .test_permission_matrix_pool import (
    APPRENTICES,
    MENTORS,
    PAIRINGS,
    POOL_GUARDED,
    PoolCtx,
    apprentice_region,
    governs,
    party_account,
    pk_kw,
    pool_world,  # noqa: F401  (the module fixture this module builds on)
)

# The apprentices whose files are asked for: the world's apprentice in county A's programme (a pairing proposed
# with the world's mentor) and in the city's (running, with the world's mentor), one in 孝丰镇, one in 德清县.
TARGETS = ("a_ss", "a_city", "a_xf", "a_b")
# Growth records on the running pairings, label → pairing: a ledger entry recorded by the mentor, an assignment.
RECORDS = {"g_city": "p_city", "g_xf": "p_xf", "g_b": "p_b"}


def mark(label: str) -> str:
    return f"{MARK}-{label}"


# ---------------------------------------------------------------------------------------------------------------
# Rules


def mentors_of(apprentice: str) -> set[str]:
    """The cadres who mentor or mentored the apprentice (every pairing of the pool world is open)."""
    return {MENTORS[mentor][1] for a, mentor, _state in PAIRINGS.values() if a == apprentice}


def read_file(ctx, label) -> Outcome:
    own = ctx.reach.own
    if governs(ctx, apprentice_region(label)) or own == APPRENTICES[label][1] or own in mentors_of(label):
        return OK
    return HIDDEN


def records_of(label: str) -> set[str]:
    return {r for r, pairing in RECORDS.items() if PAIRINGS[pairing][0] == label}


# ---------------------------------------------------------------------------------------------------------------
# Checks of allowed calls


def page_shows_the_file(ctx, label, response):
    assert response.context["apprentice"].pk == ctx.pk(label)
    texts = {entry.text for entry, _new in response.context["timeline"].rows}
    assert {r for r in RECORDS if mark(r) in texts} == records_of(label)
    titles = {entry.title for entry, _new in response.context["timeline"].rows}
    assert {r for r in RECORDS if mark(r) in titles} == records_of(label)  # the assignments


def pdf_of_the_file(ctx, label, response):
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    body = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert ctx.obj(label).person.name in body
    assert {r for r in RECORDS if mark(r) in body} == records_of(label)


def api_shows_the_file(ctx, label, response):
    data = response.json()
    assert data["apprentice"]["id"] == ctx.pk(label)
    results = data["timeline"]["results"]
    assert {r for r in RECORDS if any(row["text"] == mark(r) for row in results)} == records_of(label)


# ---------------------------------------------------------------------------------------------------------------
# MATRIX_COVERAGE

MATRIX_COVERAGE: dict[str, Endpoint] = {
    "growth:detail": Endpoint(
        targets=TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read_file, check=page_shows_the_file),
            Call(
                "GET",
                read_file,
                label="GET-activities-2",
                query=lambda ctx, a: {"kind": "activity", "page": 2},
            ),
        ),
    ),
    "growth:pdf": Endpoint(
        targets=TARGETS, kwargs=pk_kw, calls=(Call("GET", read_file, check=pdf_of_the_file),)
    ),
    "api:growth-detail": Endpoint(
        api=True, targets=TARGETS, kwargs=pk_kw, calls=(Call("GET", read_file, check=api_shows_the_file),)
    ),
    "api:growth-pdf": Endpoint(
        api=True, targets=TARGETS, kwargs=pk_kw, calls=(Call("GET", read_file, check=pdf_of_the_file),)
    ),
}

GROWTH_GUARDED = {
    **POOL_GUARDED,
    Activity: None,
    ActivityEvent: None,
    Assignment: None,
    AssignmentEvent: None,
}

GROWTH_CASES = build_cases(MATRIX_COVERAGE)


# ---------------------------------------------------------------------------------------------------------------
# The growth world on top of the pool world, built once per module; every case runs in a savepoint inside it.


def build_growth_world(world, pool_ns) -> None:
    """A ledger entry and an assignment on each running pairing, by its mentor, through the services."""
    for label, pairing_label in RECORDS.items():
        actor, pairing = party_account(world, pool_ns, pairing_label), getattr(pool_ns, pairing_label)
        ledger_services.record_activity(
            actor=actor,
            pairing=pairing,
            occurred_on=timezone.localdate() - dt.timedelta(days=2),
            duration_min=60,
            method=Method.DIAGNOSTIC_VISIT,
            content_areas=[ContentArea.PARTY_BUILDING],
            summary=mark(label),
        )
        assignment_services.issue(
            actor=actor,
            pairing=pairing,
            title=mark(label),
            brief="调研报告",
            content_area=ContentArea.COMMON_PROSPERITY,
            due_on=timezone.localdate() + dt.timedelta(days=14),
        )


@pytest.fixture(scope="module")
def growth_world(pool_world, django_db_blocker):  # noqa: F811  (the imported fixture)
    """The pool world plus the growth records, rolled back after the module."""
    world, pool_ns, far = pool_world
    with django_db_blocker.unblock(), transaction.atomic():
        build_growth_world(world, pool_ns)
        yield pool_world
        transaction.set_rollback(True)


@pytest.fixture
def gctx(growth_world, db) -> PoolCtx:
    world, pool_ns, far = growth_world
    return PoolCtx(world=world, cadre_far=far, pool=pool_ns)


@pytest.mark.parametrize("case", GROWTH_CASES, ids=[c.id for c in GROWTH_CASES])
def test_growth_permission_matrix(case: Case, gctx, client):
    run_case(case, gctx, client, guarded=GROWTH_GUARDED)


def test_growth_world_is_as_declared(gctx):
    for label, pairing in RECORDS.items():
        assert Activity.objects.get(summary=mark(label)).pairing_id == gctx.pk(pairing)
        assert Assignment.objects.get(title=mark(label)).pairing_id == gctx.pk(pairing)
    assert mentors_of("a_ss") == {"mentor_person"} and mentors_of("a_city") == {"mentor_person"}


def test_growth_matrix_cannot_pass_vacuously(gctx):
    """Each persona of a county, a township or their own records meets both a file it opens and one it may not
    (404); the province and the city's auditor open all four; anonymous callers are sent to sign in."""
    seen: dict[str, set] = {}
    for case in GROWTH_CASES:
        gctx.persona = case.persona
        seen.setdefault(case.persona, set()).add(_expected(case, gctx))
    for persona in ("county_admin_a", "county_admin_b", "township_a", "mentor", "apprentice"):
        assert seen[persona] == {OK, HIDDEN}, persona
    assert seen["province_admin"] == seen["auditor"] == {OK}
    assert seen["anonymous"] == {Outcome.LOGIN}


def test_growth_case_ids_are_unique():
    ids = [c.id for c in GROWTH_CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates
