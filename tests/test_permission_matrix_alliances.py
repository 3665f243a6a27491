"""The permission matrix of radiation alliances and the alliance planner: every page and API URL of the app.

The machinery is tests/test_permission_matrix.py's and the world is the pool's (tests/test_permission_matrix_pool.py:
programmes, mentors, pairings), built once per module; alliances, joint activities and plans are added on top
through the services, and each case runs inside its own savepoint.

What each persona may do, written from the issue and not from the app's scope code:
- an alliance is seen by those who govern its organising region or one of its member villages, and by its lead
  mentor; only the organisation department of its organising region changes it (goals, members, start,
  dissolution); the department and the lead mentor record joint activities; evidence files go with the alliance;
- an alliance across counties is organised by the department whose region covers both (湖州市 here, by the
  province): each county department sees it through its villages and may not change it (403);
- plans are the organisation departments' of the planned city or county: seen by those governing the area,
  changed (edited, adopted, discarded) by its organisation departments only;
- auditors read and never write (403); township committees read what lies in their township and change nothing;
  out of scope is 404, a region named in a form or a request body included; anonymous callers go to the login
  page (pages) or are refused (API).
"""

import datetime as dt
import io
import itertools
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from bangdai.accounts.models import RoleAssignment, User
from bangdai.alliances import services
from bangdai.alliances.choices import AllianceStatus, PlanStatus
from bangdai.alliances.models import (
    Alliance,
    AllianceEvent,
    AllianceMember,
    JointActivity,
    JointEvidence,
    PlanEvent,
    PlanHub,
    PlanRun,
    PlanVillage,
)
from bangdai.jobs.models import Job
from bangdai.mentors.models import Mentor
from bangdai.people.models import Person

from . import pool
from .factories import PersonFactory, region
from .test_alliances import add_villages
from .test_permission_matrix import (
    DENIED,
    HIDDEN,
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
    within,
)
from .test_permission_matrix_pool import (
    PoolCtx,
    administers,
    api_shows,
    export_query,
    filter_region,
    governs,
    list_filter,
    org_admins_only,
    pk_kw,
    pool_world,  # noqa: F401  (a module-scoped fixture: this module's pool world)
    region_query,
)

# ---------------------------------------------------------------------------------------------------------------
# The alliance world, declared.

# Mentors added to the pool world's: label -> (programme, cadre's name, home village); appointed by its organiser.
NEW_MENTORS = {
    "m_dong": ("prog_b", "孙东衡", "330521002202"),  # leads al_b
    "m_bamu": ("prog_a", "沈八亩", "330523205203"),  # free in A: a new alliance's hub, a planned hub
    "m_nanxi": ("prog_a", "钱南溪", "330523105202"),  # planned hub in A
    "m_chengbei": ("prog_b", "杨城北", "330521002204"),  # free in B: a new alliance's hub, a planned hub
    "m_mogan": ("prog_b", "蒋莫干", "330521002205"),  # planned hub in B
}
# label -> (organising region, organiser, hub village, lead mentor, other member villages)
ALLIANCES = {
    "al_a": (
        "330523",
        "county_admin_a",
        "330523205202",
        "m_ss",
        ["330523205201"],
    ),  # led by the mentor persona
    "al_city": ("330500", "province_admin", "330523105201", "m_xf", ["330521002201"]),  # across A and B
    "al_b": ("330521", "county_admin_b", "330521002202", "m_dong", ["330521002203"]),
}
# A village each alliance may take in, and one it may let go.
JOINS = {"al_a": "330523105203", "al_city": "330523205204", "al_b": "330521002206"}
LEAVES = {label: members[0] for label, (_r, _o, _h, _m, members) in ALLIANCES.items()}
# A joint activity with a photo: label -> alliance.
EVIDENCE = {"ev_a": "al_a", "ev_b": "al_b"}
# Plans: label -> (area, planner). Each proposes two alliances around the free mentors' villages.
PLANS = {"plan_a": ("330523", "county_admin_a"), "plan_b": ("330521", "county_admin_b")}
# New alliances by form or API: label -> (organising region, hub, member).
NEW_ALLIANCES = {
    "a": ("330523", "330523205203", "330523205204"),
    "b": ("330521", "330521002204", "330521002206"),
}

