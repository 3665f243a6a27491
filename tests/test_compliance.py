"""Compliance (帮带成效监测): the pure rules (every rule, its boundaries and reasons), the grouped computation for a
region against one pairing at a time, query counts that do not grow with the number of pairings, the pages
(falling behind with filters and exports, silent mentors, trends, the pairing's panel), the API and the command
line, each within the user's scope."""

import csv
import datetime as dt
import io
import json
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from bangdai.apprentices.models import Apprentice
from bangdai.assignments.choices import AssignmentStatus
from bangdai.assignments.models import Assignment
from bangdai.compliance import selectors
from bangdai.compliance.rules import (
    Assignments,
    Figures,
    Light,
    Month,
    Period,
    Plan,
    Rule,
    Rules,
    Status,
    activity_share,
    below_in_consecutive_quarters,
    evaluate,
    pro_rata,
)
from bangdai.core.choices import Method
from bangdai.ledger.choices import ActivityStatus, Side
from bangdai.ledger.models import Activity
from bangdai.pairings import services as pairing_services
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.people.models import Person
from bangdai.people.protection import blind_index
from bangdai.plans.models import MentoringPlan
from bangdai.programmes.policy import Policy

from . import pool
from .factories import PersonFactory, make_id_number, region

D = dt.date
TODAY = D(
    2027, 5, 15
)  # the pure tests' day: window Feb–Apr 2027, quarter Q2 2027, past quarters 2026Q4, 2027Q1
WINDOW = (D(2027, 2, 1), D(2027, 3, 1), D(2027, 4, 1))


def months(*counts, **fields) -> dict:
    """Month figures of the window: ``months((2, 1), (1, 0), (2, 1))`` = (activities, on site) per month."""
    found = {}
    for month, (activities, on_site) in zip(WINDOW, counts, strict=True):
        found[month] = Month(month, activities=activities, on_site=on_site, **fields)
    return found


LONG_AGO = D(2026, 6, 1)


def judge(
    start=LONG_AGO,
    month_figures=None,
    plan=None,
    assignments=None,
    today=TODAY,
    rules=None,
    translate=str,
):
    figures = Figures(
        start_date=start,
        months=month_figures or {},
        plan=plan or Plan("approved", start + dt.timedelta(days=10), start + dt.timedelta(days=12)),
        assignments=assignments or Assignments(issued_window=1, issued_quarter=1),
    )
    return evaluate(figures, rules or Rules(), Period.default(today), translate)


def check(result, rule: Rule):
    found = [c for c in result.checks if c.rule == rule]
    assert len(found) <= 1
    return found[0] if found else None


# ---------------------------------------------------------------------------------------------------------------
# The pure rules


def test_the_default_period_is_the_last_three_full_months_the_quarter_and_two_past_quarters():
    period = Period.default(TODAY)
    assert period.months == WINDOW
    assert (period.quarter, period.quarter_end) == (D(2027, 4, 1), D(2027, 6, 30))
    assert period.past_quarters == (D(2026, 10, 1), D(2027, 1, 1))
    january = Period.default(D(2027, 1, 3))
    assert january.months == (D(2026, 10, 1), D(2026, 11, 1), D(2026, 12, 1))
    assert january.quarter == D(2027, 1, 1) and january.past_quarters == (D(2026, 7, 1), D(2026, 10, 1))
    assert (january.first, january.last) == (D(2026, 7, 1), D(2027, 1, 1))


def test_rules_read_a_programme_policy():
    assert Rules.of(Policy()) == Rules()
    assert Rules.of(Policy(activities_per_month=4, confirm_within_days=3)).activities_per_month == 4


@pytest.mark.parametrize(
    ("counts", "status", "share"),
    [
        ((2, 2, 2), Status.OK, 1.0),
        ((3, 2, 5), Status.OK, 1.0),
        ((2, 1, 2), Status.AMBER, 5 / 6),
        ((1, 1, 1), Status.AMBER, 0.5),  # exactly half: amber, not red
        ((1, 1, 0), Status.RED, 2 / 6),
        ((4, 0, 2), Status.AMBER, 4 / 6),  # a busy month does not make up for an empty one
        ((0, 0, 0), Status.RED, 0.0),
    ],
)
def test_activities_per_month_boundaries(counts, status, share):
    result = judge(month_figures=months(*[(c, 1) for c in counts]))
    found = check(result, Rule.ACTIVITIES)
    assert found.status == status and found.share == pytest.approx(share)
    assert found.expected == "at least 2 each month"
    assert found.actual == "recorded: " + ", ".join(
        f"{m:%Y-%m}: {c}" for m, c in zip(WINDOW, counts, strict=True)
    )


def test_on_site_per_month_and_a_rule_set_to_zero_is_not_judged():
    result = judge(month_figures=months((2, 1), (2, 0), (2, 0)))
    assert check(result, Rule.ON_SITE).status == Status.RED  # 1 of 3 on-site months
    relaxed = judge(month_figures=months((2, 1), (2, 0), (2, 0)), rules=Rules(onsite_per_month=0))
    assert check(relaxed, Rule.ON_SITE) is None
    assert relaxed.light != Light.RED or any(r.rule != Rule.ON_SITE for r in relaxed.reasons)


def test_months_before_the_start_are_not_judged():
    # Began on 2 March: February and March are not judged (a month counts from its first day).
    result = judge(start=D(2027, 3, 2), month_figures=months((0, 0), (0, 0), (2, 1)))
    assert result.judged_months == (D(2027, 4, 1),)
    assert check(result, Rule.ACTIVITIES).status == Status.OK
    assert check(result, Rule.TALKS).status == Status.PENDING  # one month asks for round(1/3) = 0 talks
    fresh = judge(start=D(2027, 5, 2))
    assert fresh.judged_months == () and fresh.score is None
    assert check(fresh, Rule.ACTIVITIES).status == Status.PENDING
    assert check(fresh, Rule.TALKS_QUARTER) is None  # began within the quarter: no heads-up


def test_quarterly_rules_are_asked_pro_rata_rounded_half_up():
    assert [pro_rata(1, n) for n in (0, 1, 2, 3)] == [0, 0, 1, 1]
    assert [pro_rata(2, n) for n in (1, 2, 3)] == [1, 1, 2]
    assert pro_rata(3, 1) == 1 and pro_rata(4, 3) == 4


@pytest.mark.parametrize(("talks", "status"), [(0, Status.RED), (1, Status.OK), (3, Status.OK)])
def test_talks_over_the_window(talks, status):
    figures = months((2, 1), (2, 1), (2, 1))
    figures[WINDOW[1]] = Month(WINDOW[1], activities=2, on_site=1, talks=talks)
    found = check(judge(month_figures=figures), Rule.TALKS)
    assert found.status == status
    assert found.expected == "at least 1 in 2027-02 to 2027-04" and found.actual == f"done: {talks}"


def test_two_talks_a_quarter_half_done_is_amber():
    figures = months((2, 1), (2, 1), (2, 1))
    figures[WINDOW[0]] = Month(WINDOW[0], activities=2, on_site=1, talks=1)
    assert (
        check(judge(month_figures=figures, rules=Rules(talks_per_quarter=2)), Rule.TALKS).status
        == Status.AMBER
    )


@pytest.mark.parametrize(
    ("today", "talks", "status"),
    [
        (D(2027, 5, 15), 0, Status.PENDING),  # 46 days left
        (D(2027, 5, 30), 0, Status.PENDING),  # 31 days left
        (D(2027, 5, 31), 0, Status.AMBER),  # 30 days left: the boundary, amber from then on
        (D(2027, 6, 1), 1, Status.OK),
    ],
)
def test_the_current_quarter_warns_near_its_end(today, talks, status):
    figures = {D(2027, 4, 1): Month(D(2027, 4, 1), activities=2, on_site=1, talks=talks)}
    found = check(judge(month_figures=figures, today=today), Rule.TALKS_QUARTER)
    assert found.status == status
    assert found.expected == "at least 1 by 2027-06-30"


def test_the_current_quarter_warns_at_exactly_thirty_days_left():
    found = check(judge(today=D(2027, 5, 30)), Rule.TALKS_QUARTER)
    assert found.actual == "so far: 0, 31 days left" and found.status == Status.PENDING
    found = check(judge(today=D(2027, 5, 31)), Rule.TALKS_QUARTER)
    assert found.actual == "so far: 0, 30 days left" and found.status == Status.AMBER


def test_assignments_set_over_the_window_and_this_quarter():
    result = judge(assignments=Assignments(issued_window=0, issued_quarter=0), today=D(2027, 6, 10))
    assert check(result, Rule.ASSIGNMENTS).status == Status.RED
    assert check(result, Rule.ASSIGNMENTS_QUARTER).status == Status.AMBER
    result = judge(assignments=Assignments(issued_window=1, issued_quarter=1))
    assert check(result, Rule.ASSIGNMENTS).status == Status.OK
    assert check(result, Rule.ASSIGNMENTS_QUARTER).status == Status.OK


START = D(2027, 1, 10)  # plan due 2027-02-09 (30 days)


@pytest.mark.parametrize(
    ("plan", "today", "status", "words"),
    [
        (Plan("none"), D(2027, 2, 9), Status.PENDING, "not submitted yet, 0 days left"),
        (Plan("draft"), D(2027, 2, 10), Status.RED, "not submitted: overdue by 1 days"),
        (
            Plan("submitted", D(2027, 2, 9)),
            D(2027, 5, 15),
            Status.OK,
            "submitted on 2027-02-09, awaiting approval",
        ),
        (
            Plan("approved", D(2027, 2, 1), D(2027, 2, 3)),
            D(2027, 5, 15),
            Status.OK,
            "submitted on 2027-02-01, approved on 2027-02-03",
        ),
        # Late, and inside the window (from 2027-02-01): amber.
        (Plan("submitted", D(2027, 2, 20)), D(2027, 5, 15), Status.AMBER, "submitted 11 days late"),
        # Late long before the window: history, not a reason any more.
        (Plan("approved", D(2027, 2, 20), D(2027, 2, 21)), D(2027, 8, 15), Status.OK, "11 days late"),
        # Returned after an on-time submission: amber; returned after a late one: red.
        (Plan("returned", D(2027, 2, 5)), D(2027, 3, 1), Status.AMBER, "returned for revision"),
        (Plan("returned", D(2027, 2, 12)), D(2027, 3, 1), Status.RED, "overdue by 20 days"),
    ],
)
def test_the_plan_deadline(plan, today, status, words):
    found = check(judge(start=START, plan=plan, today=today), Rule.PLAN)
    assert found.status == status and words in found.actual
    assert found.expected == "submitted by 2027-02-09"


@pytest.mark.parametrize(
    ("n", "status"), [(0, Status.OK), (1, Status.AMBER), (2, Status.RED), (5, Status.RED)]
)
def test_overdue_assignments_and_reviews(n, status):
    result = judge(assignments=Assignments(issued_window=1, issued_quarter=1, overdue=n, reviews_overdue=n))
    assert check(result, Rule.ASSIGNMENT_DUE).status == status
    reviews = check(result, Rule.REVIEWS)
    assert reviews.status == status and reviews.actual == f"waiting longer: {n}"
    assert reviews.expected == "reviewed within 14 days"


@pytest.mark.parametrize(
    ("confirmed", "overdue", "status"),
    [
        (0, 0, Status.PENDING),
        (4, 1, Status.OK),
        (3, 1, Status.AMBER),
        (1, 1, Status.AMBER),
        (1, 2, Status.RED),
    ],
)
def test_confirmations(confirmed, overdue, status):
    figures = {
        WINDOW[0]: Month(WINDOW[0], activities=confirmed + overdue, confirmed=confirmed, overdue=overdue)
    }
    found = check(judge(month_figures=figures), Rule.CONFIRMATIONS)
    assert found.status == status
    if confirmed + overdue:
        assert found.actual == (f"confirmed {confirmed} of {confirmed + overdue}, {overdue} left unconfirmed")


def test_the_score_is_the_activity_compliance_share():
    # A=2, O=1 over three months (9) plus one talk (1) = 10 required.
    figures = months((2, 1), (1, 0), (0, 0))
    figures[WINDOW[0]] = Month(WINDOW[0], activities=2, on_site=1, talks=1)
    result = judge(month_figures=figures)
    assert result.score == 50  # (3 + 1 + 0) + 1 talk = 5 of 10
    assert activity_share(Figures(start_date=D(2026, 1, 1), months=figures), Rules(), WINDOW).met == 5
    full = months((5, 3), (2, 1), (2, 1))
    full[WINDOW[2]] = Month(WINDOW[2], activities=2, on_site=1, talks=2)
    assert judge(month_figures=full).score == 100  # capped: surpluses do not exceed 100


def test_two_consecutive_quarters_below_half_is_red():
    assert below_in_consecutive_quarters([40, 45])
    assert not below_in_consecutive_quarters([40, 50])
    assert not below_in_consecutive_quarters([40, None, 30])
    assert below_in_consecutive_quarters([80, 10, 20, 90])
    weak = {D(2026, m, 1): Month(D(2026, m, 1), activities=1) for m in (10, 11, 12)}
    weak |= {D(2027, m, 1): Month(D(2027, m, 1), activities=1) for m in (1, 2, 3)}
    result = judge(start=D(2026, 9, 1), month_figures=weak)
    assert result.quarter_scores == (30, 30)  # 1 of 3 each month, no talk: 3 of 10
    assert check(result, Rule.QUARTERS).status == Status.RED
    assert "2026Q4 30%" in check(result, Rule.QUARTERS).actual
    young = judge(start=D(2026, 12, 1), month_figures=weak)
    assert young.quarter_scores[0] is not None  # one month of 2026Q4 is judged
    assert check(judge(start=D(2027, 1, 5)), Rule.QUARTERS).status == Status.PENDING


def test_the_light_is_the_worst_check_and_reasons_come_worst_first():
    good = months((2, 1), (2, 1), (2, 1), confirmed=2)
    good[WINDOW[1]] = Month(WINDOW[1], activities=2, on_site=1, talks=1, confirmed=2)
    green = judge(start=D(2026, 6, 1), month_figures=good | quarters_met())
    assert green.light == Light.GREEN and green.reasons == [] and green.score == 100
    amber = judge(month_figures=good | quarters_met(), assignments=Assignments(1, 1, overdue=1))
    assert amber.light == Light.AMBER and [r.rule for r in amber.reasons] == [Rule.ASSIGNMENT_DUE]
    red = judge(month_figures=good | quarters_met(), assignments=Assignments(0, 1, overdue=1))
    assert red.light == Light.RED
    assert [r.status for r in red.reasons] == [Status.RED, Status.AMBER]
    assert red.reasons[0].text == "Assignments set: at least 1 in 2027-02 to 2027-04; done: 0"


def quarters_met() -> dict:
    """The two past quarters (2026Q4, 2027Q1) fully met, so that dismissal trigger 2 stays quiet."""
    return {
        D(y, m, 1): Month(D(y, m, 1), activities=2, on_site=1, talks=1, confirmed=2)
        for y, m in ((2026, 10), (2026, 11), (2026, 12), (2027, 1))
    }


def test_reasons_are_words_in_the_callers_language():
    with translation.override("zh-hans"):
        result = judge(month_figures=months((0, 0), (0, 0), (0, 0)), translate=translation.gettext)
    activities = check(result, Rule.ACTIVITIES)
    assert activities.label == "每月帮带活动次数" and "每月至少 2 次" in activities.expected


# ---------------------------------------------------------------------------------------------------------------
# Records in the database: builders


def start_pairing(admin, prog, mentor_person, apprentice_person, *, start, accounts=()) -> Pairing:
    """A pairing taken through proposal, both confirmations and the 拜师帖 signed on ``start``."""
    mentor = pool.appointed_mentor(admin, prog, person=mentor_person)
    apprentice = pool.apprentice(admin, prog, person=apprentice_person, three_gates=True)
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    for account in accounts:
        pairing = pairing_services.confirm(actor=account, pairing=pairing)
    if not accounts:
        Pairing.objects.filter(pk=pairing.pk).update(status=PairingStatus.CONFIRMED)
        pairing.refresh_from_db()
    return pairing_services.sign_pledge(
        actor=admin, pairing=pairing, signed_on=start, ceremony_place="师说馆", witnesses=["乡党委书记"]
    )


def record(
    pairing,
    on,
    *,
    on_site=True,
    method=Method.DIAGNOSTIC_VISIT,
    status=ActivityStatus.CONFIRMED,
    side=Side.MENTOR,
    confirm_due=None,
) -> Activity:
    """A ledger entry written directly (dates in the past, any state): what the ledger's service would leave."""
    return Activity.objects.create(
        pairing=pairing,
        region=pairing.region,
        occurred_on=on,
        duration_min=60,
        method=method,
        content_areas=["party_building"],
        place=pairing.region,
        on_site=on_site,
        summary="测试",
        logged_as=side,
        status=status,
        confirm_due=confirm_due or on + dt.timedelta(days=7),
    )


def set_plan(pairing, status, submitted=None, approved=None) -> MentoringPlan:
    at = lambda day: timezone.make_aware(dt.datetime.combine(day, dt.time(10))) if day else None  # noqa: E731
    return MentoringPlan.objects.create(
        pairing=pairing,
        status=status,
        first_submitted_at=at(submitted),
        submitted_at=at(submitted),
        approved_at=at(approved),
    )


def set_assignment(pairing, issued, due, status=AssignmentStatus.ISSUED, submitted=None, title="调研报告"):
    at = lambda day: timezone.make_aware(dt.datetime.combine(day, dt.time(10))) if day else None  # noqa: E731
    return Assignment.objects.create(
        pairing=pairing,
        title=title,
        brief="写一份调研报告",
        content_area="party_building",
        due_on=due,
        status=status,
        issued_at=at(issued),
        first_submitted_at=at(submitted),
        submitted_at=at(submitted),
        submission_count=1 if submitted else 0,
    )


def bulk_pairings(admin, prog, n: int, *, start: dt.date, village="330523205201") -> list[Pairing]:
    """``n`` running pairings of one mentor (with room for them), written in bulk, two entries each a month."""
    place = region(village)
    mentor = pool.appointed_mentor(admin, prog, capacity=100)
    people = Person.objects.bulk_create(
        [
            Person(
                name=f"批量{i}",
                gender="M",
                birth_date=D(1990, 1, 1) + dt.timedelta(days=i),
                id_number=(number := make_id_number(D(1990, 1, 1) + dt.timedelta(days=i), "M")),
                id_number_index=blind_index(number),
                phone="",
                phone_index="",
                political_status="party_member",
                education="bachelor",
                region=place,
                position="committee_member",
                cadre_type="village_cadre",
                entry_date=D(2015, 3, 1),
            )
            for i in range(n)
        ]
    )
    apprentices = Apprentice.objects.bulk_create(
        [Apprentice(programme=prog, person=p, region=place, categories=["reserve_cadre"]) for p in people]
    )
    version = prog.current_rules().version
    pairings = Pairing.objects.bulk_create(
        [
            Pairing(
                programme=prog,
                apprentice=a,
                region=place,
                status=PairingStatus.ACTIVE,
                rules_version=version,
                term_months=12,
                start_date=start,
            )
            for a in apprentices
        ]
    )
    PairingMentor.objects.bulk_create([PairingMentor(pairing=p, mentor=mentor) for p in pairings])
    entries = []
    for i, p in enumerate(pairings):
        for day in (5, 20):
            on = D(start.year, start.month, day) + dt.timedelta(days=31 * (i % 3))
            entries.append(
                Activity(
                    pairing=p,
                    region=place,
                    occurred_on=on,
                    duration_min=60,
                    method=Method.DIAGNOSTIC_VISIT,
                    content_areas=[],
                    place=place,
                    on_site=day == 5,
                    summary="批量",
                    logged_as=Side.MENTOR,
                    status=ActivityStatus.CONFIRMED,
                    confirm_due=on + dt.timedelta(days=7),
                )
            )
    Activity.objects.bulk_create(entries, batch_size=1000)
    return pairings


# ---------------------------------------------------------------------------------------------------------------
# A scene: three running pairings, each in a place the personas' scopes differ


def today() -> dt.date:
    return timezone.localdate()


def month_days(n_back: int, *days: int) -> list[dt.date]:
    """Days of the month ``n_back`` months before this one (1 = last month)."""
    first = today().replace(day=1)
    for _step in range(n_back):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return [first.replace(day=d) for d in days]


@pytest.fixture
def scene(world):
    """p_ss: the world's mentor and apprentice in 上墅乡, silent for months (red); p_xf: 孝丰镇 (county A, not the
    township's), keeping every rule; p_b: 德清县 (county B)."""
    admin_a, admin_b = world.county_admin_a, world.county_admin_b
    prog_a = pool.programme(admin_a)
    prog_b = pool.programme(admin_b, code="330521", name="德清县2027年导师帮带")
    start = today() - dt.timedelta(days=400)
    p_ss = start_pairing(
        admin_a,
        prog_a,
        world.mentor_person,
        world.apprentice_person,
        start=start,
        accounts=[world.mentor, world.apprentice],
    )
    record(p_ss, start + dt.timedelta(days=3))
    mentor_xf = PersonFactory(name="钱横溪", region=region("330523105201"), birth_date=D(1969, 2, 1))
    p_xf = start_pairing(admin_a, prog_a, mentor_xf, world.cadre_a2, start=start)
    set_plan(p_xf, "approved", start + dt.timedelta(days=5), start + dt.timedelta(days=6))
    set_plan(p_ss, "approved", start + dt.timedelta(days=5), start + dt.timedelta(days=6))
    for n_back in range(1, 10):
        for i, day in enumerate(month_days(n_back, 3, 12)):
            record(
                p_xf, day, on_site=i == 0, method=Method.HEART_TO_HEART_TALK if i else Method.DIAGNOSTIC_VISIT
            )
    for day in month_days(0, 1):
        record(p_xf, day)
    for n_back in (1, 4, 7):
        issued = month_days(n_back, 2)[0]
        set_assignment(p_xf, issued, issued + dt.timedelta(days=10), AssignmentStatus.REVIEWED, issued)
    set_assignment(p_xf, today() - dt.timedelta(days=1), today() + dt.timedelta(days=20))
    mentor_b = PersonFactory(name="孙上柏", region=region("330521002201"), birth_date=D(1967, 8, 1))
    p_b = start_pairing(admin_b, prog_b, mentor_b, world.cadre_b, start=start)
    return {"p_ss": p_ss, "p_xf": p_xf, "p_b": p_b, "prog_a": prog_a}


def test_the_scene_is_as_described(scene):
    found = {i.pairing.pk: i for i in selectors.compliance_of(Pairing.objects.all())}
    assert found[scene["p_ss"].pk].light == Light.RED
    assert Rule.ACTIVITIES in {r.rule for r in found[scene["p_ss"].pk].reasons}
    assert found[scene["p_xf"].pk].light == Light.GREEN, [r.text for r in found[scene["p_xf"].pk].reasons]
    assert found[scene["p_xf"].pk].score == 100
    assert found[scene["p_b"].pk].light == Light.RED


def test_pairings_that_are_not_running_are_not_judged(scene, world):
    pairing = scene["p_ss"]
    Pairing.objects.filter(pk=pairing.pk).update(status=PairingStatus.COMPLETED)
    assert selectors.pairing_compliance(pairing) is None
    assert scene["p_ss"].pk not in {i.pairing.pk for i in selectors.compliance_of(Pairing.objects.all())}


def random_ledger(rng: random.Random, pairing: Pairing, day: dt.date) -> None:
    """A year of random entries, plans and assignments for one pairing, up to ``day``."""
    for _i in range(rng.randint(0, 40)):
        on = day - dt.timedelta(days=rng.randint(0, 330))
        if on < pairing.start_date:
            continue
        status = rng.choice([ActivityStatus.CONFIRMED, ActivityStatus.RECORDED, ActivityStatus.WITHDRAWN])
        method = rng.choice([Method.HEART_TO_HEART_TALK, Method.DIAGNOSTIC_VISIT, Method.CASE_DISSECTION])
        record(pairing, on, on_site=rng.random() < 0.5, method=method, status=status)
    state = rng.choice(["none", "draft", "submitted", "approved", "returned"])
    if state != "none":
        submitted = pairing.start_date + dt.timedelta(days=rng.randint(0, 60)) if state != "draft" else None
        set_plan(pairing, state, submitted, submitted if state == "approved" else None)
    for _i in range(rng.randint(0, 4)):
        issued = day - dt.timedelta(days=rng.randint(1, 200))
        status = rng.choice([AssignmentStatus.ISSUED, AssignmentStatus.SUBMITTED, AssignmentStatus.REVIEWED])
        submitted = (
            issued + dt.timedelta(days=rng.randint(0, 20)) if status != AssignmentStatus.ISSUED else None
        )
        if submitted and submitted > day:
            submitted = day
        set_assignment(pairing, issued, issued + dt.timedelta(days=rng.randint(5, 30)), status, submitted)


def as_tuple(item) -> tuple:
    return (
        item.light,
        item.score,
        item.result.quarter_scores,
        [(c.rule, c.status, c.text) for c in item.result.checks],
    )


def test_the_region_computation_equals_one_pairing_at_a_time(world):
    rng = random.Random(20270515)
    admin = world.county_admin_a
    prog = pool.programme(admin)
    day = today()
    pairings = []
    for i in range(10):
        mentor = PersonFactory(region=region("330523205202"), birth_date=D(1965, 1, 1) + dt.timedelta(days=i))
        apprentice = PersonFactory(
            region=region("330523205201"), birth_date=D(1995, 1, 1) + dt.timedelta(days=i)
        )
        start = day - dt.timedelta(days=rng.randint(10, 420))
        pairing = start_pairing(admin, prog, mentor, apprentice, start=start)
        random_ledger(rng, pairing, day)
        pairings.append(pairing)
    together = {i.pairing.pk: as_tuple(i) for i in selectors.compliance_of(Pairing.objects.all())}
    alone = {p.pk: as_tuple(selectors.pairing_compliance(p)) for p in pairings}
    assert together == alone
    assert len({t[0] for t in together.values()}) >= 2  # the random data is not all one light


def test_query_count_does_not_grow_with_the_number_of_pairings(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    start = today() - dt.timedelta(days=200)
    small = bulk_pairings(admin, prog, 10, start=start, village="330523205202")
    bulk_pairings(admin, prog, 2000, start=start, village="330523105201")
    period = Period.default(today())

    def count(region_code):
        pairings = selectors.in_region(Pairing.objects.all(), region(region_code))
        with CaptureQueriesContext(connection) as queries:
            found = selectors.compliance_of(pairings, period)
        return len(queries.captured_queries), len(found)

    few, n_few = count("330523205202")
    many, n_many = count("330523105201")
    assert (n_few, n_many) == (len(small), 2000)
    assert few == many <= 12, (few, many)
    with CaptureQueriesContext(connection) as queries:
        selectors.silent_mentors(Pairing.objects.all(), days=30)
        selectors.trends(region("330523"), Pairing.objects.all())
    assert len(queries.captured_queries) <= 8


def test_the_page_runs_a_fixed_number_of_queries(client, world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    start = today() - dt.timedelta(days=200)
    bulk_pairings(admin, prog, 3, start=start, village="330523205202")
    bulk_pairings(admin, prog, 300, start=start, village="330523105201")
    client.force_login(admin)

    def count(code):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/compliance/", {"region": code, "light": "all"})
        assert response.status_code == 200
        return len(queries.captured_queries), response.context["table"].paginator.count

    few, many = count("330523205202"), count("330523105201")
    assert (few[1], many[1]) == (3, 300)
    assert few[0] == many[0], (few, many)


# ---------------------------------------------------------------------------------------------------------------
# Pages


def rows(response) -> dict[int, object]:
    return {item.pairing.pk: item for item in response.context["table"].data.data}


def test_falling_behind_lists_red_and_amber_with_reasons(client, world, scene):
    client.force_login(world.county_admin_a)
    response = client.get("/compliance/", {"region": "330523"})
    assert response.status_code == 200
    shown = rows(response)
    assert set(shown) == {scene["p_ss"].pk}  # p_xf is green; p_b is county B's
    assert response.context["summary"] == selectors.Summary(red=1, amber=0, green=1)
    body = response.content.decode()
    assert "每月帮带活动次数" in body and world.apprentice_person.name in body
    everything = rows(client.get("/compliance/", {"region": "330523", "light": "all"}))
    assert set(everything) == {scene["p_ss"].pk, scene["p_xf"].pk}
    assert set(rows(client.get("/compliance/", {"region": "330523", "light": "green"}))) == {scene["p_xf"].pk}
    assert set(rows(client.get("/compliance/", {"region": "330523", "light": "all", "q": "钱横溪"}))) == {
        scene["p_xf"].pk
    }
    assert set(rows(client.get("/compliance/", {"region": "330523", "light": "all", "q": "吴徒弟"}))) == {
        scene["p_ss"].pk
    }
    by_rule = client.get("/compliance/", {"region": "330523", "light": "all", "rule": "activities_per_month"})
    assert set(rows(by_rule)) == {scene["p_ss"].pk}
    by_programme = client.get(
        "/compliance/", {"region": "330523", "light": "all", "programme": scene["prog_a"].pk}
    )
    assert len(rows(by_programme)) == 2
    fragment = client.get("/compliance/", {"region": "330523"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode() and "compliance-table" in fragment.content.decode()


def test_falling_behind_exports_csv_and_xlsx(client, world, scene):
    client.force_login(world.county_admin_a)
    response = client.get("/compliance/", {"region": "330523", "light": "all", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 3 and lines[1][2] == "吴徒弟" and "每月帮带活动次数" in lines[1][-1]
    assert lines[2][0] == "达标" and lines[2][1] == "100"
    response = client.get("/compliance/", {"region": "330523", "export": "xlsx"})
    sheet = load_workbook(filename=io.BytesIO(response.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert len(values) == 2 and values[1][2] == "吴徒弟" and values[1][0] == "落后"


def test_region_pages_follow_the_scope(client, world, scene):
    client.force_login(world.county_admin_b)
    for url in ("/compliance/", "/compliance/silent/", "/compliance/trends/"):
        assert client.get(url, {"region": "330523"}).status_code == 404
        assert client.get(url).status_code == 200  # their own county
    assert client.get(f"/compliance/pairing/{scene['p_ss'].pk}/").status_code == 404
    client.force_login(world.township_a)
    response = client.get("/compliance/", {"light": "all"})  # opens on their township
    assert response.context["region"].code == "330523205" and set(rows(response)) == {scene["p_ss"].pk}
    assert client.get("/compliance/", {"region": "330523"}).status_code == 404
    client.force_login(world.auditor)
    response = client.get("/compliance/", {"region": "330500", "light": "all"})
    assert set(rows(response)) == {scene["p_ss"].pk, scene["p_xf"].pk, scene["p_b"].pk}
    assert client.get("/compliance/", {"region": "330100"}).status_code == 404
    client.force_login(world.mentor)
    assert client.get("/compliance/").status_code == 403
    assert client.get("/compliance/", {"region": "330523205202"}).status_code == 403  # visible, not governed
    assert client.get("/compliance/", {"region": "330523"}).status_code == 404
    client.logout()
    assert client.get("/compliance/").status_code == 302


def test_an_unseen_programme_filter_is_404(client, world, scene):
    other = pool.programme(world.county_admin_b, code="330521", name="德清县另一项目")
    client.force_login(world.county_admin_a)
    assert client.get("/compliance/", {"region": "330523", "programme": other.pk}).status_code == 404
    response = client.get("/compliance/", {"region": "330523", "programme": 999999})
    assert response.status_code == 200 and response.context["form"].errors


def test_the_pairing_panel(client, world, scene):
    client.force_login(world.mentor)
    response = client.get(f"/compliance/pairing/{scene['p_ss'].pk}/")
    assert response.status_code == 200 and response.context["item"].light == Light.RED
    assert "compliance-panel" in response.content.decode() and "<html" in response.content.decode()
    fragment = client.get(f"/compliance/pairing/{scene['p_ss'].pk}/", headers={"HX-Request": "true"})
    assert "<html" not in fragment.content.decode() and "compliance-red" in fragment.content.decode()
    assert client.get(f"/compliance/pairing/{scene['p_xf'].pk}/").status_code == 404
    client.force_login(world.apprentice)
    assert client.get(f"/compliance/pairing/{scene['p_ss'].pk}/").status_code == 200
    client.force_login(world.county_admin_a)
    Pairing.objects.filter(pk=scene["p_xf"].pk).update(status=PairingStatus.COMPLETED)
    response = client.get(f"/compliance/pairing/{scene['p_xf'].pk}/")
    assert response.status_code == 200 and response.context["item"] is None


def test_silent_mentors(client, world, scene):
    client.force_login(world.county_admin_a)
    response = client.get("/compliance/silent/", {"region": "330523"})
    mentors = response.context["mentors"]
    assert [m.name for m in mentors] == [world.mentor_person.name]
    assert [p.pk for p in mentors[0].pairings] == [scene["p_ss"].pk] and mentors[0].all_silent
    assert mentors[0].pairings[0].last_activity == scene["p_ss"].start_date + dt.timedelta(days=3)
    response = client.get("/compliance/silent/", {"region": "330523", "days": 90})
    assert [m.name for m in response.context["mentors"]] == [world.mentor_person.name]
    assert client.get("/compliance/silent/", {"region": "330523", "days": 5}).status_code == 200


def test_trends_by_month_and_child_region(client, world, scene):
    client.force_login(world.county_admin_a)
    response = client.get("/compliance/trends/", {"region": "330523"})
    assert response.status_code == 200
    chart = response.context["chart"]
    assert len(chart["months"]) == 12 and chart["months"][-1] == f"{today():%Y-%m}"
    children = {c["code"]: c for c in chart["children"]}
    assert {"330523205", "330523105"} <= set(children)
    assert sum(children["330523105"]["activities"]) == 2 * 9 + 1  # p_xf: two a month for nine months, one now
    assert children["330523105"]["pairings"][-1] == 1 and children["330523205"]["pairings"][-1] == 1
    assert sum(chart["total"]["activities"]) == sum(children["330523105"]["activities"])
    body = response.content.decode()
    assert 'id="compliance-trends"' in body and "compliance/charts.js" in body and "<script>" not in body
    six = client.get("/compliance/trends/", {"region": "330523", "months": 6})
    assert len(six.context["chart"]["months"]) == 6


# ---------------------------------------------------------------------------------------------------------------
# API


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_pairing_compliance(world, scene):
    mentor = api(world.mentor)
    body = mentor.get(f"/api/compliance/pairings/{scene['p_ss'].pk}/").json()
    assert body["light"] == "red" and body["pairing"] == scene["p_ss"].pk
    assert body["mentors"] == [world.mentor_person.name]
    assert {r["rule"] for r in body["reasons"]} >= {"activities_per_month"}
    assert all({"rule", "status", "label", "expected", "actual", "text"} <= set(c) for c in body["checks"])
    assert mentor.get(f"/api/compliance/pairings/{scene['p_xf'].pk}/").status_code == 404
    listed = mentor.get("/api/compliance/pairings/").json()
    assert [r["pairing"] for r in listed["results"]] == [scene["p_ss"].pk]
    admin = api(world.county_admin_a)
    listed = admin.get("/api/compliance/pairings/", {"light": "green"}).json()
    assert [r["pairing"] for r in listed["results"]] == [scene["p_xf"].pk]
    assert admin.get("/api/compliance/pairings/", {"region": "330521"}).status_code == 404
    assert admin.get("/api/compliance/pairings/", {"light": "purple"}).status_code == 400
    Pairing.objects.filter(pk=scene["p_xf"].pk).update(status=PairingStatus.COMPLETED)
    assert admin.get(f"/api/compliance/pairings/{scene['p_xf'].pk}/").status_code == 400


def test_api_region_compliance(world, scene):
    admin = api(world.county_admin_a)
    body = admin.get("/api/compliance/regions/330523/", {"light": "behind"}).json()
    assert body["summary"] == {"red": 1, "amber": 0, "green": 1, "total": 2}
    assert body["count"] == 1 and body["results"][0]["pairing"] == scene["p_ss"].pk
    assert admin.get("/api/compliance/regions/330521/").status_code == 404
    assert admin.get("/api/compliance/regions/330523/", {"rule": "nonsense"}).status_code == 400
    silent = admin.get("/api/compliance/regions/330523/silent/").json()
    assert [m["name"] for m in silent] == [world.mentor_person.name]
    assert admin.get("/api/compliance/regions/330523/silent/", {"days": "0"}).status_code == 400
    trends = admin.get("/api/compliance/regions/330523/trends/", {"months": 3}).json()
    assert len(trends["total"]) == 3 and {c["region"] for c in trends["children"]} >= {"330523205"}
    assert api(world.mentor).get("/api/compliance/regions/330523205202/").status_code == 403
    assert api(world.auditor).get("/api/compliance/regions/330500/").status_code == 200


# ---------------------------------------------------------------------------------------------------------------
# Command line


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_cli_region_pairing_and_silent(world, scene):
    data = json.loads(run("compliance", "region", "330523", "--json", "--as", "anji"))
    assert data["summary"]["total"] == 2 and {p["light"] for p in data["pairings"]} == {"red", "green"}
    text = run("compliance", "region", "330523", "--light", "behind", "--as", "anji")
    assert world.apprentice_person.name in text and "钱横溪" not in text
    one = json.loads(run("compliance", "pairing", str(scene["p_ss"].pk), "--json", "--as", "mentor"))
    assert one["light"] == "red" and one["checks"]
    assert "score" in run("compliance", "pairing", str(scene["p_ss"].pk), "--as", "mentor")
    silent = json.loads(run("compliance", "silent", "330523", "--json", "--as", "anji"))
    assert [m["name"] for m in silent] == [world.mentor_person.name]
    with pytest.raises(CommandError, match="not found"):
        run("compliance", "region", "330523", "--as", "deqing")
    with pytest.raises(CommandError, match="Permission denied"):
        run("compliance", "region", "330523205202", "--as", "mentor")
    with pytest.raises(CommandError, match="not found"):
        run("compliance", "pairing", str(scene["p_xf"].pk), "--as", "mentor")
