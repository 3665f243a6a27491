"""The permission matrix of mentoring plans (帮带计划) and assignments (布置作业): every page and API URL of both
apps, for the eight personas, on records in and out of each persona's scope.

The machinery is tests/test_permission_matrix.py's and the world is tests/test_permission_matrix_pool.py's pool
world (its programmes, mentors, apprentices and pairings), with a plan and an assignment added on each running
pairing. What each persona may do, written from the issue and not from the apps' code:
- everyone who sees a pairing (its governing regions: township committee, organisation department, auditor;
  and its own mentor and apprentice) reads its plan and its assignments, their revisions, events and files;
- only the pairing's mentor drafts, edits, submits and revises its plan, marks goals met, sets assignments,
  reviews and withdraws them (403 for others who see the pairing);
- only the editors of the pairing's region (township committee, organisation department) approve or return a
  plan; auditors read only;
- only the pairing's apprentice submits answers;
- out of scope is 404, including a pairing named in a form or a request body; anonymous callers go to the login
  page (pages) or are refused (API). Lists of mentors and apprentices show all their own records; the offices'
  lists open on their home region.
"""

import datetime as dt
import io
import itertools
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from bangdai.assignments import services as assignment_services
from bangdai.assignments.choices import AssignmentStatus
from bangdai.assignments.models import Assignment, AssignmentEvent, Submission, SubmissionFile
from bangdai.plans import services as plan_services
from bangdai.plans.choices import PlanStatus
from bangdai.plans.models import MentoringPlan, PlanEvent, PlanGoal, PlanRevision

from .test_permission_matrix import (
    DENIED,
    HIDDEN,
    INVALID,
    MARK,
    OK,
    Call,
    Case,
    Endpoint,
    Outcome,
    _expected,
    build_cases,
    read_region,
    run_case,
    signed_in,
    within,
)
from .test_permission_matrix_pool import (
    APPRENTICES,
    MENTORS,
    PAIRINGS,
    POOL_GUARDED,
    PoolCtx,
    api_shows,
    edits,
    export_query,
    fields,
    filter_region,
    is_image,
    list_filter,
    pairing_region,
    party_account,
    pk_kw,
    pool_world,  # noqa: F401  the module-scoped pool world, reused as the base of this one
    region_query,
    sees_pairing,
)

# ---------------------------------------------------------------------------------------------------------------
# The records added to the pool world: a plan and an assignment on each running pairing.

PLANS = {"plan_city": "p_city", "plan_xf": "p_xf", "plan_b": "p_b"}  # label → pairing
ASSIGNMENTS = {"as_city": "p_city", "as_xf": "p_xf", "as_b": "p_b"}
# The plans' states in the world (overdue on a day 60 days ahead: the drafts).
PLAN_STATES = {"plan_city": PlanStatus.DRAFT, "plan_xf": PlanStatus.SUBMITTED, "plan_b": PlanStatus.DRAFT}
PLAN_TARGETS = tuple(PLANS)
ASSIGNMENT_TARGETS = tuple(ASSIGNMENTS)
RUNNING = ("p_city", "p_xf", "p_b")
NEW_RECORD_TARGETS = ("p_city", "p_prop", "p_xf", "p_b")  # p_prop: visible to its parties, but not running
LIST_FILTERS = (None, "all", "330521")
API_FILTERS = (None, "330523", "330521")
LATER = (timezone.localdate() + dt.timedelta(days=60)).isoformat()


def mentor_cadre(pairing: str) -> str:
    return MENTORS[PAIRINGS[pairing][1]][1]


def apprentice_cadre(pairing: str) -> str:
    return APPRENTICES[PAIRINGS[pairing][0]][1]


def pairing_of(label: str) -> str:
    return PLANS.get(label) or ASSIGNMENTS.get(label) or label


# ---------------------------------------------------------------------------------------------------------------
# Rules


def is_mentor(ctx, label) -> bool:
    return ctx.reach.own is not None and ctx.reach.own == mentor_cadre(pairing_of(label))


def is_apprentice(ctx, label) -> bool:
    return ctx.reach.own is not None and ctx.reach.own == apprentice_cadre(pairing_of(label))


def read(ctx, label) -> Outcome:
    return OK if sees_pairing(ctx, pairing_of(label)) else HIDDEN


def mentor_step(ctx, label) -> Outcome:
    if not sees_pairing(ctx, pairing_of(label)):
        return HIDDEN
    return OK if is_mentor(ctx, label) else DENIED


def reviewer_step(ctx, label) -> Outcome:
    if not sees_pairing(ctx, pairing_of(label)):
        return HIDDEN
    return OK if edits(ctx, pairing_region(pairing_of(label))) and not is_mentor(ctx, label) else DENIED


def apprentice_step(ctx, label) -> Outcome:
    if not sees_pairing(ctx, pairing_of(label)):
        return HIDDEN
    return OK if is_apprentice(ctx, label) else DENIED


def new_record(ctx, pairing) -> Outcome:
    """A new plan or assignment on a pairing: its mentor, on a running pairing (otherwise a refusal, 200/400)."""
    outcome = mentor_step(ctx, pairing)
    if outcome is OK and PAIRINGS[pairing][2] not in ("active", "extended"):
        return INVALID
    return outcome


def new_record_api(ctx, pairing) -> Outcome:
    if ctx.reach.own is None:
        return DENIED  # the API admits only cadres' own accounts to these writes, before reading the body
    return new_record(ctx, pairing)


def sets_assignments(ctx) -> bool:
    """The persona is the mentor of a running pairing (the page for setting assignments is theirs)."""
    return any(is_mentor(ctx, p) for p in RUNNING)


def issue_page(ctx, pairing) -> Outcome:
    if not sets_assignments(ctx):
        return DENIED
    return new_record(ctx, pairing)


def own_records_api(rule):
    """The API checks that the caller is a cadre before the scope of the record (after it, on a record's URL)."""

    def checked(ctx, label) -> Outcome:
        outcome = rule(ctx, label)
        return DENIED if outcome is OK and ctx.reach.own is None else outcome

    checked.__name__ = rule.__name__
    return checked


# ---------------------------------------------------------------------------------------------------------------
# Expected lists and checks


def expected(ctx, records: dict, code, *, page: bool) -> set[str]:
    """Pages of the offices open on their home region; mentors and apprentices see all their own."""
    where = filter_region(ctx, code, home=page and bool(ctx.reach.cadres))
    return {
        label
        for label, pairing in records.items()
        if sees_pairing(ctx, pairing) and (where is None or within(pairing_region(pairing), [where]))
    }


def plan_rows_exactly(ctx, code, response):
    shown = {p.pk for p in response.context["table"].data.data}
    assert shown == {ctx.pk(PLANS[label]) for label in expected(ctx, PLANS, code, page=True)}


def assignment_rows_exactly(ctx, code, response):
    shown = {a.pk for a in response.context["table"].data.data}
    assert shown == {ctx.pk(label) for label in expected(ctx, ASSIGNMENTS, code, page=True)}


def exports_exactly(records):
    def check(ctx, code, response):
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        names = {label: ctx.person(apprentice_cadre(pairing)).name for label, pairing in records.items()}
        shown = {label for label, name in names.items() if name in body}
        assert shown == expected(ctx, records, code, page=True)

    return check


def api_lists_exactly(records):
    def check(ctx, code, response):
        shown = {row["id"] for row in response.json()["results"]}
        assert shown == {ctx.pk(label) for label in expected(ctx, records, code, page=False)}

    return check


def overdue_exactly(ctx, target, response):
    drafts = {PLANS[p] for p, state in PLAN_STATES.items() if state == PlanStatus.DRAFT}
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(p) for p in drafts if sees_pairing(ctx, p)}


def plan_created(ctx, pairing, response):
    plan = MentoringPlan.objects.get(pairing_id=ctx.pk(pairing))
    assert plan.summary == MARK and plan.drafted_by_id == ctx.actor.pk and plan.status == PlanStatus.DRAFT
    assert PlanEvent.objects.filter(plan=plan, action="create", actor=ctx.actor).exists()


def plan_moved(action: str, status: str):
    def check(ctx, label, response):
        assert MentoringPlan.objects.get(pk=ctx.pk(label)).status == status
        assert PlanEvent.objects.filter(plan_id=ctx.pk(label), action=action, actor=ctx.actor).exists()

    return check


def draft_saved(ctx, label, response):
    plan = MentoringPlan.objects.get(pk=ctx.pk(label))
    assert plan.summary == MARK and plan.goals.get().description == MARK
    assert PlanEvent.objects.filter(plan=plan, action="edit", actor=ctx.actor).exists()


def goal_met(ctx, label, response):
    assert PlanGoal.objects.get(plan_id=ctx.pk(label)).achieved_by_id == ctx.actor.pk


def assignment_issued(ctx, pairing, response):
    assignment = Assignment.objects.get(title=MARK)
    assert assignment.pairing_id == ctx.pk(pairing) and assignment.issued_by_id == ctx.actor.pk


def assignment_moved(action: str, status: str):
    def check(ctx, label, response):
        assert Assignment.objects.get(pk=ctx.pk(label)).status == status
        assert AssignmentEvent.objects.filter(
            assignment_id=ctx.pk(label), action=action, actor=ctx.actor
        ).exists()

    return check


def answered(ctx, label, response):
    submission = Submission.objects.filter(assignment_id=ctx.pk(label)).latest("number")
    assert (
        submission.text == MARK
        and submission.submitted_by_id == ctx.actor.pk
        and submission.files.count() == 1
    )


# ---------------------------------------------------------------------------------------------------------------
# Preparations: put the record in the state the call needs (before the snapshot).


def plan_in(status: str, *, approved=False):
    def prepare(ctx, label):
        plan = ctx.obj(label)
        changes = {"status": status, "revision": 0, "approved_revision": None}
        if status != PlanStatus.DRAFT:
            changes["revision"] = 1
            PlanRevision.objects.get_or_create(
                plan=plan, number=1, defaults={"submitted_at": timezone.now(), "goals": []}
            )
        if approved:
            changes["approved_revision"] = 1
        MentoringPlan.objects.filter(pk=plan.pk).update(**changes)

    return prepare


def without_plan(ctx, pairing):
    MentoringPlan.objects.filter(pairing_id=ctx.pk(pairing)).delete()


def assignment_in(status: str):
    def prepare(ctx, label):
        Assignment.objects.filter(pk=ctx.pk(label)).update(status=status)

    return prepare


# Request bodies


def goals_form(ctx, label) -> dict:
    return {
        "goals-TOTAL_FORMS": "1",
        "goals-INITIAL_FORMS": "0",
        "goals-0-content_area": "party_building",
        "goals-0-description": MARK,
        "goals-0-measurable_target": MARK,
        "goals-0-due_on": LATER,
        "summary": MARK,
        "comment": "",
        "save": "1",
    }


def goal_api(ctx, label) -> list[dict]:
    return [
        {"content_area": "party_building", "description": MARK, "measurable_target": MARK, "due_on": LATER}
    ]


def photo_file(name="现场.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def issue_body(ctx, pairing) -> dict:
    return {
        "pairing": ctx.pk(pairing),
        "title": MARK,
        "brief": MARK,
        "content_area": "party_building",
        "due_on": LATER,
    }


def file_kw(ctx, label):
    stored = SubmissionFile.objects.filter(submission__assignment_id=ctx.pk(label)).first()
    return {"pk": ctx.pk(label), "file_pk": stored.pk}


def goal_kw(ctx, label):
    return {"pk": ctx.pk(label), "goal_pk": PlanGoal.objects.get(plan_id=ctx.pk(label)).pk}


# ---------------------------------------------------------------------------------------------------------------
# MATRIX_COVERAGE: every URL name of the two apps.


def page_step(url_name, action, rule, *, prepare, data=None, check=None, targets=PLAN_TARGETS):
    return Call(
        "POST",
        rule,
        ok=302,
        label=f"POST-{action}",
        url_kwargs=(("action", action),),
        prepare=prepare,
        data=data,
        check=check,
        targets=targets,
    )


def api_step(rule, *, prepare, data=None, check=None, targets=PLAN_TARGETS, ok=200):
    return Endpoint(
        api=True,
        targets=targets,
        kwargs=pk_kw,
        calls=(Call("POST", rule, ok=ok, prepare=prepare, data=data, check=check),),
    )


S, A = PlanStatus, AssignmentStatus

MATRIX_COVERAGE: dict[str, Endpoint] = {
    # Plans: pages
    "plans:list": Endpoint(
        targets=LIST_FILTERS,
        calls=(
            Call("GET", list_filter, query=region_query(), check=plan_rows_exactly),
            Call(
                "GET",
                list_filter,
                label="GET-export",
                query=export_query,
                check=exports_exactly(PLANS),
                targets=("all",),
            ),
        ),
    ),
    "plans:pairing": Endpoint(
        targets=NEW_RECORD_TARGETS,
        kwargs=lambda ctx, p: {"pairing_pk": ctx.pk(p)},
        calls=(
            Call("GET", read, prepare=without_plan),
            Call(
                "POST",
                new_record,
                ok=302,
                prepare=without_plan,
                data=goals_form,
                check=plan_created,
            ),
        ),
    ),
    "plans:detail": Endpoint(targets=PLAN_TARGETS, kwargs=pk_kw, calls=(Call("GET", read),)),
    "plans:edit": Endpoint(
        targets=PLAN_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", mentor_step, prepare=plan_in(S.DRAFT)),
            Call("POST", mentor_step, ok=302, prepare=plan_in(S.DRAFT), data=goals_form, check=draft_saved),
        ),
    ),
    "plans:revision": Endpoint(
        targets=PLAN_TARGETS,
        kwargs=lambda ctx, label: {"pk": ctx.pk(label), "number": 1},
        calls=(Call("GET", read, prepare=plan_in(S.SUBMITTED)),),
    ),
    "plans:goal": Endpoint(
        targets=PLAN_TARGETS,
        kwargs=goal_kw,
        calls=(
            Call(
                "POST",
                mentor_step,
                ok=302,
                url_kwargs=(("action", "met"),),
                prepare=plan_in(S.APPROVED, approved=True),
                data=fields("goal-", on=timezone.localdate().isoformat(), note=MARK),
                check=goal_met,
            ),
        ),
    ),
    "plans:action": Endpoint(
        kwargs=pk_kw,
        calls=(
            page_step(
                "plans:action",
                "submit",
                mentor_step,
                prepare=plan_in(S.DRAFT),
                check=plan_moved("submit", S.SUBMITTED),
            ),
            page_step(
                "plans:action",
                "approve",
                reviewer_step,
                prepare=plan_in(S.SUBMITTED),
                check=plan_moved("approve", S.APPROVED),
            ),
            page_step(
                "plans:action",
                "return",
                reviewer_step,
                prepare=plan_in(S.SUBMITTED),
                data=fields("return-", comment=MARK),
                check=plan_moved("return", S.RETURNED),
            ),
        ),
    ),
    # Plans: API
    "api:plan-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_lists_exactly(PLANS)),
            Call(
                "POST",
                new_record_api,
                ok=201,
                targets=NEW_RECORD_TARGETS,
                prepare=without_plan,
                data=lambda ctx, p: {"pairing": ctx.pk(p), "summary": MARK, "goals": goal_api(ctx, p)},
                check=plan_created,
            ),
        ),
    ),
    "api:plan-detail": Endpoint(
        api=True,
        targets=PLAN_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read, check=api_shows),
            Call(
                "PATCH",
                own_records_api(mentor_step),
                prepare=plan_in(S.DRAFT),
                data=lambda ctx, label: {"summary": MARK, "goals": goal_api(ctx, label)},
                check=draft_saved,
            ),
        ),
    ),
    "api:plan-overdue": Endpoint(
        api=True, calls=(Call("GET", signed_in, query=lambda ctx, t: {"date": LATER}, check=overdue_exactly),)
    ),
    "api:plan-submit": api_step(
        own_records_api(mentor_step), prepare=plan_in(S.DRAFT), check=plan_moved("submit", S.SUBMITTED)
    ),
    "api:plan-revise": api_step(
        own_records_api(mentor_step),
        prepare=plan_in(S.APPROVED, approved=True),
        data=lambda ctx, label: {"summary": MARK, "goals": goal_api(ctx, label), "comment": MARK},
        check=plan_moved("revise", S.SUBMITTED),
    ),
    "api:plan-approve": api_step(
        reviewer_step, prepare=plan_in(S.SUBMITTED), check=plan_moved("approve", S.APPROVED)
    ),
    "api:plan-return": api_step(
        reviewer_step,
        prepare=plan_in(S.SUBMITTED),
        data=fields(comment=MARK),
        check=plan_moved("return", S.RETURNED),
    ),
    "api:plan-goal": api_step(
        own_records_api(mentor_step),
        prepare=plan_in(S.APPROVED, approved=True),
        data=lambda ctx, label: {
            "goal": PlanGoal.objects.get(plan_id=ctx.pk(label)).pk,
            "met": True,
            "note": MARK,
        },
        check=goal_met,
    ),
    # Assignments: pages
    "assignments:list": Endpoint(
        targets=LIST_FILTERS,
        calls=(
            Call("GET", list_filter, query=region_query(), check=assignment_rows_exactly),
            Call(
                "GET",
                list_filter,
                label="GET-export",
                query=export_query,
                check=exports_exactly(ASSIGNMENTS),
                targets=("all",),
            ),
        ),
    ),
    "assignments:create": Endpoint(
        targets=NEW_RECORD_TARGETS,
        calls=(
            Call("GET", lambda ctx, t: OK if sets_assignments(ctx) else DENIED, targets=(None,)),
            Call("POST", issue_page, ok=302, data=issue_body, check=assignment_issued),
        ),
    ),
    "assignments:detail": Endpoint(targets=ASSIGNMENT_TARGETS, kwargs=pk_kw, calls=(Call("GET", read),)),
    "assignments:file": Endpoint(
        targets=ASSIGNMENT_TARGETS, kwargs=file_kw, calls=(Call("GET", read, check=is_image),)
    ),
    "assignments:action": Endpoint(
        kwargs=pk_kw,
        calls=(
            page_step(
                "assignments:action",
                "submit",
                apprentice_step,
                prepare=assignment_in(A.ISSUED),
                data=lambda ctx, label: {"submit-text": MARK, "submit-files": photo_file()},
                check=answered,
                targets=ASSIGNMENT_TARGETS,
            ),
            page_step(
                "assignments:action",
                "review",
                mentor_step,
                prepare=assignment_in(A.SUBMITTED),
                data=fields("review-", score=90, feedback=MARK, submission=1),
                check=assignment_moved("review", A.REVIEWED),
                targets=ASSIGNMENT_TARGETS,
            ),
            page_step(
                "assignments:action",
                "withdraw",
                mentor_step,
                prepare=assignment_in(A.ISSUED),
                data=fields("withdraw-", reason=MARK),
                check=assignment_moved("withdraw", A.WITHDRAWN),
                targets=ASSIGNMENT_TARGETS,
            ),
        ),
    ),
    # Assignments: API
    "api:assignment-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_lists_exactly(ASSIGNMENTS)),
            Call(
                "POST",
                new_record_api,
                ok=201,
                targets=NEW_RECORD_TARGETS,
                data=issue_body,
                check=assignment_issued,
            ),
        ),
    ),
    "api:assignment-detail": Endpoint(
        api=True, targets=ASSIGNMENT_TARGETS, kwargs=pk_kw, calls=(Call("GET", read, check=api_shows),)
    ),
    "api:assignment-file": Endpoint(
        api=True,
        targets=ASSIGNMENT_TARGETS,
        kwargs=lambda ctx, label: {"pk": ctx.pk(label), "file_id": file_kw(ctx, label)["file_pk"]},
        calls=(Call("GET", read, check=is_image),),
    ),
    "api:assignment-submit": api_step(
        own_records_api(apprentice_step),
        prepare=assignment_in(A.ISSUED),
        data=lambda ctx, label: {"text": MARK, "files": photo_file()},
        check=answered,
        targets=ASSIGNMENT_TARGETS,
    ),
    "api:assignment-review": api_step(
        own_records_api(mentor_step),
        prepare=assignment_in(A.SUBMITTED),
        data=fields(score=90, feedback=MARK),
        check=assignment_moved("review", A.REVIEWED),
        targets=ASSIGNMENT_TARGETS,
    ),
    "api:assignment-withdraw": api_step(
        own_records_api(mentor_step),
        prepare=assignment_in(A.ISSUED),
        data=fields(reason=MARK),
        check=assignment_moved("withdraw", A.WITHDRAWN),
        targets=ASSIGNMENT_TARGETS,
    ),
}

GUARDED = {
    **POOL_GUARDED,
    MentoringPlan: None,
    PlanGoal: None,
    PlanRevision: None,
    PlanEvent: None,
    Assignment: None,
    Submission: None,
    SubmissionFile: None,
    AssignmentEvent: None,
}

CASES = build_cases(MATRIX_COVERAGE)


# ---------------------------------------------------------------------------------------------------------------
# The world: the pool world plus a plan and an assignment (submitted, with a photo) on each running pairing.


def build_practice_world(world, ns) -> None:
    later = timezone.localdate() + dt.timedelta(days=60)
    for label, pairing_label in PLANS.items():
        pairing = getattr(ns, pairing_label)
        goal = plan_services.GoalData("party_building", "规范组织生活", "每月主题党日记录完整", later)
        plan = plan_services.create(
            actor=party_account(world, ns, pairing_label), pairing=pairing, goals=[goal]
        )
        if PLAN_STATES[label] == PlanStatus.SUBMITTED:
            plan = plan_services.submit(actor=party_account(world, ns, pairing_label), plan=plan)
        setattr(ns, label, plan)
    for label, pairing_label in ASSIGNMENTS.items():
        pairing = getattr(ns, pairing_label)
        assignment = assignment_services.issue(
            actor=party_account(world, ns, pairing_label),
            pairing=pairing,
            title="调研报告",
            brief="写一份调研报告",
            content_area="common_prosperity",
            due_on=later,
        )
        assignment_services.submit(
            actor=party_account(world, ns, pairing_label, "apprentice"),
            assignment=assignment,
            text="报告",
            files=[photo_file()],
        )
        setattr(ns, label, Assignment.objects.get(pk=assignment.pk))


@pytest.fixture(scope="module")
def practice_world(pool_world, django_db_blocker):  # noqa: F811
    world, ns, far = pool_world
    with django_db_blocker.unblock():
        build_practice_world(world, ns)
    return pool_world


@pytest.fixture
def mctx(practice_world, db) -> PoolCtx:
    world, ns, far = practice_world
    return PoolCtx(world=world, cadre_far=far, pool=SimpleNamespace(**vars(ns)))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_plans_and_assignments_permission_matrix(case: Case, mctx, client):
    run_case(case, mctx, client, guarded=GUARDED)


def test_the_added_world_is_as_declared(mctx):
    for label, pairing in PLANS.items():
        plan = MentoringPlan.objects.get(pk=mctx.pk(label))
        assert plan.pairing_id == mctx.pk(pairing) and plan.status == PLAN_STATES[label]
    for label, pairing in ASSIGNMENTS.items():
        assignment = Assignment.objects.get(pk=mctx.pk(label))
        assert assignment.pairing_id == mctx.pk(pairing) and assignment.status == AssignmentStatus.SUBMITTED
        assert SubmissionFile.objects.filter(submission__assignment=assignment).count() == 1


def test_this_matrix_cannot_pass_vacuously(mctx):
    """Every outcome occurs; on each object URL county admin A meets a hidden and a visible target, and the
    mentor and the apprentice each meet both their own records and others'."""
    outcomes, per_endpoint = set(), {}
    for case in CASES:
        mctx.persona = case.persona
        outcome = _expected(case, mctx)
        outcomes.add(outcome)
        per_endpoint.setdefault((case.url_name, case.persona), set()).add(outcome)
    assert outcomes == set(Outcome)
    for name, endpoint in MATRIX_COVERAGE.items():
        if endpoint.targets not in ((None,), LIST_FILTERS, API_FILTERS):
            for persona in ("county_admin_a", "mentor", "apprentice"):
                if name == "assignments:create" and persona != "mentor":
                    continue  # only mentors of a running pairing open the page at all (403 at the door)
                seen = per_endpoint[(name, persona)]
                assert HIDDEN in seen and seen - {HIDDEN}, (name, persona)
    assert (
        OK in per_endpoint[("plans:action", "mentor")] and DENIED in per_endpoint[("plans:action", "mentor")]
    )
    assert OK in per_endpoint[("assignments:action", "apprentice")]


def test_these_case_ids_are_unique():
    ids = [c.id for c in CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates
