"""The matching pages as each role: starting a run, the review page (pairs, explanations, unpaired, map), its
adjustments (pin, remove, leave out, swap, other weights), acceptance, failures and comparison.

安吉县 (county A): two village mentors with one place each in 上墅乡, four apprentices: two next to them, one in
孝丰镇 (about 12 km away) and one more in 上墅村, so a run pairs two and explains the other two.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

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
WEIGHTS = {"distance": 40, "coverage": 25, "tier_fit": 15, "locality": 10, "balance": 5, "continuity": 5}


def person(name, village, born=dt.date(1996, 5, 1)):
    return PersonFactory(name=name, region=region(village), birth_date=born)


@pytest.fixture
def setup(world):
    admin = world.county_admin_a
    prog = pool.programme(admin, match_weight_distance=40, match_weight_tier_fit=15, match_weight_balance=5)
    near = pool.appointed_mentor(
        admin, prog, person=person("钱近", "330523205201", dt.date(1968, 1, 1)), capacity=1
    )
    far = pool.appointed_mentor(
        admin, prog, person=person("孙远", "330523205202", dt.date(1968, 1, 1)), capacity=1
    )
    apprentices = [
        pool.apprentice(admin, prog, person=person(name, village))
        for name, village in (
            ("周一", "330523205201"),
            ("吴二", "330523205202"),
            ("郑三", "330523105201"),
            ("冯四", "330523205201"),
        )
    ]
    return prog, (near, far), apprentices


def signed_in(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def run_now(world, prog, actor=None, **params) -> MatchRun:
    return services.start(
        actor=actor or world.county_admin_a, programme=prog, params=params, background=False
    )


def start_form(prog, area="330523", **changes) -> dict:
    data = {"area": area, "max_distance_km": 30, **{f"weight_{k}": v for k, v in WEIGHTS.items()}}
    return {**data, **changes}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- starting a run ---


def test_the_start_form_offers_the_users_areas_and_the_programmes_rules(world, setup):
    prog, *_ = setup
    admin = signed_in(world.county_admin_a)
    chooser = admin.get("/matching/new/")
    assert chooser.status_code == 200 and prog.name in text(chooser)
    page = admin.get(f"/matching/new/?programme={prog.pk}")
    form = page.context["form"]
    assert {f: form[f].value() for f in ("weight_distance", "weight_tier_fit", "weight_balance")} == {
        "weight_distance": 40,
        "weight_tier_fit": 15,
        "weight_balance": 5,
    }
    assert form["max_distance_km"].value() == 30
    codes = set(form.areas)
    assert {"330523", "330523205", "330523105"} <= codes and not any(c.startswith("330521") for c in codes)
    # A township committee runs matches for its own township only.
    township = signed_in(world.township_a).get(f"/matching/new/?programme={prog.pk}")
    assert set(township.context["form"].areas) == {"330523205"}
    # Auditors, mentors and apprentices may not start runs; another county's admin does not see the programme.
    assert signed_in(world.auditor).get(f"/matching/new/?programme={prog.pk}").status_code == 403
    assert signed_in(world.mentor).get("/matching/new/").status_code == 403
    assert signed_in(world.county_admin_b).get(f"/matching/new/?programme={prog.pk}").status_code == 404
    assert Client().get("/matching/new/").status_code == 302


def test_county_admin_runs_a_match_and_reviews_it(world, setup, settings, django_capture_on_commit_callbacks):
    prog, (near, far), (a1, a2, a3, a4) = setup
    settings.TASKS = IMMEDIATE
    admin = signed_in(world.county_admin_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/matching/new/?programme={prog.pk}", start_form(prog))
    run = MatchRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/matching/{run.pk}/"
    assert run.status == RunStatus.PROPOSED and run.created_by == world.county_admin_a
    assert run.params["weights"] == WEIGHTS and run.region.code == "330523"
    assert Job.objects.get(pk=run.job_id).status == JobStatus.SUCCEEDED

    page = admin.get(response["Location"])
    body = text(page)
    assert page.status_code == 200
    pairs = list(run.pairs.select_related("apprentice__person", "mentor__person"))
    assert len(pairs) == 2
    for pair in pairs:
        assert pair.apprentice.person.name in body and pair.mentor.person.name in body
        assert f'value="pin:{pair.pk}"' in body and f'value="remove:{pair.pk}"' in body
    # Each score broken down by weighted criterion, and the runner-up and why in words.
    assert body.count('class="score-part') >= 2 and "Distance (距离): " in body
    assert "Runner-up" in body or "The only mentor" in body
    # The unpaired, with the reason, the rules that excluded mentors and the suggestion, in words.
    unpaired = list(run.unpaired.select_related("apprentice__person"))
    assert len(unpaired) == 2
    for row in unpaired:
        assert row.apprentice.person.name in body
        assert row.get_reason_display() in body
    assert "2 mentors within the rules, whose places went to others" in body
    assert "One more place for" in body or "Raising the distance limit to" in body
    # The map: inline SVG with a line per pair, a dot per mentor and apprentice, the unpaired marked.
    svg = body[body.index('<svg class="run-map"') : body.index("</svg>", body.index('<svg class="run-map"'))]
    assert svg.count('<line x1="') >= 2 and svg.count('class="dot-mentor"') == 2
    assert svg.count('class="dot-unpaired"') == 2 and svg.count('class="dot-apprentice"') == 2
    assert "http" not in svg  # no tiles, nothing fetched
    # The summary and the solver's figures; the controls.
    assert "Proven optimum" in body and f"{run.summary['feasible_arcs']}" in body
    assert "Accept 2 pairs" in body and f'action="/matching/{run.pk}/discard/"' in body


def test_a_queued_run_shows_its_progress_and_reloads_when_done(world, setup):
    prog, *_ = setup
    admin = signed_in(world.county_admin_a)
    response = admin.post(f"/matching/new/?programme={prog.pk}", start_form(prog))  # no worker runs it
    run = MatchRun.objects.get()
    assert run.status == RunStatus.QUEUED
    page = admin.get(response["Location"])
    assert 'id="run-progress"' in text(page) and 'hx-trigger="every 2s"' in text(page)
    assert f'href="/jobs/{run.job_id}/"' in text(page) and "/accept/" not in text(page)
    poll = admin.get(f"/matching/{run.pk}/", headers={"HX-Request": "true", "HX-Target": "run-progress"})
    assert poll.status_code == 200 and "every 2s" in text(poll) and "<html" not in text(poll)
    services.solve(run)
    done = admin.get(f"/matching/{run.pk}/", headers={"HX-Request": "true", "HX-Target": "run-progress"})
    assert done.status_code == 200 and done["HX-Refresh"] == "true"


def test_a_bad_area_is_a_field_error_or_out_of_scope(world, setup):
    prog, *_ = setup
    admin = signed_in(world.township_a)
    # A village of the township is visible but not an area a run covers; another township is out of scope.
    invalid = admin.post(f"/matching/new/?programme={prog.pk}", start_form(prog, area="330523205201"))
    assert invalid.status_code == 200 and invalid.context["form"].errors["area"]
    for code in ("330523105", "330521"):
        assert (
            admin.post(f"/matching/new/?programme={prog.pk}", start_form(prog, area=code)).status_code == 404
        )
    no_weight = start_form(prog, area="330523205", **{f"weight_{k}": 0 for k in WEIGHTS})
    assert admin.post(f"/matching/new/?programme={prog.pk}", no_weight).context["form"].non_field_errors()
    assert not MatchRun.objects.exists()


# --- who sees and changes what ---


def test_another_county_gets_404_on_every_page_of_a_run(world, setup):
    prog, *_ = setup
    run = run_now(world, prog)
    other = signed_in(world.county_admin_b)
    for url in ("", "compare/"):
        assert other.get(f"/matching/{run.pk}/{url}").status_code == 404
    for action in ("adjust", "swap", "accept", "discard"):
        assert other.post(f"/matching/{run.pk}/{action}/", {"row": "pin:1"}).status_code == 404
    assert other.get("/matching/?region=").context["table"].paginator.count == 0
    assert MatchRun.objects.get().status == RunStatus.PROPOSED and MatchRun.objects.count() == 1


def test_an_auditor_sees_a_run_but_changes_nothing(world, setup):
    prog, *_ = setup
    run = run_now(world, prog)
    auditor = signed_in(world.auditor)
    page = auditor.get(f"/matching/{run.pk}/")
    assert page.status_code == 200 and 'class="run-map"' in text(page)
    assert "/accept/" not in text(page) and 'value="pin:' not in text(page)  # no controls offered
    pair = run.pairs.first()
    for action, data in (
        ("accept", {}),
        ("discard", {}),
        ("adjust", {"row": f"pin:{pair.pk}"}),
        ("swap", {"pairs": list(run.pairs.values_list("pk", flat=True))}),
    ):
        assert auditor.post(f"/matching/{run.pk}/{action}/", data).status_code == 403, action
    assert MatchRun.objects.count() == 1 and MatchRun.objects.get().status == RunStatus.PROPOSED
    assert not Pairing.objects.exists()
    # Mentors and apprentices see no runs at all.
    assert signed_in(world.mentor).get(f"/matching/{run.pk}/").status_code == 404


def test_the_list_filters_by_programme_and_status(world, setup):
    prog, *_ = setup
    first = run_now(world, prog)
    second = run_now(world, prog)
    services.discard(actor=world.county_admin_a, run=second)
    admin = signed_in(world.county_admin_a)
    listed = admin.get(f"/matching/?programme={prog.pk}&status=proposed")
    assert [r.pk for r in listed.context["table"].page.object_list.data] == [first.pk]
    assert len(admin.get("/matching/").context["table"].page.object_list) == 2
    csv = b"".join(admin.get("/matching/?export=csv").streaming_content).decode("utf-8-sig")
    assert prog.name in csv and "330523" in csv and csv.count("\n") == 3  # the header and two runs
    xlsx = admin.get("/matching/?export=xlsx")
    body = b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content
    assert xlsx.status_code == 200 and body[:2] == b"PK"


# --- adjusting ---


def adjust(client, run, data, settings, capture):
    settings.TASKS = IMMEDIATE
    with capture(execute=True):
        response = client.post(f"/matching/{run.pk}/adjust/", data)
    assert response.status_code == 302, text(response)[:3000]
    child = MatchRun.objects.latest("pk")
    assert child.parent == run and response["Location"] == f"/matching/{child.pk}/"
    return child


def test_pinning_a_pair_makes_a_child_run_that_keeps_it(
    world, setup, settings, django_capture_on_commit_callbacks
):
    prog, (near, far), (a1, a2, a3, a4) = setup
    run = run_now(world, prog)
    admin = signed_in(world.county_admin_a)
    # Pin the apprentice in 孝丰镇 to a mentor it did not get: the pin wins over the optimum.
    target = run.pairs.get(mentor=near)
    child = adjust(admin, run, {"row": f"pin:{target.pk}"}, settings, django_capture_on_commit_callbacks)
    assert child.status == RunStatus.PROPOSED and child.params["pinned"] == [[target.apprentice_id, near.pk]]
    kept = child.pairs.get(apprentice_id=target.apprentice_id)
    assert kept.mentor_id == near.pk and kept.pinned and kept.why == "pinned"
    assert run.pairs.count() == 2 and not run.pairs.filter(pinned=True).exists()  # the parent is kept
    page = text(admin.get(f"/matching/{child.pk}/"))
    assert f'href="/matching/{run.pk}/"' in page and f'value="unpin:{kept.pk}"' in page
    # Unpinning it again from the child.
    grandchild = adjust(
        admin, child, {"row": f"unpin:{kept.pk}"}, settings, django_capture_on_commit_callbacks
    )
    assert grandchild.params["pinned"] == []
    # Leaving out a pinned apprentice unpins it as well (a pin would bring it back into the run).
    left_out = adjust(
        admin,
        child,
        {"action": "exclude_apprentice", "pairs": [kept.pk]},
        settings,
        django_capture_on_commit_callbacks,
    )
    assert left_out.params["pinned"] == [] and left_out.params["exclude_apprentices"] == [kept.apprentice_id]
    assert not left_out.pairs.filter(apprentice_id=kept.apprentice_id).exists()


def test_removing_and_leaving_out(world, setup, settings, django_capture_on_commit_callbacks):
    prog, (near, far), (a1, a2, a3, a4) = setup
    run = run_now(world, prog)
    admin = signed_in(world.county_admin_a)
    pair = run.pairs.get(mentor=near)
    removed = adjust(admin, run, {"row": f"remove:{pair.pk}"}, settings, django_capture_on_commit_callbacks)
    assert removed.params["forbidden"] == [[pair.apprentice_id, near.pk]]
    assert not removed.pairs.filter(apprentice_id=pair.apprentice_id, mentor=near).exists()
    both = list(run.pairs.values_list("pk", flat=True))
    left_out = adjust(
        admin, run, {"action": "exclude_mentor", "pairs": both}, settings, django_capture_on_commit_callbacks
    )
    assert left_out.params["exclude_mentors"] == sorted([near.pk, far.pk])
    assert left_out.status == RunStatus.FAILED and left_out.error["code"] == "no_places"
    unpaired = run.unpaired.first()
    dropped = adjust(
        admin, run, {"row": f"exclude_unpaired:{unpaired.pk}"}, settings, django_capture_on_commit_callbacks
    )
    assert dropped.params["exclude_apprentices"] == [unpaired.apprentice_id]
    assert not dropped.pairs.filter(apprentice_id=unpaired.apprentice_id).exists()
    assert not dropped.unpaired.filter(apprentice_id=unpaired.apprentice_id).exists()


def test_rerunning_with_other_weights_and_a_longer_distance(
    world, setup, settings, django_capture_on_commit_callbacks
):
    prog, (near, far), (a1, a2, a3, a4) = setup
    run = run_now(world, prog, max_distance_km=5)
    admin = signed_in(world.county_admin_a)
    far_away = run.unpaired.get(apprentice=a3)
    assert far_away.suggestion["kind"] == "raise_distance"
    page = text(admin.get(f"/matching/{run.pk}/"))
    assert f'value="raise_distance:{far_away.pk}"' in page and "Raising the distance limit to" in page
    raised = adjust(
        admin, run, {"row": f"raise_distance:{far_away.pk}"}, settings, django_capture_on_commit_callbacks
    )
    assert raised.params["max_distance_km"] >= far_away.suggestion["km"] > 5
    data = {"action": "rerun", "max_distance_km": 20, "tiers": ["village"]}
    data |= {f"weight_{k}": 10 for k in WEIGHTS}
    reweighed = adjust(admin, run, data, settings, django_capture_on_commit_callbacks)
    assert reweighed.params["weights"] == {k: 10 for k in WEIGHTS}
    assert reweighed.params["max_distance_km"] == 20 and reweighed.params["tiers"] == ["village"]
    # A bad weight is shown on the review page and starts nothing.
    before = MatchRun.objects.count()
    refused = admin.post(f"/matching/{run.pk}/adjust/", {**data, "weight_distance": 101})
    assert refused.status_code == 200 and refused.context["params_form"].errors["weight_distance"]
    assert MatchRun.objects.count() == before


def test_swapping_two_pairs(world, setup, settings, django_capture_on_commit_callbacks):
    prog, (near, far), _ = setup
    run = run_now(world, prog)
    first, second = run.pairs.order_by("pk")
    admin = signed_in(world.county_admin_a)
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/matching/{run.pk}/swap/", {"pairs": [first.pk, second.pk]})
    child = MatchRun.objects.get(parent=run)
    assert response["Location"] == f"/matching/{child.pk}/"
    assert child.pairs.get(apprentice_id=first.apprentice_id).mentor_id == second.mentor_id
    assert child.pairs.get(apprentice_id=second.apprentice_id).mentor_id == first.mentor_id
    # One pair, or a pair of another run, is refused on the page with nothing started.
    one = admin.post(f"/matching/{run.pk}/swap/", {"pairs": [first.pk]})
    assert one.status_code == 200 and "Select exactly two pairs" in text(one)
    foreign = admin.post(f"/matching/{child.pk}/swap/", {"pairs": [first.pk, second.pk]})
    assert foreign.status_code == 200 and "Choose pairs of this run" in text(foreign)
    assert MatchRun.objects.count() == 2


# --- accepting ---


def test_accept_proposes_the_pairings_once(world, setup):
    prog, (near, far), _ = setup
    run = run_now(world, prog)
    admin = signed_in(world.county_admin_a)
    response = admin.post(f"/matching/{run.pk}/accept/")
    assert response.status_code == 302 and response["Location"] == f"/matching/{run.pk}/"
    run.refresh_from_db()
    assert run.status == RunStatus.ACCEPTED and run.decided_by == world.county_admin_a
    pairings = Pairing.objects.filter(status=PairingStatus.PROPOSED)
    assert {(p.apprentice_id, p.members.get().mentor_id) for p in pairings} == set(
        run.pairs.values_list("apprentice_id", "mentor_id")
    )
    page = text(admin.get(response["Location"]))
    assert "Accepted: 2 pairings are proposed" in page and "Accepted by" in page
    assert f"/pairings/?programme={prog.pk}" in page and 'value="pin:' not in page
    # A second acceptance (a double click, another admin) is refused on the page; nothing more is written.
    again = admin.post(f"/matching/{run.pk}/accept/")
    assert again.status_code == 200 and "Only a run ready for review can be accepted." in text(again)
    assert Pairing.objects.count() == 2
    # Nor can an accepted run be discarded.
    refused = admin.post(f"/matching/{run.pk}/discard/")
    assert refused.status_code == 200 and "Only a run under review can be discarded." in text(refused)
    assert MatchRun.objects.get(pk=run.pk).status == RunStatus.ACCEPTED


def test_a_large_run_is_accepted_by_a_job(
    world, setup, settings, monkeypatch, django_capture_on_commit_callbacks
):
    prog, *_ = setup
    run = run_now(world, prog)
    monkeypatch.setattr(services, "BACKGROUND_ACCEPT", 1)
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.county_admin_a).post(f"/matching/{run.pk}/accept/")
    job = Job.objects.get(params__action="accept")
    assert response["Location"] == f"/jobs/{job.pk}/" and job.status == JobStatus.SUCCEEDED
    assert job.result_url == f"/matching/{run.pk}/" and Pairing.objects.count() == 2


def test_discard(world, setup):
    prog, *_ = setup
    run = run_now(world, prog)
    response = signed_in(world.county_admin_a).post(f"/matching/{run.pk}/discard/")
    assert response.status_code == 302
    assert MatchRun.objects.get(pk=run.pk).status == RunStatus.DISCARDED and not Pairing.objects.exists()


# --- failures ---


def test_a_failed_run_names_the_records_and_offers_to_unpin(
    world, setup, settings, django_capture_on_commit_callbacks
):
    prog, (near, far), (a1, a2, a3, a4) = setup
    run = run_now(world, prog, pinned=[[a1.pk, near.pk], [a2.pk, near.pk]])
    assert run.status == RunStatus.FAILED and run.error["code"] == "pin_over_capacity"
    admin = signed_in(world.county_admin_a)
    page = text(admin.get(f"/matching/{run.pk}/"))
    assert 'class="alert alert-danger run-error"' in page
    assert services.error_message(run) in page
    assert "钱近" in page and "周一" in page and "吴二" in page
    assert "/accept/" not in page and not MatchPair.objects.exists() and not MatchUnpaired.objects.exists()
    child = adjust(
        admin, run, {"row": f"unpin_param:{a2.pk}-{near.pk}"}, settings, django_capture_on_commit_callbacks
    )
    assert child.params["pinned"] == [[a1.pk, near.pk]] and child.status == RunStatus.PROPOSED


# --- comparing, sorting, queries ---


def test_compare_two_runs(world, setup):
    prog, (near, far), (a1, a2, a3, a4) = setup
    run = run_now(world, prog)
    other = run_now(world, prog, max_distance_km=5, weights={**WEIGHTS, "distance": 80})
    admin = signed_in(world.county_admin_a)
    page = admin.get(f"/matching/{other.pk}/compare/?with={run.pk}")
    assert page.status_code == 200
    rows = {row["label"]: (row["left"], row["right"]) for row in page.context["param_rows"]}
    assert rows["Longest distance (km)"] == (30, 5) and rows["Weight: Distance (距离)"] == (40, 80)
    assert "Weight: Tier fit (层级适配)" not in rows  # only what differs
    changed = {c["apprentice"].pk for c in page.context["changes"]}
    before = dict(run.pairs.values_list("apprentice_id", "mentor_id"))
    after = dict(other.pairs.values_list("apprentice_id", "mentor_id"))
    assert changed == {a for a in before.keys() | after.keys() if before.get(a) != after.get(a)}
    assert "Pairs that changed" in text(page)
    # Only runs of the same programme, in scope.
    assert signed_in(world.county_admin_b).get(f"/matching/{other.pk}/compare/").status_code == 404
    assert admin.get(f"/matching/{other.pk}/compare/?with=abc").status_code == 404


def test_the_pairs_table_sorts_and_answers_htmx_with_the_table_alone(world, setup):
    prog, *_ = setup
    run = run_now(world, prog)
    admin = signed_in(world.county_admin_a)
    fragment = admin.get(
        f"/matching/{run.pk}/?sort=-score", headers={"HX-Request": "true", "HX-Target": "table-area"}
    )
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body and "pair-table" in body
    scores = [float(s) for s in re.findall(r'<span class="score-value">([\d.]+)</span>', body)]
    assert scores == sorted(scores, reverse=True) and len(scores) == 2


def test_the_review_page_reads_a_fixed_number_of_queries(world, setup, django_assert_max_num_queries):
    """No more queries for four pairs than for two: nothing is read pair by pair (cells, map, explanations)."""
    prog, (near, far), _apprentices = setup
    small = run_now(world, prog)
    Mentor.objects.filter(pk__in=[near.pk, far.pk]).update(capacity=2)
    large = run_now(world, prog)
    assert (small.pairs.count(), large.pairs.count()) == (2, 4)
    admin = signed_in(world.county_admin_a)
    admin.get(f"/matching/{small.pk}/")  # warm the session and the caches

    def queries(run) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(f"/matching/{run.pk}/").status_code == 200
        return len(captured)

    assert queries(large) <= queries(small) <= 16  # the small run also reads the mentors its suggestions name


def test_navigation_and_the_programme_page_link_to_matching(world, setup):
    prog, *_ = setup
    admin = signed_in(world.county_admin_a)
    page = text(admin.get(f"/programmes/{prog.pk}/"))
    assert f'href="/matching/new/?programme={prog.pk}"' in page and 'href="/matching/"' in page
    auditor = text(signed_in(world.auditor).get(f"/programmes/{prog.pk}/"))
    assert 'href="/matching/"' in auditor and "/matching/new/" not in auditor
    assert 'href="/matching/"' not in text(signed_in(world.mentor).get("/"))


def test_the_review_page_in_chinese(world, setup):
    prog, *_ = setup
    run = run_now(world, prog)
    page = text(signed_in(world.county_admin_a, language="zh-hans").get(f"/matching/{run.pk}/"))
    for words in ("匹配方案", "已证明最优", "地图", "待审核"):
        assert words in page, words
