"""The permission matrix of the activity ledger (帮带台账): every ledger page and API endpoint × the eight personas.

The machinery is tests/test_permission_matrix.py's and the records under the ledger are the pool world of
tests/test_permission_matrix_pool.py (built once per module through the services); this module adds entries,
evidence and 复盘 reviews on its running pairings and declares MATRIX_COVERAGE.

What each persona may do, written from the issue and not from the app's code:
- a ledger hangs off its pairing: whoever sees the pairing sees its entries, their files and reviews; nobody else
  (404) — a mentor never sees another mentor's ledger;
- the mentor and the apprentice of a running pairing record its activities; the other side confirms an entry
  (confirming one's own is refused with a clear error, nothing changes); only the author corrects or withdraws;
- the township committee and the organisation department of the pairing's region mark entries verified or
  questionable; auditors read everything in 湖州市 and change nothing (403); only the mentor writes a 复盘;
- the governing roles, who hold no cadre record, cannot record (403), whatever pairing they name.
"""

import datetime as dt
import io
import itertools
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from bangdai.core.choices import ContentArea, Method
from bangdai.ledger import services as ledger_services
from bangdai.ledger.choices import ActivityAction, ActivityStatus, Verification
from bangdai.ledger.models import Activity, ActivityEvent, Evidence, Review
from bangdai.pairings.choices import PairingStatus

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
    filter_region,
    is_image,
    list_filter,
    pairing_region,
    party_account,
    pk_kw,
    pool_world,  # noqa: F401  (the module fixture this module builds on)
    read_pairing,
    region_query,
    sees_pairing,
)

# ---------------------------------------------------------------------------------------------------------------
# The ledger world, declared: label → (pairing, the side that recorded it). Every entry carries one photo.

ACTIVITIES = {
    "act_city_m": ("p_city", "mentor"),  # the world's mentor and apprentice, under the city's programme
    "act_city_a": ("p_city", "apprentice"),
    "act_xf": ("p_xf", "mentor"),  # 孝丰镇, county A: not the township committee's
    "act_b": ("p_b", "mentor"),  # 德清县
}
# label → (pairing, the activities it reviews); written by the pairing's mentor.
REVIEWS = {"rev_city": ("p_city", ("act_city_m",)), "rev_b": ("p_b", ("act_b",))}
ACTIVITY_TARGETS = tuple(ACTIVITIES)
PAIRING_TARGETS = ("p_prop", "p_city", "p_xf", "p_b")
API_FILTERS = (None, "330523", "330521")
MONTH_REGIONS = ("330500", "330523", "330521", "330523205", "330523205201")
# The activity a 复盘 over each pairing names: its own where it has one; p_prop has none (another's is refused).
REVIEWED = {"p_prop": "act_city_m", "p_city": "act_city_m", "p_xf": "act_xf", "p_b": "act_b"}


def activity_pairing(label: str) -> str:
    return ACTIVITIES[label][0]


# ---------------------------------------------------------------------------------------------------------------
# Rules


def side(ctx, pairing: str) -> str | None:
    """Which party of the pairing the persona is, if any."""
    apprentice, mentor, _state = PAIRINGS[pairing]
    own = ctx.reach.own if ctx.reach else None
    if own is None:
        return None
    if own == APPRENTICES[apprentice][1]:
        return "apprentice"
    if own == MENTORS[mentor][1]:
        return "mentor"
    return None


def running(pairing: str) -> bool:
    return PAIRINGS[pairing][2] in (PairingStatus.ACTIVE, PairingStatus.EXTENDED)


def sees_activity(ctx, label) -> bool:
    return sees_pairing(ctx, activity_pairing(label))


def read_activity(ctx, label) -> Outcome:
    return OK if sees_activity(ctx, label) else HIDDEN


def confirm(ctx, label) -> Outcome:
    if not sees_activity(ctx, label):
        return HIDDEN
    mine = side(ctx, activity_pairing(label))
    if mine is None:
        return DENIED
    return INVALID if mine == ACTIVITIES[label][1] else OK  # one's own entry: a clear refusal


def check_entry(ctx, label) -> Outcome:
    if not sees_activity(ctx, label):
        return HIDDEN
    return OK if edits(ctx, pairing_region(activity_pairing(label))) else DENIED


def author_only(ctx, label) -> Outcome:
    if not sees_activity(ctx, label):
        return HIDDEN
    return OK if side(ctx, activity_pairing(label)) == ACTIVITIES[label][1] else DENIED


def record(ctx, pairing) -> Outcome:
    if ctx.reach.own is None:
        return DENIED  # no cadre record: the governing roles do not record activities
    if pairing is None:
        return OK
    if not sees_pairing(ctx, pairing):
        return HIDDEN
    if side(ctx, pairing) is None:
        return DENIED
    return OK if running(pairing) else INVALID


def review_page(ctx, pairing) -> Outcome:
    if not sees_pairing(ctx, pairing):
        return HIDDEN
    return OK if side(ctx, pairing) == "mentor" else DENIED


def write_review(ctx, pairing) -> Outcome:
    outcome = review_page(ctx, pairing)
    if outcome is OK and (not running(pairing) or activity_pairing(REVIEWED[pairing]) != pairing):
        return INVALID
    return outcome


def write_review_api(ctx, pairing) -> Outcome:
    if ctx.reach.own is None:
        return DENIED
    if not (sees_pairing(ctx, pairing) and sees_activity(ctx, REVIEWED[pairing])):
        return HIDDEN
    return write_review(ctx, pairing)


def read_review(ctx, label) -> Outcome:
    return OK if sees_pairing(ctx, REVIEWS[label][0]) else HIDDEN


# ---------------------------------------------------------------------------------------------------------------
# The ledger context and the checks of allowed calls


@dataclass
class LedgerCtx(PoolCtx):
    ledger: SimpleNamespace = None

    def obj(self, label: str):
        return getattr(self.ledger, label, None) or getattr(self.pool, label)


def evidence_kw(ctx, label):
    return {"pk": ctx.obj(label).evidence.get().pk}


def api_evidence_kw(ctx, label):
    return {"pk": ctx.pk(label), "evidence_id": ctx.obj(label).evidence.get().pk}


def home_filter(ctx, code):
    """The region a page list is narrowed to: governing personas open on their home region, cadres see all."""
    return filter_region(ctx, code, home=bool(ctx.reach.cadres))


def expected_activities(ctx, code) -> set[str]:
    return {
        a
        for a in ACTIVITIES
        if sees_activity(ctx, a) and (code is None or within(pairing_region(activity_pairing(a)), [code]))
    }


def lists_exactly(ctx, code, response):
    shown = {a.pk for a in response.context["table"].data.data}
    assert shown == {ctx.pk(a) for a in expected_activities(ctx, home_filter(ctx, code))}


def exports_exactly(ctx, code, response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    shown = {a for a in ACTIVITIES if f"{MARK}-{a}" in body}
    assert shown == expected_activities(ctx, home_filter(ctx, code))


def api_lists_exactly(ctx, code, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(a) for a in expected_activities(ctx, code)}


def counterpart_of(ctx, label) -> bool:
    mine = side(ctx, activity_pairing(label))
    return mine is not None and mine != ACTIVITIES[label][1]


def to_confirm_exactly(ctx, target, response):
    shown = {a.pk for a in response.context["to_confirm"]}
    assert shown == {ctx.pk(a) for a in ACTIVITIES if sees_activity(ctx, a) and counterpart_of(ctx, a)}


def api_to_confirm_exactly(ctx, target, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(a) for a in ACTIVITIES if sees_activity(ctx, a) and counterpart_of(ctx, a)}


def pairing_ledger_exactly(ctx, pairing, response):
    shown = {a.pk for a in response.context["activities"]}
    assert shown == {ctx.pk(a) for a in ACTIVITIES if activity_pairing(a) == pairing}


def shows_entry(ctx, label, response):
    assert f"{MARK}-{label}" in response.content.decode()


def recorded(ctx, pairing, response):
    activity = Activity.objects.get(summary=MARK)
    assert activity.pairing_id == ctx.pk(pairing) and activity.logged_by_id == ctx.actor.pk
    assert activity.logged_as == side(ctx, pairing) and activity.evidence.count() == 1
    assert ActivityEvent.objects.filter(
        activity=activity, action=ActivityAction.RECORD, actor=ctx.actor
    ).exists()


def confirmed(ctx, label, response):
    activity = Activity.objects.get(pk=ctx.pk(label))
    assert activity.status == ActivityStatus.CONFIRMED and activity.confirmed_by_id == ctx.actor.pk


def checked(ctx, label, response):
    activity = Activity.objects.get(pk=ctx.pk(label))
    assert (activity.verification, activity.verification_note) == (Verification.QUESTIONABLE, MARK)
    assert ActivityEvent.objects.filter(
        activity=activity, action=ActivityAction.QUESTION, actor=ctx.actor
    ).exists()


def withdrawn(ctx, label, response):
    activity = Activity.objects.get(pk=ctx.pk(label))
    assert activity.status == ActivityStatus.WITHDRAWN
    assert ActivityEvent.objects.get(activity=activity, action=ActivityAction.WITHDRAW).note == MARK


def corrected(ctx, label, response):
    activity = Activity.objects.get(pk=ctx.pk(label))
    assert activity.duration_min == 77 and activity.revision == 2
    event = ActivityEvent.objects.get(activity=activity, action=ActivityAction.CORRECT, actor=ctx.actor)
    assert event.changes["duration_min"] == [60, 77]


def reviewed(ctx, pairing, response):
    review = Review.objects.get(lessons=MARK)
    assert review.pairing_id == ctx.pk(pairing) and review.written_by_id == ctx.actor.pk
    assert list(review.activities.values_list("pk", flat=True)) == [ctx.pk(REVIEWED[pairing])]


def api_lists_reviews(ctx, target, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(r) for r in REVIEWS if sees_pairing(ctx, REVIEWS[r][0])}


def months_counted(ctx, code, response):
    rows = response.json()
    # Figures count the entries in the region that the persona may see (a cadre: only their own pairings').
    expected = len(expected_activities(ctx, code))
    assert sum(row["activities"] for row in rows) == expected


# Request bodies


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 160, 60)).save(out, "JPEG")
    return SimpleUploadedFile("现场.jpg", out.getvalue(), content_type="image/jpeg")


def record_body(ctx, pairing, *, api=False) -> dict:
    data = {
        "pairing": ctx.pk(pairing),
        "occurred_on": timezone.localdate().isoformat(),
        "duration_min": 60,
        "method": Method.DIAGNOSTIC_VISIT,
        "content_areas": [ContentArea.COMMON_PROSPERITY],
        "summary": MARK,
        "files": jpeg(),  # one file (a list element would not make the matrix's client send multipart)
    }
    if not api:
        data.update(place=ctx.obj(pairing).region.code, on_site="on", problems_solved="")
    return data


def correction_form(ctx, label) -> dict:
    activity = Activity.objects.select_related("place").get(pk=ctx.pk(label))
    return {
        "occurred_on": activity.occurred_on.isoformat(),
        "duration_min": 77,
        "method": activity.method,
        "content_areas": activity.content_areas,
        "place": activity.place.code,
        "on_site": "on" if activity.on_site else "",
        "summary": activity.summary,
        "problems_solved": "",
        "note": "",
    }


def review_body(ctx, pairing) -> dict:
    return {
        "pairing": ctx.pk(pairing),
        "activities": [ctx.pk(REVIEWED[pairing])],
        "lessons": MARK,
        "next_steps": MARK,
    }


# ---------------------------------------------------------------------------------------------------------------
# MATRIX_COVERAGE


def step(action: str, rule, check, data=None) -> Endpoint:
    return Endpoint(
        targets=ACTIVITY_TARGETS,
        kwargs=lambda ctx, a: {"pk": ctx.pk(a), "action": action},
        calls=(Call("POST", rule, ok=302, data=data, check=check),),
    )


def api_step(rule, check, data=None) -> Endpoint:
    return Endpoint(
        api=True, targets=ACTIVITY_TARGETS, kwargs=pk_kw, calls=(Call("POST", rule, data=data, check=check),)
    )


MATRIX_COVERAGE: dict[str, Endpoint] = {
    "ledger:list": Endpoint(
        targets=(None, "all", "330521"),
        calls=(
            Call("GET", list_filter, query=region_query(), check=lists_exactly),
            Call(
                "GET",
                list_filter,
                label="GET-export",
                query=lambda ctx, code: {"export": "csv", **region_query()(ctx, code)},
                check=exports_exactly,
                targets=("all",),
            ),
        ),
    ),
    "ledger:to_confirm": Endpoint(calls=(Call("GET", signed_in, check=to_confirm_exactly),)),
    "ledger:record": Endpoint(
        targets=PAIRING_TARGETS,
        calls=(
            Call("GET", record, targets=(None,)),
            Call("POST", record, ok=302, data=lambda ctx, p: record_body(ctx, p), check=recorded),
        ),
    ),
    "ledger:pairing": Endpoint(
        targets=PAIRING_TARGETS,
        kwargs=pk_kw,
        calls=(Call("GET", read_pairing, check=pairing_ledger_exactly),),
    ),
    "ledger:review_create": Endpoint(
        targets=PAIRING_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", review_page),
            Call("POST", write_review, ok=302, data=lambda ctx, p: review_body(ctx, p), check=reviewed),
        ),
    ),
    "ledger:review": Endpoint(targets=tuple(REVIEWS), kwargs=pk_kw, calls=(Call("GET", read_review),)),
    "ledger:detail": Endpoint(
        targets=ACTIVITY_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_activity, check=shows_entry),)
    ),
    "ledger:evidence": Endpoint(
        targets=ACTIVITY_TARGETS, kwargs=evidence_kw, calls=(Call("GET", read_activity, check=is_image),)
    ),
    "ledger:thumbnail": Endpoint(
        targets=ACTIVITY_TARGETS, kwargs=evidence_kw, calls=(Call("GET", read_activity, check=is_image),)
    ),
    "ledger:correct": Endpoint(
        targets=ACTIVITY_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", author_only),
            Call("POST", author_only, ok=302, data=correction_form, check=corrected),
        ),
    ),
    "ledger:action": Endpoint(
        targets=ACTIVITY_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                confirm,
                ok=302,
                label="POST-confirm",
                check=confirmed,
                url_kwargs=(("action", "confirm"),),
            ),
            Call(
                "POST",
                check_entry,
                ok=302,
                label="POST-verify",
                data=lambda ctx, a: {"verify-verdict": "questionable", "verify-note": MARK},
                check=checked,
                url_kwargs=(("action", "verify"),),
            ),
            Call(
                "POST",
                author_only,
                ok=302,
                label="POST-withdraw",
                data=lambda ctx, a: {"withdraw-reason": MARK},
                check=withdrawn,
                url_kwargs=(("action", "withdraw"),),
            ),
        ),
    ),
    # API
    "api:activity-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call("GET", read_region, query=region_query(), check=api_lists_exactly),
            Call(
                "POST",
                record,
                ok=201,
                data=lambda ctx, p: record_body(ctx, p, api=True),
                check=recorded,
                targets=PAIRING_TARGETS,
            ),
        ),
    ),
    "api:activity-detail": Endpoint(
        api=True, targets=ACTIVITY_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_activity, check=api_shows),)
    ),
    "api:activity-confirm": api_step(confirm, confirmed),
    "api:activity-verify": api_step(
        check_entry, checked, data=lambda ctx, a: {"verdict": "questionable", "note": MARK}
    ),
    "api:activity-withdraw": api_step(author_only, withdrawn, data=lambda ctx, a: {"reason": MARK}),
    "api:activity-correct": api_step(author_only, corrected, data=lambda ctx, a: {"duration_min": 77}),
    "api:activity-evidence": Endpoint(
        api=True,
        targets=ACTIVITY_TARGETS,
        kwargs=api_evidence_kw,
        calls=(Call("GET", read_activity, check=is_image),),
    ),
    "api:activity-to-confirm": Endpoint(
        api=True, calls=(Call("GET", signed_in, check=api_to_confirm_exactly),)
    ),
    "api:activity-months": Endpoint(
        api=True,
        targets=MONTH_REGIONS,
        calls=(Call("GET", read_region, query=lambda ctx, code: {"region": code}, check=months_counted),),
    ),
    "api:review-list": Endpoint(
        api=True,
        calls=(
            Call("GET", signed_in, check=api_lists_reviews),
            Call(
                "POST",
                write_review_api,
                ok=201,
                data=lambda ctx, p: review_body(ctx, p),
                check=reviewed,
                targets=PAIRING_TARGETS,
            ),
        ),
    ),
    "api:review-detail": Endpoint(
        api=True, targets=tuple(REVIEWS), kwargs=pk_kw, calls=(Call("GET", read_review),)
    ),
}

LEDGER_GUARDED = {
    **POOL_GUARDED,
    Activity: None,
    Evidence: None,
    ActivityEvent: None,
    Review: None,
    Review.activities.through: None,
}

LEDGER_CASES = build_cases(MATRIX_COVERAGE)


# ---------------------------------------------------------------------------------------------------------------
# The ledger world on top of the pool world, built once per module; every case runs in a savepoint inside it.


def build_ledger_world(world, pool_ns) -> SimpleNamespace:
    ns = SimpleNamespace()
    day = timezone.localdate() - dt.timedelta(days=1)
    for label, (pairing_label, which) in ACTIVITIES.items():
        pairing = getattr(pool_ns, pairing_label)
        activity = ledger_services.record_activity(
            actor=party_account(world, pool_ns, pairing_label, which),
            pairing=pairing,
            occurred_on=day,
            duration_min=60,
            method=Method.DIAGNOSTIC_VISIT,
            content_areas=[ContentArea.PARTY_BUILDING],
            summary=f"{MARK}-{label}",
            files=[jpeg()],
        )
        setattr(ns, label, activity)
    for label, (pairing_label, activities) in REVIEWS.items():
        review = ledger_services.write_review(
            actor=party_account(world, pool_ns, pairing_label),
            pairing=getattr(pool_ns, pairing_label),
            activities=[getattr(ns, a) for a in activities],
            lessons=f"{MARK}-{label}",
            next_steps="下一步",
        )
        setattr(ns, label, review)
    return ns


@pytest.fixture(scope="module")
def ledger_world(pool_world, django_db_blocker):  # noqa: F811  (the imported fixture)
    """The pool world (its personas, records and media folder) plus the ledger's, rolled back after the module."""
    world, pool_ns, far = pool_world
    with django_db_blocker.unblock(), transaction.atomic():
        yield world, pool_ns, build_ledger_world(world, pool_ns), far
        transaction.set_rollback(True)


@pytest.fixture
def lctx(ledger_world, db) -> LedgerCtx:
    world, pool_ns, ledger_ns, far = ledger_world
    return LedgerCtx(world=world, cadre_far=far, pool=pool_ns, ledger=ledger_ns)


@pytest.mark.parametrize("case", LEDGER_CASES, ids=[c.id for c in LEDGER_CASES])
def test_ledger_permission_matrix(case: Case, lctx, client):
    run_case(case, lctx, client, guarded=LEDGER_GUARDED)


def test_ledger_world_is_as_declared(lctx):
    for label, (pairing, which) in ACTIVITIES.items():
        activity = Activity.objects.get(pk=lctx.pk(label))
        assert activity.pairing_id == lctx.pk(pairing) and activity.logged_as == which
        assert activity.status == ActivityStatus.RECORDED and activity.evidence.count() == 1
        assert activity.region.code == pairing_region(pairing)
    for label, (pairing, activities) in REVIEWS.items():
        review = Review.objects.get(pk=lctx.pk(label))
        assert review.pairing_id == lctx.pk(pairing)
        assert set(review.activities.values_list("pk", flat=True)) == {lctx.pk(a) for a in activities}


def test_ledger_matrix_cannot_pass_vacuously(lctx):
    """Every outcome occurs; county admin A and each cadre meet both their own records and others' (404)."""
    outcomes, per_endpoint = set(), {}
    for case in LEDGER_CASES:
        lctx.persona = case.persona
        outcome = _expected(case, lctx)
        outcomes.add(outcome)
        per_endpoint.setdefault((case.url_name, case.persona), set()).add(outcome)
    assert outcomes == set(Outcome)
    for name, endpoint in MATRIX_COVERAGE.items():
        # Recording is the cadres' own (403 for the governing roles whatever they name): checked below.
        if (
            set(endpoint.targets) <= {*ACTIVITIES, *PAIRINGS, *REVIEWS, *MONTH_REGIONS}
            and name != "ledger:record"
        ):
            assert HIDDEN in per_endpoint[(name, "county_admin_b")], name
            assert per_endpoint[(name, "county_admin_b")] - {HIDDEN}, name
    for persona in ("mentor", "apprentice"):
        assert {OK, HIDDEN} <= per_endpoint[("ledger:detail", persona)], persona
        assert {OK, INVALID, HIDDEN} <= per_endpoint[("ledger:action", persona)], persona
        assert {OK, INVALID, HIDDEN} <= per_endpoint[("ledger:record", persona)], persona
    assert per_endpoint[("ledger:record", "county_admin_a")] == {DENIED}
    assert per_endpoint[("ledger:action", "auditor")] == {DENIED}  # reads all, changes nothing


def test_ledger_case_ids_are_unique():
    ids = [c.id for c in LEDGER_CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates
