"""Radiation alliances: the planner against brute force, its limits and reports; forming, following and dissolving
alliances; proposals edited and adopted all or nothing; scope, the API and the command line."""

import datetime as dt
import io
import itertools
import json
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from rest_framework.test import APIClient

from bangdai.alliances import planner, services
from bangdai.alliances.choices import AllianceStatus, PlanStatus, Unplaced
from bangdai.alliances.models import (
    Alliance,
    AllianceEvent,
    AllianceMember,
    JointEvidence,
    PlanRun,
    PlanVillage,
)
from bangdai.alliances.planner import Candidate, PlanError, PlanInput, Village
from bangdai.mentors.choices import MentorTitle
from bangdai.regions import services as region_services

from . import pool
from .factories import PersonFactory, region

# ---------------------------------------------------------------------------------------------------------------
# The planner, pure


def brute_force(problem: PlanInput):
    """(villages left without room, objective) of the best plan, by enumerating every hub set and assignment."""
    villages = sorted(problem.villages, key=lambda v: v.id)
    where = {v.id: v for v in villages}
    hubs = sorted(c.village_id for c in problem.candidates)

    def km(a, b):
        return 0.0 if a == b else planner.road_km(where[a].lng, where[a].lat, where[b].lng, where[b].lat)

    reach = {v.id: {h for h in hubs if v.id == h or km(v.id, h) <= problem.max_km} for v in villages}
    reachable = {v for v, found in reach.items() if found}
    if problem.hubs_min > len(hubs):
        return "too_few_candidates"
    hubs_max = min(problem.hubs_max, len(hubs))
    if len(reachable) > hubs_max * problem.max_size:
        return "no_room"
    best = None
    for k in range(problem.hubs_min, hubs_max + 1):
        for opened in itertools.combinations(hubs, k):
            others = [v for v in villages if v.id not in opened]
            options = [[h for h in opened if h in reach[v.id]] + [None] for v in others]
            for choice in itertools.product(*options):
                load = Counter(c for c in choice if c is not None)
                if any(load[h] + 1 > problem.max_size for h in opened):
                    continue
                lost = sum(1 for v, c in zip(others, choice, strict=True) if c is None and v.id in reachable)
                cost = sum(
                    max(1, v.weight) * int(planner.steps(km(v.id, c)))
                    for v, c in zip(others, choice, strict=True)
                    if c is not None
                )
                best = min(best or (lost, cost), (lost, cost))
    return best


@st.composite
def tiny_problems(draw):
    n = draw(st.integers(2, 6))
    villages = tuple(
        Village(
            id=i + 1,
            lng=119.5 + draw(st.integers(0, 30)) / 100,
            lat=30.5 + draw(st.integers(0, 25)) / 100,
            weight=draw(st.integers(1, 4)),
        )
        for i in range(n)
    )
    hub_ids = draw(
        st.lists(st.sampled_from([v.id for v in villages]), min_size=1, max_size=min(4, n), unique=True)
    )
    hubs_min = draw(st.integers(1, len(hub_ids) + 1))
    return PlanInput(
        villages=villages,
        candidates=tuple(Candidate(h, 100 + h) for h in hub_ids),
        hubs_min=hubs_min,
        hubs_max=draw(st.integers(hubs_min, len(hub_ids) + 1)),
        max_km=draw(st.sampled_from([5.0, 12.0, 20.0, 60.0])),
        max_size=draw(st.integers(1, n)),
        time_limit=30,
    )


def check_plan(problem: PlanInput, result: planner.PlanResult) -> None:
    """Every limit holds and every village is accounted for once."""
    opened = {c.village_id for c in result.hubs}
    assert problem.hubs_min <= len(opened) <= problem.hubs_max
    assert opened <= {c.village_id for c in problem.candidates}
    by_hub = Counter(a.hub_village_id for a in result.assignments)
    assert set(by_hub) <= opened and all(n <= problem.max_size for n in by_hub.values())
    own = {a.village_id: a.hub_village_id for a in result.assignments}
    assert all(own[h] == h for h in opened), "a hub's own village is in its alliance"
    assert all(a.km <= problem.max_km + 1e-9 for a in result.assignments)
    placed = [a.village_id for a in result.assignments] + [u.village_id for u in result.unassigned]
    assert sorted(placed) == sorted(v.id for v in problem.villages)


def solve_or_error(problem):
    try:
        return planner.solve(problem)
    except PlanError as error:
        return error.code


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_planner_matches_brute_force(problem):
    expected = brute_force(problem)
    result = solve_or_error(problem)
    if isinstance(expected, str):
        assert result == expected
        return
    assert result.status == planner.OPTIMAL and result.gap == 0
    assert (result.without_room, result.objective) == expected
    assert result.objective <= result.greedy_objective or result.without_room < result.greedy_unassigned
    check_plan(problem, result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_kernel_path_is_exact_and_its_bound_valid(problem):
    """The route large areas take (Lagrangian bound, kernel MIP, full MIP) gives the same optimum."""
    expected = brute_force(problem)
    if isinstance(expected, str):
        return
    original = planner.KERNEL_ARCS
    planner.KERNEL_ARCS = 0
    try:
        result = planner.solve(problem)
    finally:
        planner.KERNEL_ARCS = original
    assert (result.without_room, result.objective) == expected and result.status == planner.OPTIMAL
    inst = planner._instance(problem)
    hubs_max = planner._room(inst)
    start = planner._assign_nearest(inst, planner._choose_greedily(inst, hubs_max))
    relaxed = planner._lagrangian(
        inst, hubs_max, planner._model_objective(inst, start), 1e18, bool(planner._lost(inst, start).any())
    )
    assert relaxed.bound <= result.model_objective + 1e-6


def grid(n_side: int, hubs_every: int, spacing=0.02, weight=1):
    villages = tuple(
        Village(id=i * n_side + j + 1, lng=119.6 + i * spacing, lat=30.5 + j * spacing, weight=weight)
        for i in range(n_side)
        for j in range(n_side)
    )
    return villages, tuple(Candidate(v.id, 1000 + v.id) for v in villages if v.id % hubs_every == 0)


def test_distance_and_size_limits_hold():
    villages, candidates = grid(6, 4)
    problem = PlanInput(villages, candidates, hubs_min=3, hubs_max=3, max_km=12, max_size=12)
    result = planner.solve(problem)
    check_plan(problem, result)
    assert max(Counter(a.hub_village_id for a in result.assignments).values()) <= 12
    tighter = planner.solve(replace(problem, max_size=13, hubs_min=3, hubs_max=3, max_km=6))
    assert all(a.km <= 6 for a in tighter.assignments)
    assert {u.reason for u in tighter.unassigned} <= {planner.OUT_OF_REACH, planner.NO_ROOM}


def test_unreachable_villages_are_reported_with_the_nearest_hub():
    villages, candidates = grid(3, 3)
    far = Village(id=99, lng=120.3, lat=30.5)  # about 70 km east
    problem = PlanInput((*villages, far), candidates, hubs_min=1, hubs_max=3, max_km=10, max_size=20)
    result = planner.solve(problem)
    (lost,) = result.unassigned
    assert lost.village_id == 99 and lost.reason == planner.OUT_OF_REACH
    nearest = min(candidates, key=lambda c: -next(v.lng for v in villages if v.id == c.village_id))
    assert lost.nearest_hub_village_id == nearest.village_id and 60 < lost.nearest_km < 100
    assert result.status == planner.OPTIMAL  # the far village does not make the model infeasible


def test_size_limit_that_cannot_hold_the_area_is_refused_with_what_would():
    villages, candidates = grid(5, 5)
    with pytest.raises(PlanError) as caught:
        planner.solve(PlanInput(villages, candidates, hubs_min=2, hubs_max=2, max_km=50, max_size=10))
    assert caught.value.code == "no_room"
    assert caught.value.figures == {
        "villages": 25,
        "hubs_max": 2,
        "max_size": 10,
        "hubs_needed": 3,
        "size_needed": 13,
    }


def test_villages_left_without_room_when_geometry_forbids():
    """Two clusters far apart, one hub each, one cluster larger than the size limit: the excess has no room."""
    west = [Village(i, 119.60 + i * 0.001, 30.5) for i in range(1, 6)]
    east = [Village(10 + i, 120.20 + i * 0.001, 30.5) for i in range(1, 3)]
    problem = PlanInput(
        (*west, *east), (Candidate(1, 1), Candidate(11, 2)), hubs_min=2, hubs_max=2, max_km=10, max_size=4
    )
    result = planner.solve(problem)
    assert result.without_room == 1 and result.status == planner.OPTIMAL
    assert {u.reason for u in result.unassigned} == {planner.NO_ROOM}
    assert brute_force(problem) == (result.without_room, result.objective)


def random_area(n=900, share=0.35, seed=3):
    rng = np.random.default_rng(seed)
    centres = rng.uniform([118.6, 28.7], [119.2, 29.2], (n // 12, 2))
    points = np.repeat(centres, 12, axis=0) + rng.uniform(-0.035, 0.035, (n // 12 * 12, 2))
    villages = tuple(
        Village(i + 1, float(x), float(y), int(rng.integers(2, 8))) for i, (x, y) in enumerate(points)
    )
    candidates = tuple(Candidate(v.id, v.id) for v in villages if rng.random() < share)
    return villages, candidates


def test_time_limit_is_reported_honestly():
    villages, candidates = random_area()
    problem = PlanInput(
        villages, candidates, hubs_min=60, hubs_max=60, max_km=20, max_size=25, time_limit=1.0
    )
    result = planner.solve(problem)
    assert result.status == planner.TIME_LIMIT and result.gap > 0
    assert 0 < result.bound < result.objective
    assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)
    assert (
        result.seconds < 1.0 + 3.0
    )  # the deadline holds inside HiGHS too (building the model takes a moment)
    check_plan(problem, result)
    assert result.objective <= result.greedy_objective


def test_greedy_baseline_is_never_better_than_the_optimum():
    villages, candidates = grid(6, 3)
    problem = PlanInput(villages, candidates, hubs_min=4, hubs_max=4, max_km=15, max_size=12)
    exact, greedy = planner.solve(problem), planner.greedy(problem)
    assert exact.status == planner.OPTIMAL and exact.objective <= greedy.objective


def test_the_planner_uses_the_matching_engines_road_distance():
    engine = pytest.importorskip("bangdai.matching.engine")
    for a, b in [((119.6, 30.5), (119.7, 30.6)), ((118.9, 28.9), (120.2, 30.3))]:
        assert planner.road_km(*a, *b) == pytest.approx(engine.road_km(*a, *b), rel=1e-9)


def test_bad_input_is_refused_with_a_stable_code():
    villages, candidates = grid(2, 1)
    base = PlanInput(villages, candidates, hubs_min=1, hubs_max=1, max_km=10, max_size=4)
    cases = {
        "no_villages": replace(base, villages=()),
        "no_candidates": replace(base, candidates=()),
        "candidate_twice": replace(base, candidates=(Candidate(1, 1), Candidate(1, 2))),
        "candidate_unknown": replace(base, candidates=(Candidate(77, 1),)),
        "bad_limits": replace(base, hubs_min=2, hubs_max=1),
        "too_few_candidates": replace(base, hubs_min=5, hubs_max=5),
    }
    for code, problem in cases.items():
        with pytest.raises(PlanError) as caught:
            planner.solve(problem)
        assert caught.value.code == code


# ---------------------------------------------------------------------------------------------------------------
# The database world: villages and appointed mentors in 安吉县 (county A) and 德清县 (county B)

# Villages added to tests/conftest.py's: (code, name, lng, lat)
EXTRA_VILLAGES = [
    ("330523205203", "八亩墩村", "119.615", "30.515"),
    ("330523205204", "董岭村", "119.625", "30.505"),
    ("330523105202", "南溪村", "119.555", "30.595"),
    ("330523105203", "石门村", "119.565", "30.605"),
    ("330521002202", "东衡村", "119.945", "30.560"),
    ("330521002203", "郭肇村", "119.950", "30.545"),
    ("330521002204", "城北村", "119.935", "30.565"),
    ("330521002205", "莫干村", "119.925", "30.575"),
    ("330521002206", "劳岭村", "119.915", "30.580"),
]


def add_villages():
    region_services.import_villages(
        [{"code": c, "name": n, "parent_code": c[:9], "lng": x, "lat": y} for c, n, x, y in EXTRA_VILLAGES],
        source="tests",
    )


def mentor_at(actor, prog, code: str, name: str, **profile):
    """An appointed mentor whose home (and workplace) is the village ``code``."""
    person = PersonFactory(name=name, region=region(code), birth_date=dt.date(1968, 3, 3))
    return pool.appointed_mentor(actor, prog, person=person, **profile)


@pytest.fixture
def land(world):
    """Programmes of counties A and B with village mentors at 刘家塘村, 横溪坞村, 八亩墩村 (A) and 东衡村 (B)."""
    add_villages()
    prog_a = pool.programme(world.county_admin_a)
    prog_b = pool.programme(world.county_admin_b, code="330521", name="德清县2027年导师帮带")
    ns = type("Land", (), {})()
    ns.prog_a, ns.prog_b = prog_a, prog_b
    ns.liu = pool.appointed_mentor(world.county_admin_a, prog_a, person=world.mentor_person)  # 刘家塘村
    ns.heng = mentor_at(world.county_admin_a, prog_a, "330523105201", "钱横溪")
    ns.bamu = mentor_at(
        world.county_admin_a, prog_a, "330523205203", "沈八亩", titles=[MentorTitle.XINGCUN_MINGSHI]
    )
    ns.dong = mentor_at(world.county_admin_b, prog_b, "330521002202", "孙东衡")
    return ns


def village(code):
    return region(code)


def form_a(world, land, **changes):
    data = {
        "actor": world.county_admin_a,
        "name": "刘家塘党建联盟",
        "region": region("330523"),
        "hub": village("330523205202"),
        "lead_mentor": land.liu,
        "members": [village("330523205201")],
        "theme": "民宿共富",
    }
    return services.form_alliance(**{**data, **changes})


@pytest.mark.django_db
def test_form_an_alliance_with_its_members_and_first_event(world, land):
    alliance = form_a(
        world,
        land,
        targets=[{"description": "民宿淡季入住率", "value": "60", "unit": "%", "due": "2027-12-31"}],
    )
    assert alliance.status == AllianceStatus.FORMING and not alliance.spans_counties
    assert sorted(m.village.code for m in alliance.members.all()) == ["330523205201", "330523205202"]
    assert alliance.members.get(is_hub=True).village.code == "330523205202"
    assert alliance.targets == [
        {"description": "民宿淡季入住率", "value": 60, "unit": "%", "due": "2027-12-31"}
    ]
    assert AllianceEvent.objects.get(alliance=alliance).action == "form"


@pytest.mark.django_db
def test_the_lead_mentor_must_live_in_the_hub_and_lead_one_alliance(world, land):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        form_a(world, land, hub=village("330523205203"))
    assert "home must be the hub village" in str(caught.value.message_dict["lead_mentor"])
    form_a(world, land)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        form_a(world, land, members=[village("330523205204")])
    errors = caught.value.message_dict
    assert "already leads" in " ".join(errors["lead_mentor"]) and "already belongs" in " ".join(errors["hub"])


@pytest.mark.django_db
def test_cross_county_only_when_the_organising_region_covers_both(world, land):
    # County A's department cannot reach into county B: the service refuses it (the pages and API answer 404).
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        form_a(world, land, members=[village("330521002203")])
    assert "outside 安吉县" in " ".join(caught.value.message_dict["members"])
    with pytest.raises(PermissionDenied):
        form_a(world, land, region=region("330500"))  # county A does not organise at the city
    # The province organises in 湖州市 (its subtree): one alliance across 安吉县 and 德清县.
    alliance = form_a(
        world, land, actor=world.province_admin, region=region("330500"), members=[village("330521002203")]
    )
    assert alliance.spans_counties
    # … but not when it organises at 安吉县.
    with pytest.raises(ValidationError):
        form_a(
            world,
            land,
            actor=world.province_admin,
            hub=village("330523105201"),
            lead_mentor=land.heng,
            members=[village("330521002204")],
        )


@pytest.mark.django_db
def test_a_village_belongs_to_one_live_alliance_and_is_free_after_dissolution(world, land):
    first = form_a(world, land)
    with pytest.raises(ValidationError):
        services.form_alliance(
            actor=world.county_admin_a,
            name="横溪坞联盟",
            region=region("330523"),
            hub=village("330523105201"),
            lead_mentor=land.heng,
            members=[village("330523205201")],
        )
    with pytest.raises(ValidationError) as caught:
        services.dissolve(world.county_admin_a, first, reason=" ")
    assert "reason" in caught.value.message_dict
    services.dissolve(world.county_admin_a, first, reason="并入新联盟")
    assert not AllianceMember.objects.filter(alliance=first, current=True).exists()
    second = services.form_alliance(
        actor=world.county_admin_a,
        name="横溪坞联盟",
        region=region("330523"),
        hub=village("330523105201"),
        lead_mentor=land.heng,
        members=[village("330523205201")],
    )
    assert second.members.filter(current=True).count() == 2
    with pytest.raises(ValidationError):
        services.add_members(world.county_admin_a, first, [village("330523205204")])  # dissolved: no change


@pytest.mark.django_db
def test_the_database_keeps_one_current_membership_per_village(world, land):
    form_a(world, land)
    other = form_a(world, land, hub=village("330523105201"), lead_mentor=land.heng, members=[])
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AllianceMember.objects.create(
            alliance=other, village=village("330523205201"), joined_on=dt.date.today()
        )


@pytest.mark.django_db
def test_start_needs_goals_and_happens_once(world, land):
    alliance = form_a(world, land)
    with translation.override("en"), pytest.raises(ValidationError, match="shared goals"):
        services.activate(world.county_admin_a, alliance)
    services.update_alliance(world.county_admin_a, alliance, goals="抱团发展民宿，淡季联合营销")
    services.activate(world.county_admin_a, alliance)
    assert Alliance.objects.get(pk=alliance.pk).status == AllianceStatus.ACTIVE
    with pytest.raises(ValidationError):
        services.activate(world.county_admin_a, alliance)
    assert AllianceEvent.objects.filter(alliance=alliance, action="activate").count() == 1


@pytest.mark.django_db
def test_members_join_and_leave_but_the_hub_stays(world, land):
    alliance = form_a(world, land)
    services.add_members(world.county_admin_a, alliance, [village("330523105202")])
    with pytest.raises(ValidationError):
        services.add_members(world.county_admin_a, alliance, [village("330523105202")])
    with pytest.raises(ValidationError):
        services.remove_member(world.county_admin_a, alliance, village("330523205202"))
    services.remove_member(world.county_admin_a, alliance, village("330523105202"), reason="撤并")
    left = AllianceMember.objects.get(alliance=alliance, village__code="330523105202")
    assert not left.current and left.left_on == timezone.localdate()
    steps = AllianceEvent.objects.filter(alliance=alliance, village__code="330523105202").order_by("at", "id")
    assert [(e.action, e.actor, e.reason) for e in steps] == [
        ("join", world.county_admin_a, ""),
        ("leave", world.county_admin_a, "撤并"),
    ]
    with pytest.raises(PermissionDenied):
        services.add_members(world.auditor, alliance, [village("330523105202")])


@pytest.mark.django_db
def test_targets_are_checked_one_by_one():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.clean_targets(
            [
                {"description": "", "value": 1},
                {"description": "x", "value": "-3"},
                {"description": "y", "value": 2, "due": "2027-13-01"},
            ]
        )
    messages = caught.value.message_dict["targets"]
    assert [m.split(":")[0] for m in messages] == ["Target 1", "Target 2", "Target 3"]


def png_bytes(size=(12, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.mark.django_db
def test_joint_activities_with_evidence_and_bad_input(world, land, tmp_path):
    alliance = form_a(world, land, founded_on=timezone.localdate() - dt.timedelta(days=30))
    today = timezone.localdate()
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        bad = {
            "occurred_on": today + dt.timedelta(days=1),
            "title": "民宿联合推介",
            "summary": "淡季联合营销",
            "files": [upload("a.exe", b"MZ" + b"\0" * 100)],
            "villages": [village("330523105201")],
        }
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            services.record_activity(actor=world.county_admin_a, alliance=alliance, **bad)
        errors = caught.value.message_dict
        assert set(errors) == {"occurred_on", "files", "villages"}
        assert not JointEvidence.objects.exists() and not alliance.activities.exists()
        before = services.record_activity
        with pytest.raises(ValidationError):
            before(
                actor=world.county_admin_a,
                alliance=alliance,
                occurred_on=today - dt.timedelta(days=31),
                title="x",
                summary="y",
            )
        # The lead mentor records one with a photo; the village list defaults to every member.
        activity = services.record_activity(
            actor=world.mentor,
            alliance=alliance,
            occurred_on=today,
            title="民宿联合推介",
            summary="三村联合直播带客",
            files=[upload("photo.png", png_bytes())],
        )
        assert activity.villages.count() == 2
        evidence = activity.evidence.get()
        assert evidence.kind == "image" and evidence.file.read().startswith(b"\x89PNG")
    with pytest.raises(PermissionDenied):
        services.record_activity(
            actor=world.township_a, alliance=alliance, occurred_on=today, title="x", summary="y"
        )


@pytest.mark.django_db
def test_following_members_counts_joint_and_ledger_activities(world, land):
    from bangdai.alliances import selectors

    alliance = form_a(world, land, founded_on=timezone.localdate() - dt.timedelta(days=10))
    services.record_activity(
        actor=world.county_admin_a,
        alliance=alliance,
        occurred_on=timezone.localdate(),
        title="联合培训",
        summary="两村干部联合培训",
        villages=[village("330523205201")],
    )
    has_ledger, rows = selectors.member_activity(alliance, world.county_admin_a)
    counts = {r.member.village.code: (r.joint, r.ledger) for r in rows}
    assert counts["330523205201"][0] == 1 and counts["330523205202"][0] == 0
    assert all(ledger == 0 for _joint, ledger in counts.values())  # no ledger activity recorded here
    assert isinstance(has_ledger, bool)


def test_the_ledger_selector_returns_nothing_without_the_ledger(monkeypatch):
    from django.apps import apps

    from bangdai.alliances import selectors

    def missing(app_label, model_name=None):
        raise LookupError(app_label)

    monkeypatch.setattr(apps, "get_model", missing)
    assert selectors.ledger_counts(None, [1, 2]) == (False, {})


# ---------------------------------------------------------------------------------------------------------------
# Proposals


@pytest.fixture
def county_plan(world, land):
    """安吉县 planned with two hubs: every village not in an alliance, 刘家塘村's, 横溪坞村's and 八亩墩村's mentors."""
    return services.start(
        actor=world.county_admin_a,
        area=region("330523"),
        params={"hubs_min": 2, "hubs_max": 2, "max_km": 25, "max_size": 6, "time_limit": 20},
        background=False,
    )


@pytest.mark.django_db
def test_a_county_plan_places_every_village_within_the_limits(world, land, county_plan):
    run = county_plan
    assert run.status == PlanStatus.PROPOSED
    solver, proposal = run.summary["solver"], run.summary["proposal"]
    assert (
        solver["status"] == "optimal"
        and solver["gap_pct"] == 0
        and solver["bound_km"] == solver["objective_km"]
    )
    villages = {v.code for v in services.plan_input(region("330523"), run.params)[1].villages.values()}
    assert {r.village.code for r in run.villages.all()} == villages
    assert (
        proposal["hubs"] == 2 and proposal["placed"] == len(villages) and proposal["unplaced"]["no_room"] == 0
    )
    assert proposal["objective_km"] == solver["objective_km"]
    hubs = {h.village.code: h.mentor for h in run.hubs.select_related("village", "mentor")}
    assert all(m.region.code == code for code, m in hubs.items())
    for hub in run.hubs.all():
        assert hub.members.count() <= 6 and hub.members.filter(village=hub.village).exists()


@pytest.mark.django_db
def test_the_titled_qualification_narrows_the_hubs(world, land):
    run = services.start(
        actor=world.county_admin_a,
        area=region("330523"),
        params={"hubs_min": 1, "hubs_max": 1, "max_km": 40, "max_size": 30, "qualification": "titled"},
        background=False,
    )
    assert [h.village.code for h in run.hubs.all()] == ["330523205203"]  # only 沈八亩 holds a title


@pytest.mark.django_db
def test_a_plan_that_cannot_be_made_keeps_the_reason(world, land):
    run = services.start(
        actor=world.county_admin_a,
        area=region("330523"),
        params={"hubs_min": 1, "hubs_max": 1, "max_km": 40, "max_size": 2},
        background=False,
    )
    assert run.status == PlanStatus.FAILED and run.error["code"] == "no_room"
    with translation.override("en"):
        assert "allow at least" in services.error_message(run)
    assert not run.hubs.exists()


@pytest.mark.django_db
def test_plan_parameters_are_checked(world, land):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.start(
            actor=world.county_admin_a,
            area=region("330523"),
            params={"hubs_min": 5, "hubs_max": 2, "max_km": 0, "qualification": "x"},
            background=False,
        )
    assert set(caught.value.message_dict) == {"hubs_min", "max_km", "qualification"}
    with pytest.raises(PermissionDenied):
        services.start(actor=world.township_a, area=region("330523"), background=False)
    with pytest.raises(PermissionDenied):
        services.start(actor=world.county_admin_a, area=region("330521"), background=False)
    with pytest.raises(PermissionDenied):  # a township is not an area the planner serves
        services.start(actor=world.county_admin_a, area=region("330523205"), background=False)
    assert not PlanRun.objects.exists()


@pytest.mark.django_db
def test_move_a_village_within_the_size_limit_and_drop_a_hub(world, land, county_plan):
    run = county_plan
    hubs = list(run.hubs.select_related("village"))
    a, b = hubs
    row = run.villages.filter(hub=a).exclude(village=a.village).select_related("village").first()
    moved = services.move(actor=world.county_admin_a, run=run, village=row.village, hub=b)
    assert moved.hub == b and moved.moved and moved.km > 0
    with pytest.raises(ValidationError):  # a hub's own village moves only with its hub
        services.move(actor=world.county_admin_a, run=run, village=a.village, hub=b)
    run.refresh_from_db()
    assert run.summary["proposal"]["edited"]
    b_size = b.members.count()
    run.params = {**run.params, "max_size": b_size}
    PlanRun.objects.filter(pk=run.pk).update(params=run.params)
    other = run.villages.filter(hub=a).exclude(village=a.village).first()
    if other is not None:
        with translation.override("en"), pytest.raises(ValidationError, match="size limit"):
            services.move(actor=world.county_admin_a, run=run, village=other.village, hub=b)
    run.params = {**run.params, "max_size": 30}
    PlanRun.objects.filter(pk=run.pk).update(params=run.params)
    services.drop_hub(actor=world.county_admin_a, run=run, hub=a)
    assert list(run.hubs.all()) == [b]
    assert not run.villages.filter(hub__isnull=True, reason="").exists()
    rows = list(run.villages.all())
    assert all(r.hub_id == b.pk or r.reason == Unplaced.HUB_DROPPED for r in rows)
    with pytest.raises(PermissionDenied):
        services.drop_hub(actor=world.auditor, run=run, hub=b)


@pytest.mark.django_db
def test_adopt_forms_every_alliance(world, land, county_plan):
    run = county_plan
    alliances = services.adopt(actor=world.county_admin_a, run=run)
    assert len(alliances) == 2 and PlanRun.objects.get(pk=run.pk).status == PlanStatus.ADOPTED
    for alliance in alliances:
        hub = run.hubs.get(village=alliance.hub)
        assert alliance.lead_mentor == hub.mentor and alliance.plan == run and alliance.status == "forming"
        assert {m.village_id for m in alliance.members.all()} == set(
            hub.members.values_list("village_id", flat=True)
        )
    with pytest.raises(ValidationError):
        services.adopt(actor=world.county_admin_a, run=run)


@pytest.mark.django_db
def test_adopt_is_all_or_nothing(world, land, county_plan):
    run = county_plan
    hub = run.hubs.select_related("village", "mentor").first()
    member = run.villages.filter(hub=hub).exclude(village=hub.village).select_related("village").first()
    # Meanwhile one planned village joins an alliance formed by hand: the proposal no longer fits.
    taken = member.village if member is not None else hub.village
    other_hub = run.hubs.exclude(pk=hub.pk).select_related("village", "mentor").first()
    services.form_alliance(
        actor=world.county_admin_a,
        name="抢先联盟",
        region=region("330523"),
        hub=other_hub.village,
        lead_mentor=other_hub.mentor,
        members=[taken] if taken != other_hub.village else [],
    )
    before = Alliance.objects.count()
    with translation.override("en"), pytest.raises(ValidationError, match="Nothing was adopted"):
        services.adopt(actor=world.county_admin_a, run=run)
    assert Alliance.objects.count() == before
    assert PlanRun.objects.get(pk=run.pk).status == PlanStatus.PROPOSED


@pytest.mark.django_db
def test_discard_and_nothing_changes_after(world, land, county_plan):
    services.discard(actor=world.county_admin_a, run=county_plan)
    row = (
        PlanVillage.objects.filter(run=county_plan, hub__isnull=False)
        .select_related("village", "hub")
        .first()
    )
    with pytest.raises(ValidationError):
        services.drop_hub(actor=world.county_admin_a, run=county_plan, hub=row.hub)
    with pytest.raises(ValidationError):
        services.adopt(actor=world.county_admin_a, run=county_plan)


@pytest.mark.django_db
def test_villages_in_live_alliances_are_left_out_of_plans(world, land):
    form_a(world, land)
    run = services.start(
        actor=world.county_admin_a,
        area=region("330523"),
        params={"hubs_min": 1, "hubs_max": 2, "max_km": 40, "max_size": 20},
        background=False,
    )
    codes = {r.village.code for r in run.villages.all()}
    assert not codes & {"330523205201", "330523205202"}
    assert "330523205202" not in {h.village.code for h in run.hubs.all()}  # 陈导师 leads an alliance already


# ---------------------------------------------------------------------------------------------------------------
# Pages


@pytest.mark.django_db
def test_pages_for_an_alliance_and_a_plan(client, world, land, county_plan):
    alliance = form_a(world, land)
    client.force_login(world.county_admin_a)
    for url in [
        "/alliances/",
        f"/alliances/{alliance.pk}/",
        "/alliances/new/",
        f"/alliances/{alliance.pk}/edit/",
        f"/alliances/{alliance.pk}/activities/new/",
        "/alliances/plans/",
        "/alliances/plans/new/",
        f"/alliances/plans/{county_plan.pk}/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/alliances/plans/{county_plan.pk}/").content.decode()
    assert "<svg" in page and "alliance-map" in page and "HiGHS" not in page.split("<main")[0]
    assert "http://" not in page.split('<svg class="alliance-map"')[1].split("</svg>")[0]  # nothing fetched


@pytest.mark.django_db
def test_page_create_edit_start_record_and_dissolve(client, world, land, tmp_path):
    client.force_login(world.county_admin_a)
    data = {
        "name": "刘家塘党建联盟",
        "theme": "民宿共富",
        "region": "330523",
        "hub": "330523205202",
        "lead_mentor": "",
        "members": ["330523205201"],
        "founded_on": timezone.localdate().isoformat(),
        "goals": "",
        "targets-TOTAL_FORMS": "2",
        "targets-INITIAL_FORMS": "0",
        "targets-0-description": "民宿淡季入住率",
        "targets-0-value": "60",
        "targets-0-unit": "%",
        "targets-0-due": "",
        "targets-1-description": "",
        "targets-1-value": "",
        "targets-1-unit": "",
        "targets-1-due": "",
    }
    response = client.post("/alliances/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    alliance = Alliance.objects.get()
    assert alliance.lead_mentor == land.liu and alliance.targets[0]["value"] == 60
    response = client.post(f"/alliances/{alliance.pk}/activate/")
    assert Alliance.objects.get().status == "forming"  # no goals yet: refused with a message
    client.post(
        f"/alliances/{alliance.pk}/edit/",
        {
            "name": alliance.name,
            "theme": "民宿共富",
            "goals": "淡季联合营销，共享客源",
            "targets-TOTAL_FORMS": "0",
            "targets-INITIAL_FORMS": "0",
        },
    )
    client.post(f"/alliances/{alliance.pk}/activate/")
    assert Alliance.objects.get().status == "active"
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        response = client.post(
            f"/alliances/{alliance.pk}/activities/new/",
            {
                "occurred_on": timezone.localdate().isoformat(),
                "title": "民宿联合推介",
                "summary": "两村联合直播",
                "villages": [str(village("330523205201").pk)],
                "files": [upload("p.png", png_bytes())],
            },
        )
        assert response.status_code == 302
        evidence = JointEvidence.objects.get()
        assert client.get(f"/alliances/evidence/{evidence.pk}/").status_code == 200
    # A county B village is out of county A's reach: 404, nothing changes.
    assert (
        client.post(f"/alliances/{alliance.pk}/add_members/", {"villages": ["330521002203"]}).status_code
        == 404
    )
    response = client.post(f"/alliances/{alliance.pk}/dissolve/", {"dissolve-reason": ""})
    assert response.status_code == 200 and Alliance.objects.get().status == "active"
    client.post(f"/alliances/{alliance.pk}/dissolve/", {"dissolve-reason": "调整"})
    assert Alliance.objects.get().status == "dissolved"


@pytest.mark.django_db
def test_plan_pages_edit_and_adopt(client, world, land, county_plan):
    client.force_login(world.county_admin_a)
    a, b = county_plan.hubs.all()
    response = client.post(f"/alliances/plans/{county_plan.pk}/edit/", {"action": "drop", "hub": a.pk})
    assert response.status_code == 302 and county_plan.hubs.count() == 1
    response = client.post(f"/alliances/plans/{county_plan.pk}/adopt/", {"founded_on": ""})
    assert response.status_code == 302 and Alliance.objects.count() == 1


@pytest.mark.django_db
def test_scope_county_b_gets_404_and_the_auditor_reads_only(client, world, land, county_plan):
    alliance = form_a(world, land)
    client.force_login(world.county_admin_b)
    for url in [
        f"/alliances/{alliance.pk}/",
        f"/alliances/{alliance.pk}/edit/",
        f"/alliances/plans/{county_plan.pk}/",
    ]:
        assert client.get(url).status_code == 404
    assert client.post(f"/alliances/{alliance.pk}/dissolve/", {"dissolve-reason": "x"}).status_code == 404
    client.force_login(world.auditor)
    assert client.get(f"/alliances/{alliance.pk}/").status_code == 200
    assert client.get(f"/alliances/plans/{county_plan.pk}/").status_code == 200
    assert client.post(f"/alliances/{alliance.pk}/dissolve/", {"dissolve-reason": "x"}).status_code == 403
    assert client.post(f"/alliances/plans/{county_plan.pk}/adopt/", {}).status_code == 403
    assert client.get("/alliances/new/").status_code == 403
    assert Alliance.objects.get().status == "forming"


@pytest.mark.django_db
def test_pages_in_english_and_chinese(client, world, land, county_plan):
    alliance = form_a(world, land)
    client.force_login(world.county_admin_a)
    chinese = client.get(f"/alliances/{alliance.pk}/").content.decode()
    assert "共同目标" in chinese and "成员村" in chinese
    english = client.get(f"/alliances/{alliance.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.cookies["django_language"] = "en"
    english = client.get(f"/alliances/{alliance.pk}/").content.decode()
    assert "Shared goals" in english


# ---------------------------------------------------------------------------------------------------------------
# API


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.county_admin_a)
    return client


@pytest.mark.django_db
def test_api_form_follow_record_and_dissolve(api, world, land, tmp_path):
    response = api.post(
        "/api/alliances/",
        {
            "name": "刘家塘党建联盟",
            "region": "330523",
            "hub": "330523205202",
            "members": ["330523205201"],
            "goals": "淡季联合营销",
            "targets": [{"description": "民宿入住率", "value": 60, "unit": "%"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lead_mentor"] == land.liu.pk and {m["village"] for m in body["members"]} == {
        "330523205201",
        "330523205202",
    }
    pk = body["id"]
    assert api.post(f"/api/alliances/{pk}/activate/").json()["status"] == "active"
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        response = api.post(
            f"/api/alliances/{pk}/activities/",
            {
                "occurred_on": timezone.localdate().isoformat(),
                "title": "联合推介",
                "summary": "两村联合直播",
                "villages": ["330523205201"],
                "files": [upload("p.png", png_bytes())],
            },
            format="multipart",
        )
        assert response.status_code == 201, response.json()
        assert (
            response.json()["villages"] == ["330523205201"]
            and response.json()["evidence"][0]["kind"] == "image"
        )
        bad = api.post(
            f"/api/alliances/{pk}/activities/",
            {
                "occurred_on": "2099-01-01",
                "title": "x",
                "summary": "y",
                "files": [upload("x.txt", b"hello")],
            },
            format="multipart",
        )
        assert bad.status_code == 400 and {e["attr"] for e in bad.json()["errors"]} == {
            "occurred_on",
            "files",
        }
    following = api.get(f"/api/alliances/{pk}/following/").json()
    assert {v["village"]: v["joint_activities"] for v in following["villages"]} == {
        "330523205202": 0,
        "330523205201": 1,
    }
    response = api.patch(f"/api/alliances/{pk}/", {"theme": "民宿共富"}, format="json")
    assert response.json()["theme"] == "民宿共富"
    assert (
        api.post(f"/api/alliances/{pk}/members/", {"villages": ["330521002203"]}, format="json").status_code
        == 404
    )
    assert (
        api.post(f"/api/alliances/{pk}/leave/", {"village": "330523205201"}, format="json").status_code == 200
    )
    response = api.post(f"/api/alliances/{pk}/dissolve/", {"reason": "调整"}, format="json")
    assert response.json()["status"] == "dissolved"


@pytest.mark.django_db
def test_api_plan_move_and_adopt(api, world, land):
    response = api.post(
        "/api/alliance-plans/",
        {
            "region": "330523",
            "hubs_min": 2,
            "hubs_max": 2,
            "max_km": 25,
            "max_size": 6,
            "time_limit": 20,
            "background": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "proposed" and body["summary"]["solver"]["status"] == "optimal"
    first, second = body["hubs"]
    mover = next(v for v in first["villages"] if v["village"] != first["village"])
    response = api.post(
        f"/api/alliance-plans/{body['id']}/move/",
        {"village": mover["village"], "hub": second["village"]},
        format="json",
    )
    assert response.status_code == 200
    moved = next(h for h in response.json()["hubs"] if h["village"] == second["village"])
    assert mover["village"] in {v["village"] for v in moved["villages"]}
    response = api.post(f"/api/alliance-plans/{body['id']}/adopt/", {}, format="json")
    assert response.status_code == 200 and len(response.json()["alliances"]) == 2
    other = APIClient()
    other.force_authenticate(world.county_admin_b)
    assert other.get(f"/api/alliance-plans/{body['id']}/").status_code == 404
    auditor = APIClient()
    auditor.force_authenticate(world.auditor)
    assert auditor.get(f"/api/alliance-plans/{body['id']}/").status_code == 200
    assert auditor.post(f"/api/alliance-plans/{body['id']}/discard/").status_code == 403


# ---------------------------------------------------------------------------------------------------------------
# Command line


def run_cli(*args) -> str:
    out = io.StringIO()
    call_command("alliances", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_cli_plan_adopt_list_and_show(world, land):
    rows = json.loads(
        run_cli(
            "plan",
            "--region",
            "330523",
            "--hubs",
            "2",
            "--max-km",
            "25",
            "--max-size",
            "6",
            "--json",
            "--as",
            "anji",
        )
    )
    (plan,) = rows
    assert plan["status"] == "proposed" and plan["solver"]["status"] == "optimal"
    formed = json.loads(run_cli("adopt", str(plan["id"]), "--json", "--as", "anji"))
    assert len(formed) == 2 and all(r["status"] == "forming" for r in formed)
    listed = json.loads(run_cli("list", "--json", "--as", "anji"))
    assert {r["id"] for r in listed} == {r["id"] for r in formed}
    shown = json.loads(run_cli("show", str(formed[0]["id"]), "--json", "--as", "auditor"))
    assert shown[0]["villages"] and shown[0]["villages"][0]["joint_activities"] == 0
    assert json.loads(run_cli("list", "--json", "--as", "deqing")) == []
    with pytest.raises(CommandError, match="not found"):
        run_cli("show", str(formed[0]["id"]), "--as", "deqing")
    with pytest.raises(CommandError, match="Permission denied"):
        run_cli("dissolve", str(formed[0]["id"]), "--reason", "x", "--as", "auditor")


@pytest.mark.django_db
def test_cli_create_activate_and_refusals(world, land):
    out = run_cli(
        "create",
        "--name",
        "刘家塘党建联盟",
        "--region",
        "330523",
        "--hub",
        "330523205202",
        "--member",
        "330523205201",
        "--goals",
        "淡季联合营销",
        "--as",
        "anji",
    )
    assert "formed" in out
    pk = Alliance.objects.get().pk
    assert "active" in run_cli("activate", str(pk), "--as", "anji")
    with pytest.raises(CommandError, match="give --mentor"):
        run_cli("create", "--name", "重复", "--region", "330523", "--hub", "330523205202", "--as", "anji")
    with pytest.raises(CommandError, match="Refused"):  # 陈导师 leads one alliance already
        run_cli(
            "create",
            "--name",
            "重复",
            "--region",
            "330523",
            "--hub",
            "330523205202",
            "--mentor",
            str(land.liu.pk),
            "--as",
            "anji",
        )
    with pytest.raises(CommandError, match="not found"):
        run_cli("create", "--name", "越界", "--region", "330523", "--hub", "330521002202", "--as", "anji")
    with pytest.raises(CommandError, match="failed"):
        run_cli("plan", "--region", "330523", "--hubs", "1", "--max-size", "2", "--as", "anji")


@pytest.mark.django_db
def test_the_benchmark_villages_are_the_demos():
    """bench/alliances.py scatters the villages exactly as the demo generator does (安吉县's are the demo's own)."""
    from bangdai.demo.generator import Generator
    from bench.alliances import demo_villages

    demo = {
        r["code"]: (r["name"], float(r["lng"]), float(r["lat"]))
        for r in Generator("county").village_rows()
        if r["code"].startswith("330523") and r["kind"] == "村"
    }
    bench = {v["code"]: (v["name"], round(v["lng"], 6), round(v["lat"], 6)) for v in demo_villages("330523")}
    assert bench == demo and len(bench) == 170


@pytest.mark.django_db
def test_lists_run_a_fixed_number_of_queries(client, world, land):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    form_a(world, land)
    client.force_login(world.county_admin_a)
    api = APIClient()
    api.force_authenticate(world.county_admin_a)

    def counts():
        with CaptureQueriesContext(connection) as page:
            assert client.get("/alliances/", {"region": ""}).status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert api.get("/api/alliances/").status_code == 200
        return len(page), len(listed)

    one = counts()
    for hub, lead in (("330523105201", land.heng), ("330523205203", land.bamu)):
        form_a(world, land, name=f"{hub}联盟", hub=village(hub), lead_mentor=lead, members=[])
    assert counts() == one
