"""Matching runs through the services, the API and the command line: rules, bad input, review, acceptance."""

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from bangdai.apprentices.choices import ApprenticeCategory
from bangdai.jobs.choices import JobStatus
from bangdai.jobs.models import Job
from bangdai.matching import services
from bangdai.matching.choices import RunStatus
from bangdai.matching.models import MatchPair, MatchRun, MatchUnpaired
from bangdai.mentors.models import Mentor
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import Pairing

from . import pool
from .factories import PersonFactory, region

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def person(name, village, born=dt.date(1996, 5, 1)):
    return PersonFactory(name=name, region=region(village), birth_date=born)


@pytest.fixture
def setup(world):
    """安吉县: two village mentors with one place each in 上墅乡, three apprentices (one in 孝丰镇, 12 km away)."""
    admin = world.county_admin_a
    prog = pool.programme(admin)
    near = pool.appointed_mentor(
        admin, prog, person=person("钱近", "330523205201", dt.date(1968, 1, 1)), capacity=1
    )
    far = pool.appointed_mentor(
        admin, prog, person=person("孙远", "330523205202", dt.date(1968, 1, 1)), capacity=1
    )
    a1 = pool.apprentice(admin, prog, person=person("周一", "330523205201"))
    a2 = pool.apprentice(admin, prog, person=person("吴二", "330523205202"))
    a3 = pool.apprentice(admin, prog, person=person("郑三", "330523105201"))
    return prog, (near, far), (a1, a2, a3)


def run_now(world, prog, **params):
    return services.start(actor=world.county_admin_a, programme=prog, params=params, background=False)


def test_a_run_pairs_within_capacity_and_explains_the_rest(world, setup):
    prog, (near, far), (a1, a2, a3) = setup
    run = run_now(world, prog)
    assert run.status == RunStatus.PROPOSED and run.number == 1
    pairs = {p.apprentice_id: p for p in run.pairs.all()}
    assert len(pairs) == 2 and {p.mentor_id for p in pairs.values()} == {near.pk, far.pk}
    for pair in pairs.values():
        assert 0 < pair.score <= 100 and set(pair.breakdown) >= {"distance", "coverage", "tier_fit"}
    [left] = run.unpaired.all()
    assert left.reason == "capacity_exhausted" and left.feasible_mentors == 0 or left.blocked_by
    assert run.summary["paired"] == 2 and run.summary["unpaired"] == 1
    assert run.summary["feasible_arcs"] >= 4
    # Nothing is committed to the pairing workflow before acceptance.
    assert not Pairing.objects.exists() and Mentor.objects.get(pk=near.pk).load == 0


def test_same_inputs_give_the_same_proposal(world, setup):
    prog, *_ = setup
    first, second = run_now(world, prog), run_now(world, prog)
    pairs = lambda run: list(run.pairs.values_list("apprentice_id", "mentor_id", "score"))  # noqa: E731
    assert pairs(first) == pairs(second) and second.number == 2


def test_the_distance_limit_is_a_hard_rule(world, setup):
    prog, mentors, (a1, a2, a3) = setup
    run = run_now(world, prog, max_distance_km=5)
    assert a3.pk not in set(run.pairs.values_list("apprentice_id", flat=True))
    left = run.unpaired.get(apprentice=a3)
    assert left.reason == "no_mentor_in_rules" and left.blocked_by.get("distance", 0) >= 1
    assert left.suggestion.get("kind") in ("raise_distance", "add_place")
    assert all(p.distance_km <= 5 for p in run.pairs.all())


def test_tier_rules_conflicts_and_self_pairing(world, setup):
    prog, (near, far), (a1, a2, a3) = setup
    from bangdai.pairings import services as pairing_services

    pairing_services.declare_conflict(
        actor=world.county_admin_a, mentor_person=near.person, apprentice_person=a1.person, kind="other"
    )
    a1.categories = [ApprenticeCategory.NEW_TOWNSHIP_CADRE]  # village mentors are not allowed for it
    a1.save(update_fields=["categories"])
    run = run_now(world, prog)
    assert not run.pairs.filter(apprentice=a1).exists()
    assert run.unpaired.get(apprentice=a1).reason == "no_mentor_in_rules"
    a1.categories = [ApprenticeCategory.NEW_VILLAGE_SECRETARY]
    a1.save(update_fields=["categories"])
    run = run_now(world, prog)
    assert not run.pairs.filter(apprentice=a1, mentor=near).exists()  # the declared conflict


def test_nobody_eligible_fails_cleanly(world, setup):
    prog, *_ = setup
    run = run_now(world, prog, categories=[ApprenticeCategory.FIRST_SECRETARY])
    assert run.status == RunStatus.FAILED and run.error["code"] == "no_apprentices"
    assert not MatchPair.objects.exists() and not MatchUnpaired.objects.exists()
    assert services.error_message(run)


def test_all_mentors_full_fails_cleanly(world, setup):
    prog, (near, far), _ = setup
    Mentor.objects.filter(pk__in=[near.pk, far.pk]).update(load=1)
    run = run_now(world, prog)
    assert run.status == RunStatus.FAILED and run.error["code"] == "no_places"


def test_contradictory_pins_name_the_records_and_save_nothing(world, setup):
    prog, (near, far), (a1, a2, a3) = setup
    run = run_now(world, prog, pinned=[[a1.pk, near.pk], [a2.pk, near.pk]])
    assert run.status == RunStatus.FAILED and run.error["code"] == "pin_over_capacity"
    message = services.error_message(run)
    assert "钱近" in message and "周一" in message and "吴二" in message
    assert not run.pairs.exists() and not run.unpaired.exists()


def test_a_pin_that_breaks_a_rule_is_refused(world, setup):
    prog, (near, far), (a1, a2, a3) = setup
    run = run_now(world, prog, pinned=[[a3.pk, near.pk]], max_distance_km=5)
    assert run.status == RunStatus.FAILED and run.error["code"] == "pin_breaks_rule"
    assert run.error["rule"] == "distance" and "郑三" in services.error_message(run)


def test_adjusting_keeps_the_parent_and_honours_pins_and_removals(world, setup):
    prog, (near, far), (a1, a2, a3) = setup
    parent = run_now(world, prog)
    pair = parent.pairs.first()
    child = services.adjust(
        actor=world.county_admin_a,
        run=parent,
        forbid=[(pair.apprentice_id, pair.mentor_id)],
        background=False,
    )
    assert child.parent == parent and child.status == RunStatus.PROPOSED
    assert not child.pairs.filter(apprentice_id=pair.apprentice_id, mentor_id=pair.mentor_id).exists()
    assert parent.pairs.count() == 2  # the parent is kept as it was
    pinned = services.adjust(actor=world.county_admin_a, run=parent, pin=[(a3.pk, near.pk)], background=False)
    assert pinned.pairs.get(apprentice=a3).mentor_id == near.pk and pinned.pairs.get(apprentice=a3).pinned


def test_swap_exchanges_mentors(world, setup):
    prog, *_ = setup
    run = run_now(world, prog)
    first, second = run.pairs.all()
    new = services.swap(actor=world.county_admin_a, run=run, first=first, second=second, background=False)
    assert new.pairs.get(apprentice_id=first.apprentice_id).mentor_id == second.mentor_id
    assert new.pairs.get(apprentice_id=second.apprentice_id).mentor_id == first.mentor_id


def test_accept_proposes_every_pair_once(world, setup):
    prog, (near, far), _ = setup
    run = run_now(world, prog)
    services.accept(actor=world.county_admin_a, run=run, background=False)
    run.refresh_from_db()
    assert run.status == RunStatus.ACCEPTED and run.decided_by == world.county_admin_a
    pairings = Pairing.objects.filter(status=PairingStatus.PROPOSED)
    assert pairings.count() == 2 and all("#1" in p.note for p in pairings)
    assert Mentor.objects.get(pk=near.pk).load == 1 and Mentor.objects.get(pk=far.pk).load == 1
    with pytest.raises(ValidationError):
        services.accept(actor=world.county_admin_a, run=run, background=False)
    assert Pairing.objects.count() == 2


def test_overlapping_acceptances_keep_capacity_and_write_nothing_of_the_loser(world, setup):
    prog, (near, far), (a1, a2, a3) = setup
    first = run_now(world, prog)
    second = run_now(world, prog, pinned=[[a3.pk, far.pk]])  # overlaps: both use the mentors' only places
    services.accept(actor=world.county_admin_a, run=first, background=False)
    with pytest.raises(ValidationError) as refused:
        services.accept(actor=world.county_admin_a, run=second, background=False)
    assert "孙远" in str(refused.value) or "钱近" in str(refused.value)
    second.refresh_from_db()
    assert second.status == RunStatus.PROPOSED  # nothing of it was accepted
    assert Pairing.objects.count() == 2
    assert all(m.load <= m.capacity for m in Mentor.objects.all())


def test_scope_and_rights(world, setup):
    prog, *_ = setup
    with pytest.raises(PermissionDenied):
        services.start(actor=world.county_admin_b, programme=prog, background=False)
    with pytest.raises(PermissionDenied):
        services.start(actor=world.auditor, programme=prog, background=False)
    with pytest.raises(ValidationError):
        services.start(actor=world.province_admin, programme=prog, area=region("330521"), background=False)
    assert not MatchRun.objects.exists()
    # A township committee matches its own township of the county programme.
    run = services.start(actor=world.township_a, programme=prog, area=region("330523205"), background=False)
    assert run.status == RunStatus.PROPOSED
    assert set(run.pairs.values_list("apprentice__region__code", flat=True)) <= {
        "330523205201",
        "330523205202",
    }
    assert list(MatchRun.objects.visible_to(world.county_admin_b)) == []


def test_refused_transitions_change_nothing(world, setup):
    prog, *_ = setup
    admin = world.county_admin_a
    run, other = run_now(world, prog), run_now(world, prog)
    first, second = run.pairs.order_by("pk")
    # Swapping needs two different pairs of the run itself.
    for pair_a, pair_b in ((first, first), (first, other.pairs.first())):
        with pytest.raises(ValidationError):
            services.swap(actor=admin, run=run, first=pair_a, second=pair_b, background=False)
    assert MatchRun.objects.count() == 2
    # Outsiders and auditors may neither accept nor discard.
    for actor in (world.county_admin_b, world.auditor):
        with pytest.raises(PermissionDenied):
            services.accept(actor=actor, run=run, background=False)
        with pytest.raises(PermissionDenied):
            services.discard(actor=actor, run=run)
    # A discarded run cannot be accepted, nor an accepted one discarded.
    services.discard(actor=admin, run=other)
    with pytest.raises(ValidationError):
        services.accept(actor=admin, run=other, background=False)
    stale = MatchRun.objects.get(pk=run.pk)
    services.accept(actor=admin, run=run, background=False)
    with pytest.raises(ValidationError):
        services.discard(actor=admin, run=run)
    # A second acceptance holding the run as it was before the first is refused by the compare-and-set.
    with pytest.raises(ValidationError):
        services.accept_now(admin, stale)
    statuses = dict(MatchRun.objects.values_list("pk", "status"))
    assert statuses == {run.pk: RunStatus.ACCEPTED, other.pk: RunStatus.DISCARDED}
    assert Pairing.objects.count() == 2


def test_bad_parameters_are_refused_by_field(world, setup):
    prog, *_ = setup
    with pytest.raises(ValidationError) as error:
        run_now(world, prog, weights={"distance": -1}, max_distance_km=0, pinned=[[1]])
    assert set(error.value.message_dict) == {"weights", "max_distance_km", "pinned"}
    assert not MatchRun.objects.exists()


def test_a_run_in_the_background(world, setup, settings, django_capture_on_commit_callbacks):
    prog, *_ = setup
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start(actor=world.county_admin_a, programme=prog)
    run.refresh_from_db()
    job = Job.objects.get(pk=run.job_id)
    assert job.status == JobStatus.SUCCEEDED and job.kind == "matching"
    assert run.status == RunStatus.PROPOSED and run.pairs.count() == 2


# --- API ---


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.county_admin_a)
    return client


def test_api_runs_reviews_adjusts_and_accepts(world, setup, api):
    prog, (near, far), (a1, a2, a3) = setup
    response = api.post("/api/match-runs/", {"programme": prog.pk, "background": False}, format="json")
    assert response.status_code == 201, response.json()
    run = response.json()
    assert run["status"] == "proposed" and run["summary"]["paired"] == 2
    pairs = api.get(f"/api/match-runs/{run['id']}/pairs/").json()["results"]
    assert len(pairs) == 2 and pairs[0]["mentor_name"] in ("钱近", "孙远") and pairs[0]["breakdown"]
    unpaired = api.get(f"/api/match-runs/{run['id']}/unpaired/").json()["results"]
    assert len(unpaired) == 1 and unpaired[0]["reason_display"]
    body = {"forbid": [[pairs[0]["apprentice"], pairs[0]["mentor"]]], "background": False}
    child = api.post(f"/api/match-runs/{run['id']}/adjust/", body, format="json").json()
    assert child["parent"] == run["id"] and child["status"] == "proposed"
    assert api.post(f"/api/match-runs/{child['id']}/accept/", {}, format="json").status_code == 200
    assert Pairing.objects.count() == 2
    assert api.post(f"/api/match-runs/{run['id']}/discard/").json()["status"] == "discarded"


def test_api_refusals(world, setup):
    prog, *_ = setup
    other = APIClient()
    other.force_authenticate(world.county_admin_b)
    response = other.post("/api/match-runs/", {"programme": prog.pk, "background": False}, format="json")
    assert response.status_code == 404  # the programme is out of scope
    run = run_now(world, prog)
    assert other.get(f"/api/match-runs/{run.pk}/").status_code == 404
    assert other.post(f"/api/match-runs/{run.pk}/accept/", {}, format="json").status_code == 404
    auditor = APIClient()
    auditor.force_authenticate(world.auditor)
    assert auditor.get(f"/api/match-runs/{run.pk}/").status_code == 200
    assert auditor.post(f"/api/match-runs/{run.pk}/accept/", {}, format="json").status_code == 403
    api = APIClient()
    api.force_authenticate(world.county_admin_a)
    bad = api.post(
        "/api/match-runs/",
        {"programme": prog.pk, "weights": {"distance": 500}, "background": False},
        format="json",
    )
    assert bad.status_code == 400 and not MatchRun.objects.exclude(pk=run.pk).exists()


# --- command line ---


def test_cli_dry_run_writes_nothing(world, setup):
    prog, *_ = setup
    out = io.StringIO()
    call_command("match", "--programme", str(prog.pk), "--dry-run", "--json", "--as", "anji", stdout=out)
    result = json.loads(out.getvalue())
    assert result["summary"]["paired"] == 2 and len(result["pairs"]) == 2 and len(result["unpaired"]) == 1
    assert not MatchRun.objects.exists()


def test_cli_keeps_a_run_and_accepts_it(world, setup):
    prog, *_ = setup
    out = io.StringIO()
    call_command(
        "match", "--programme", str(prog.pk), "--region", "330523205", "--as", "shangshu", stdout=out
    )
    run = MatchRun.objects.get()
    assert "kept for review" in out.getvalue() and run.region.code == "330523205"
    call_command("match", "--accept", str(run.pk), "--as", "anji", stdout=io.StringIO())
    assert MatchRun.objects.get().status == RunStatus.ACCEPTED and Pairing.objects.exists()


def test_cli_refusals(world, setup):
    prog, *_ = setup
    with pytest.raises(CommandError, match="not found"):
        call_command("match", "--programme", str(prog.pk), "--as", "deqing")
    with pytest.raises(CommandError):
        call_command("match", "--programme", str(prog.pk), "--weight", "charm=3", "--as", "anji")