ALLIANCE_TARGETS = tuple(ALLIANCES)
PLAN_TARGETS = tuple(PLANS)
LIST_FILTERS = (None, "all", "330521")
API_FILTERS = (None, "330523", "330521")


@dataclass
class AllianceCtx(PoolCtx):
    move: tuple[str, str] | None = None  # the village and hub of the move a case asked for


# ---------------------------------------------------------------------------------------------------------------
# Rules


def member_codes(label) -> list[str]:
    _region, _organiser, hub, _lead, members = ALLIANCES[label]
    return [hub, *members]


def leads(ctx, label) -> bool:
    """The persona's own cadre leads the alliance (the pool's m_ss is the mentor persona's)."""
    lead = ALLIANCES[label][3]
    return ctx.reach.own is not None and lead == "m_ss" and ctx.reach.own == "mentor_person"


def sees_alliance(ctx, label) -> bool:
    organising = ALLIANCES[label][0]
    return governs(ctx, organising) or any(governs(ctx, c) for c in member_codes(label)) or leads(ctx, label)


def read_alliance(ctx, label) -> Outcome:
    return OK if sees_alliance(ctx, label) else HIDDEN


def manage_alliance(ctx, label) -> Outcome:
    if not sees_alliance(ctx, label):
        return HIDDEN
    return OK if administers(ctx, ALLIANCES[label][0]) else DENIED


def record_activity(ctx, label) -> Outcome:
    if not sees_alliance(ctx, label):
        return HIDDEN
    return OK if administers(ctx, ALLIANCES[label][0]) or leads(ctx, label) else DENIED


def read_evidence(ctx, label) -> Outcome:
    return read_alliance(ctx, EVIDENCE[label])


def create_alliance(ctx, label) -> Outcome:
    if not ctx.reach.admin:
        return DENIED
    organising, hub, member = NEW_ALLIANCES[label]
    return OK if all(administers(ctx, c) for c in (organising, hub, member)) else HIDDEN


def sees_plan(ctx, label) -> bool:
    return governs(ctx, PLANS[label][0])


def read_plan(ctx, label) -> Outcome:
    return OK if sees_plan(ctx, label) else HIDDEN


def manage_plan(ctx, label) -> Outcome:
    if not sees_plan(ctx, label):
        return HIDDEN
    return OK if administers(ctx, PLANS[label][0]) else DENIED


def start_plan(ctx, code) -> Outcome:
    if not ctx.reach.admin:
        return DENIED
    return OK if administers(ctx, code) else HIDDEN


# ---------------------------------------------------------------------------------------------------------------
# Expected lists and checks


def expected_alliances(ctx, code, *, home: bool) -> set[str]:
    region_code = filter_region(ctx, code, home=home)
    return {
        label
        for label in ALLIANCES
        if sees_alliance(ctx, label) and (region_code is None or within(ALLIANCES[label][2], [region_code]))
    }


def expected_plans(ctx, code, *, home: bool) -> set[str]:
    region_code = filter_region(ctx, code, home=home)
    return {
        label
        for label in PLANS
        if sees_plan(ctx, label) and (region_code is None or within(PLANS[label][0], [region_code]))
    }


def alliances_listed(ctx, code, response):
    shown = {a.pk for a in response.context["table"].data.data}
    assert shown == {ctx.pk(label) for label in expected_alliances(ctx, code, home=True)}


def alliances_exported(ctx, code, response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    shown = {label for label in ALLIANCES if ctx.obj(label).name in body}
    assert shown == expected_alliances(ctx, code, home=True)


def api_alliances_listed(ctx, code, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(label) for label in expected_alliances(ctx, code, home=False)}


def plans_listed(ctx, code, response):
    shown = {r.pk for r in response.context["table"].data.data}
    assert shown == {ctx.pk(label) for label in expected_plans(ctx, code, home=True)}


def api_plans_listed(ctx, code, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(label) for label in expected_plans(ctx, code, home=False)}


def shows_alliance(ctx, label, response):
    body = response.content.decode()
    alliance = ctx.obj(label)
    assert alliance.name in body and 'class="alliance-map"' in body
    assert all(region(c).name in body for c in member_codes(label))


def shows_plan(ctx, label, response):
    body = response.content.decode()
    assert f"#{ctx.pk(label)}" in body and 'class="alliance-map"' in body
    assert all(
        h.village.name in body for h in PlanHub.objects.filter(run_id=ctx.pk(label)).select_related("village")
    )


def alliance_created(ctx, label, response):
    organising, hub, member = NEW_ALLIANCES[label]
    alliance = Alliance.objects.select_related("region", "hub").get(name=MARK)
    assert (alliance.region.code, alliance.hub.code, alliance.created_by_id) == (
        organising,
        hub,
        ctx.actor.pk,
    )
    assert set(alliance.members.values_list("village__code", flat=True)) == {hub, member}


def goals_changed(ctx, label, response):
    assert Alliance.objects.get(pk=ctx.pk(label)).goals == MARK
    assert AllianceEvent.objects.filter(alliance_id=ctx.pk(label), action="edit", actor=ctx.actor).exists()


def alliance_moved(action: str, status: str):
    def check(ctx, label, response):
        assert Alliance.objects.get(pk=ctx.pk(label)).status == status
        assert AllianceEvent.objects.filter(
            alliance_id=ctx.pk(label), action=action, actor=ctx.actor
        ).exists()

    return check


def village_joined(ctx, label, response):
    assert AllianceMember.objects.filter(
        alliance_id=ctx.pk(label), village__code=JOINS[label], current=True
    ).exists()


def village_left(ctx, label, response):
    member = AllianceMember.objects.get(alliance_id=ctx.pk(label), village__code=LEAVES[label])
    assert not member.current and member.left_on == timezone.localdate()


def activity_recorded(ctx, label, response):
    activity = JointActivity.objects.get(alliance_id=ctx.pk(label), title=MARK)
    assert activity.recorded_by_id == ctx.actor.pk and activity.evidence.count() == 1


def is_photo(ctx, label, response):
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def plan_started(ctx, code, response):
    run = PlanRun.objects.select_related("region", "job").get(created_by=ctx.actor, params__max_km=31.0)
    assert run.region.code == code and run.status == PlanStatus.QUEUED and run.job.created_by == ctx.actor


def hub_dropped(ctx, label, response):
    assert PlanHub.objects.filter(run_id=ctx.pk(label)).count() == 1
    assert PlanEvent.objects.filter(run_id=ctx.pk(label), action="drop_hub", actor=ctx.actor).exists()


def move_body(ctx, label) -> dict:
    ctx.move = move_of(ctx, label)  # remembered for the check, which sees the plan after the move
    return dict(zip(("village", "hub"), ctx.move, strict=True))


def village_moved(ctx, label, response):
    village, hub = ctx.move
    row = PlanVillage.objects.select_related("hub").get(run_id=ctx.pk(label), village__code=village)
    assert row.hub.village.code == hub and row.moved
    assert PlanEvent.objects.filter(run_id=ctx.pk(label), action="move", actor=ctx.actor).exists()


def plan_adopted(ctx, label, response):
    run = PlanRun.objects.get(pk=ctx.pk(label))
    assert run.status == PlanStatus.ADOPTED and run.decided_by_id == ctx.actor.pk
    assert Alliance.objects.filter(plan=run).count() == 2


def plan_discarded(ctx, label, response):
    run = PlanRun.objects.get(pk=ctx.pk(label))
    assert run.status == PlanStatus.DISCARDED and run.decided_by_id == ctx.actor.pk


# Preparations and bodies


def with_goals(ctx, label):
    Alliance.objects.filter(pk=ctx.pk(label)).update(goals="抱团发展，淡季联合营销")


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (10, 6), (30, 120, 200)).save(out, "PNG")
    return SimpleUploadedFile("photo.png", out.getvalue())


def first_hub(ctx, label) -> PlanHub:
    return PlanHub.objects.filter(run_id=ctx.pk(label)).order_by("village__path").first()


def move_of(ctx, label) -> tuple[str, str]:
    """A non-hub village of the plan and the hub it is not in (each plan's hubs have room for one more)."""
    row = (
        PlanVillage.objects.filter(run_id=ctx.pk(label), hub__isnull=False)
        .exclude(village_id__in=PlanHub.objects.filter(run_id=ctx.pk(label)).values("village_id"))
        .select_related("village", "hub")
        .order_by("village__path")
        .first()
    )
    other = (
        PlanHub.objects.filter(run_id=ctx.pk(label)).exclude(pk=row.hub_id).select_related("village").get()
    )
    return row.village.code, other.village.code


def activity_form(ctx, label) -> dict:
    return {
        "occurred_on": timezone.localdate().isoformat(),
        "title": MARK,
        "summary": "联合推介民宿",
        "files": png(),
    }


def new_alliance_form(ctx, label) -> dict:
    organising, hub, member = NEW_ALLIANCES[label]
    return {
        "name": MARK,
        "theme": "",
        "region": organising,
        "hub": hub,
        "lead_mentor": "",
        "members": [member],
        "founded_on": timezone.localdate().isoformat(),
        "goals": "",
        "targets-TOTAL_FORMS": "0",
        "targets-INITIAL_FORMS": "0",
    }


def new_alliance_body(ctx, label) -> dict:
    organising, hub, member = NEW_ALLIANCES[label]
    return {"name": MARK, "region": organising, "hub": hub, "members": [member]}


def plan_form(ctx, code) -> dict:
    return {
        "area": code,
        "hubs_min": 1,
        "hubs_max": 2,
        "max_km": 31,
        "max_size": 10,
        "time_limit": 10,
        "qualification": "appointed",
        "weighting": "cadres",
    }


def plan_body(ctx, code) -> dict:
    data = plan_form(ctx, code)
    return {**{k: v for k, v in data.items() if k != "area"}, "region": code}


def action_kw(action):
    def kwargs(ctx, label):
        return {"pk": ctx.pk(label), "action": action}

    return kwargs


def page_action(action, rule, *, data=None, check=None, prepare=None):
    return Endpoint(
        targets=ALLIANCE_TARGETS,
        kwargs=action_kw(action),
        calls=(Call("POST", rule, ok=302, data=data, check=check, prepare=prepare),),
    )


# ---------------------------------------------------------------------------------------------------------------
# MATRIX_COVERAGE

ALLIANCE_ACTIONS = {
    "activate": dict(
        rule=manage_alliance, check=alliance_moved("activate", AllianceStatus.ACTIVE), prepare=with_goals
    ),
    "dissolve": dict(
        rule=manage_alliance,
        data=lambda ctx, label: {"dissolve-reason": MARK},
        check=alliance_moved("dissolve", AllianceStatus.DISSOLVED),
    ),
    "add_members": dict(
        rule=manage_alliance, data=lambda ctx, label: {"villages": [JOINS[label]]}, check=village_joined
    ),
    "remove_member": dict(
        rule=manage_alliance, data=lambda ctx, label: {"village": LEAVES[label]}, check=village_left
    ),
}


def alliance_action_calls() -> tuple[Call, ...]:
    calls = []
    for action, spec in ALLIANCE_ACTIONS.items():
        calls.append(
            Call(
                "POST",
                spec["rule"],
                ok=302,
                label=f"POST-{action}",
                data=spec.get("data"),
                check=spec["check"],
                prepare=spec.get("prepare"),
                url_kwargs=(("action", action),),
            )
        )
    return tuple(calls)


def api_action(rule, *, data=None, check=None, prepare=None, ok=200, method="POST"):
    return Endpoint(
        api=True,
        targets=ALLIANCE_TARGETS,
        kwargs=pk_kw,
        calls=(Call(method, rule, ok=ok, data=data, check=check, prepare=prepare),),
    )


def api_plan_action(rule, *, data=None, check=None):
    return Endpoint(
        api=True, targets=PLAN_TARGETS, kwargs=pk_kw, calls=(Call("POST", rule, data=data, check=check),)
    )


MATRIX_COVERAGE: dict[str, Endpoint] = {
    # Pages: alliances
    "alliances:list": Endpoint(
        targets=LIST_FILTERS,
        calls=(
            Call("GET", list_filter, query=region_query(), check=alliances_listed),
            Call(
                "GET",
                list_filter,
                label="GET-export",
                query=export_query,
                check=alliances_exported,
                targets=("all",),
            ),
        ),
    ),
    "alliances:create": Endpoint(
        targets=tuple(NEW_ALLIANCES),
        calls=(
            Call("GET", org_admins_only, targets=(None,)),
            Call("POST", create_alliance, ok=302, data=new_alliance_form, check=alliance_created),
        ),
    ),
    "alliances:detail": Endpoint(
        targets=ALLIANCE_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_alliance, check=shows_alliance),)
    ),
    "alliances:edit": Endpoint(
        targets=ALLIANCE_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", manage_alliance),
            Call(
                "POST",
                manage_alliance,
                ok=302,
                check=goals_changed,
                data=lambda ctx, label: {
                    "name": ctx.obj(label).name,
                    "theme": "",
                    "goals": MARK,
                    "targets-TOTAL_FORMS": "0",
                    "targets-INITIAL_FORMS": "0",
                },
            ),
        ),
    ),
    "alliances:action": Endpoint(targets=ALLIANCE_TARGETS, kwargs=pk_kw, calls=alliance_action_calls()),
    "alliances:activity_new": Endpoint(
        targets=ALLIANCE_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", record_activity),
            Call("POST", record_activity, ok=302, data=activity_form, check=activity_recorded),
        ),
    ),
    "alliances:evidence": Endpoint(
        targets=tuple(EVIDENCE),
        kwargs=lambda ctx, label: {"pk": ctx.obj(label).evidence.get().pk},
        calls=(Call("GET", read_evidence, check=is_photo),),
    ),
    # Pages: the planner
    "alliances:plans": Endpoint(
        targets=LIST_FILTERS, calls=(Call("GET", list_filter, query=region_query(), check=plans_listed),)
    ),
    "alliances:plan_new": Endpoint(
        targets=("330523", "330521"),
        calls=(
            Call("GET", org_admins_only, targets=(None,)),
            Call("POST", start_plan, ok=302, data=plan_form, check=plan_started),
        ),
    ),
    "alliances:plan_detail": Endpoint(
        targets=PLAN_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_plan, check=shows_plan),)
    ),
    "alliances:plan_edit": Endpoint(
        targets=PLAN_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                manage_plan,
                ok=302,
                label="POST-drop",
                data=lambda ctx, label: {"action": "drop", "hub": first_hub(ctx, label).pk},
                check=hub_dropped,
            ),
        ),
    ),
    "alliances:plan_adopt": Endpoint(
        targets=PLAN_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("POST", manage_plan, ok=302, data=lambda ctx, label: {"founded_on": ""}, check=plan_adopted),
        ),
    ),
    "alliances:plan_discard": Endpoint(
        targets=PLAN_TARGETS, kwargs=pk_kw, calls=(Call("POST", manage_plan, ok=302, check=plan_discarded),)
    ),
    # API: alliances
    "api:alliance-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_alliances_listed),
            Call(
                "POST",
                create_alliance,
                ok=201,
                data=new_alliance_body,
                check=alliance_created,
                targets=tuple(NEW_ALLIANCES),
            ),
        ),
    ),
    "api:alliance-detail": Endpoint(
        api=True,
        targets=ALLIANCE_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read_alliance, check=api_shows),
            Call("PATCH", manage_alliance, data=lambda ctx, label: {"goals": MARK}, check=goals_changed),
        ),
    ),
    "api:alliance-activate": api_action(
        manage_alliance, check=alliance_moved("activate", AllianceStatus.ACTIVE), prepare=with_goals
    ),
    "api:alliance-dissolve": api_action(
        manage_alliance,
        data=lambda ctx, label: {"reason": MARK},
        check=alliance_moved("dissolve", AllianceStatus.DISSOLVED),
    ),
    "api:alliance-members": api_action(
        manage_alliance, data=lambda ctx, label: {"villages": [JOINS[label]]}, check=village_joined
    ),
    "api:alliance-leave": api_action(
        manage_alliance, data=lambda ctx, label: {"village": LEAVES[label]}, check=village_left
    ),
    "api:alliance-activities": Endpoint(
        api=True,
        targets=ALLIANCE_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", read_alliance),
            Call("POST", record_activity, ok=201, data=activity_form, check=activity_recorded),
        ),
    ),
    "api:alliance-following": Endpoint(
        api=True, targets=ALLIANCE_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_alliance),)
    ),
    # API: plans
    "api:alliance-plan-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_plans_listed),
            Call(
                "POST", start_plan, ok=202, data=plan_body, check=plan_started, targets=("330523", "330521")
            ),
        ),
    ),
    "api:alliance-plan-detail": Endpoint(
        api=True, targets=PLAN_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_plan, check=api_shows),)
    ),
    "api:alliance-plan-move": api_plan_action(
        manage_plan,
        data=move_body,
        check=village_moved,
    ),
    "api:alliance-plan-drop-hub": api_plan_action(
        manage_plan, data=lambda ctx, label: {"hub": first_hub(ctx, label).village.code}, check=hub_dropped
    ),
    "api:alliance-plan-adopt": api_plan_action(manage_plan, data=lambda ctx, label: {}, check=plan_adopted),
    "api:alliance-plan-discard": api_plan_action(manage_plan, check=plan_discarded),
}

GUARDED = {
    Person: None,
    User: ["last_login"],
    RoleAssignment: None,
    Mentor: None,
    Alliance: None,
    AllianceMember: None,
    AllianceEvent: None,
    JointActivity: None,
    JointEvidence: None,
    PlanRun: None,
    PlanHub: None,
    PlanVillage: None,
    PlanEvent: None,
    Job: None,
}

CASES = build_cases(MATRIX_COVERAGE)


# ---------------------------------------------------------------------------------------------------------------
# The world, built once per module through the services.


def build_alliance_world(world, ns) -> SimpleNamespace:
    add_villages()
    organisers = {"prog_a": world.county_admin_a, "prog_b": world.county_admin_b}
    for label, (prog, name, code) in NEW_MENTORS.items():
        person = PersonFactory(name=name, region=region(code), birth_date=dt.date(1967, 4, 4))
        setattr(ns, label, pool.appointed_mentor(organisers[prog], getattr(ns, prog), person=person))
    founded = timezone.localdate() - dt.timedelta(days=30)
    for label, (organising, organiser, hub, lead, members) in ALLIANCES.items():
        alliance = services.form_alliance(
            actor=getattr(world, organiser),
            name=f"{region(hub).name}党建联盟",
            region=region(organising),
            hub=region(hub),
            lead_mentor=getattr(ns, lead),
            members=[region(c) for c in members],
            founded_on=founded,
        )
        setattr(ns, label, alliance)
    for label, alliance_label in EVIDENCE.items():
        alliance = getattr(ns, alliance_label)
        organiser = getattr(world, ALLIANCES[alliance_label][1])
        setattr(
            ns,
            label,
            services.record_activity(
                actor=organiser,
                alliance=alliance,
                occurred_on=timezone.localdate(),
                title="民宿联合推介",
                summary="淡季联合营销",
                files=[png()],
            ),
        )
    for label, (area, planner) in PLANS.items():
        run = services.start(
            actor=getattr(world, planner),
            area=region(area),
            params={"hubs_min": 2, "hubs_max": 2, "max_km": 30, "max_size": 3, "time_limit": 20},
            background=False,
        )
        assert run.status == PlanStatus.PROPOSED, run.error
        setattr(ns, label, run)
    return ns


@pytest.fixture(scope="module")
def alliance_world(pool_world, django_db_blocker):  # noqa: F811  (the pool module's fixture, imported above)
    """The pool world with the alliances on top, in the pool world's transaction (rolled back after the module)
    and with its media folder."""
    world, ns, far = pool_world
    with django_db_blocker.unblock():
        build_alliance_world(world, ns)
    return world, ns, far


@pytest.fixture
def actx(alliance_world, db) -> AllianceCtx:
    world, ns, far = alliance_world
    return AllianceCtx(world=world, cadre_far=far, pool=ns)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_alliance_permission_matrix(case: Case, actx, client):
    run_case(case, actx, client, guarded=GUARDED)


def test_alliance_world_is_as_declared(actx):
    for label, (organising, _organiser, hub, lead, members) in ALLIANCES.items():
        alliance = Alliance.objects.select_related("region", "hub").get(pk=actx.pk(label))
        assert (alliance.region.code, alliance.hub.code, alliance.lead_mentor_id) == (
            organising,
            hub,
            actx.pk(lead),
        )
        assert set(alliance.members.values_list("village__code", flat=True)) == {hub, *members}
    assert Alliance.objects.get(pk=actx.pk("al_city")).spans_counties
    for label, (area, _planner) in PLANS.items():
        run = PlanRun.objects.get(pk=actx.pk(label))
        assert run.region.code == area and run.hubs.count() == 2
        village, hub = move_of(actx, label)  # a move the size limit allows
        assert PlanHub.objects.get(run=run, village__code=hub).members.count() < run.params["max_size"]
    lead = Mentor.objects.get(pk=actx.pk("m_ss"))
    assert lead.person_id == actx.world.mentor_person.pk


def test_alliance_matrix_cannot_pass_vacuously(actx):
    outcomes, per_endpoint = set(), {}
    for case in CASES:
        actx.persona = case.persona
        outcome = _expected(case, actx)
        outcomes.add(outcome)
        per_endpoint.setdefault((case.url_name, case.persona), set()).add(outcome)
    assert {OK, DENIED, HIDDEN} <= outcomes
    for name, endpoint in MATRIX_COVERAGE.items():
        if endpoint.targets != (None,):
            seen = per_endpoint[(name, "county_admin_a")]
            assert HIDDEN in seen and seen - {HIDDEN}, name
    # County A reads the cross-county alliance and may not change it; the lead mentor records but does not manage.
    actx.persona = "county_admin_a"
    assert read_alliance(actx, "al_city") is OK and manage_alliance(actx, "al_city") is DENIED
    actx.persona = "mentor"
    assert record_activity(actx, "al_a") is OK and manage_alliance(actx, "al_a") is DENIED
    actx.persona = "auditor"
    assert all(read_alliance(actx, a) is OK and manage_alliance(actx, a) is DENIED for a in ALLIANCES)


def test_alliance_case_ids_are_unique():
    ids = [c.id for c in CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates
