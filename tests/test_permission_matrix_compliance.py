"""The permission matrix of compliance and notifications: every page and API endpoint × the eight personas.

The machinery is tests/test_permission_matrix.py's and the pairings are the pool world of
tests/test_permission_matrix_pool.py (built once per module through the services); this module adds one notification
for each signed-in persona and declares MATRIX_COVERAGE.

What each persona may do, written from the issue and not from the apps' code:
- a pairing's compliance is seen by whoever sees the pairing (its mentor and apprentice, the governing roles over
  its region), and nobody else (404); it is judged only while the pairing runs (the API says so: 400);
- a region's compliance pages (pairings falling behind, silent mentors, trends) are for those who govern the
  region — organisation departments, township committees, auditors; a region out of sight is 404, a region a
  mentor or an apprentice sees but does not govern (their own village) is 403; without a region the page opens
  on the persona's own, and a persona governing nothing is refused (403);
- notifications are their recipient's alone: anyone else gets 404 for them, whatever their role; everyone signed
  in reads their own, marks them read and sets their own reminder preferences.
"""

import csv
import io
import itertools
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils.translation import gettext as _

from bangdai.compliance.rules import Light
from bangdai.notifications import services as notification_services
from bangdai.notifications.choices import REMINDER_KINDS, Frequency, Kind
from bangdai.notifications.models import Notification, ReminderPreference, ReminderRun

from .test_permission_matrix import (
    DENIED,
    HIDDEN,
    INVALID,
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
    PAIRINGS,
    POOL_GUARDED,
    PoolCtx,
    pairing_region,
    pk_kw,
    pool_world,  # noqa: F401  (the module fixture this module builds on)
    read_pairing,
    sees_pairing,
)

# ---------------------------------------------------------------------------------------------------------------
# The world: the pool's pairings, and one notification for each signed-in persona (label → recipient persona).

NOTIFICATIONS = {
    "n_province": "province_admin",
    "n_admin_a": "county_admin_a",
    "n_admin_b": "county_admin_b",
    "n_township": "township_a",
    "n_mentor": "mentor",
    "n_apprentice": "apprentice",
    "n_auditor": "auditor",
}
NOTIFICATION_TARGETS = ("n_mentor", "n_township", "n_admin_b")
RUNNING = tuple(p for p, (_a, _m, state) in PAIRINGS.items() if state == "active")
PAIRING_TARGETS = ("p_prop", "p_city", "p_xf", "p_b")
# Region pages: none (the persona's own), county A, county B, 上墅乡, and the mentor's own village.
REGION_TARGETS = (None, "330523", "330521", "330523205", "330523205202")
API_REGION_TARGETS = REGION_TARGETS[1:]
API_FILTERS = (None, "330523", "330521")


# ---------------------------------------------------------------------------------------------------------------
# Rules


def govern_region(ctx, code) -> Outcome:
    """The region pages: those who govern the region; a region seen but not governed is 403."""
    if code is None:
        return OK if ctx.reach.cadres else DENIED
    if not within(code, ctx.reach.regions):
        return HIDDEN
    return OK if within(code, ctx.reach.cadres) else DENIED


def read_compliance_api(ctx, label) -> Outcome:
    if not sees_pairing(ctx, label):
        return HIDDEN
    return OK if label in RUNNING else INVALID  # a proposed pairing is not judged yet


def own(ctx, label) -> Outcome:
    return OK if NOTIFICATIONS[label] == ctx.persona else HIDDEN


# ---------------------------------------------------------------------------------------------------------------
# Checks


@dataclass
class ComplianceCtx(PoolCtx):
    notes: SimpleNamespace = None

    def obj(self, label: str):
        return getattr(self.notes, label, None) or getattr(self.pool, label)


def home(ctx, code) -> str:
    return code or ctx.reach.cadres[0]


def expected_running(ctx, code) -> set[int]:
    return {
        ctx.pk(p)
        for p in RUNNING
        if sees_pairing(ctx, p) and (code is None or within(pairing_region(p), [code]))
    }


def lists_region(ctx, code, response):
    assert response.context["region"].code == home(ctx, code)
    shown = {item.pairing.pk for item in response.context["table"].data.data}
    assert shown == expected_running(ctx, home(ctx, code))


def exports_region(ctx, code, response):
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    column = rows[0].index(str(_("Pairing")))
    assert {int(row[column]) for row in rows[1:]} == expected_running(ctx, home(ctx, code))


def region_page(ctx, code, response):
    assert response.context["region"].code == home(ctx, code)


def silent_listed(ctx, code, response):
    # The pool's pairings began ten days ago: none is silent for 30 days yet.
    region_page(ctx, code, response)
    assert response.context["mentors"] == []


def trends_drawn(ctx, code, response):
    region_page(ctx, code, response)
    chart = response.context["chart"]
    assert len(chart["months"]) == 12 and chart["total"]["pairings"][-1] == len(
        expected_running(ctx, home(ctx, code))
    )


def panel_shown(ctx, label, response):
    item = response.context["item"]
    if label in RUNNING:
        assert item.pairing.pk == ctx.pk(label) and item.light in set(Light)
    else:
        assert item is None


def api_listed(ctx, code, response):
    shown = {row["pairing"] for row in response.json()["results"]}
    assert shown == expected_running(ctx, code)


def api_pairing(ctx, label, response):
    assert response.json()["pairing"] == ctx.pk(label)


def api_region(ctx, code, response):
    body = response.json()
    assert body["region"] == code and body["summary"]["total"] == len(expected_running(ctx, code))


def api_trends(ctx, code, response):
    assert response.json()["region"] == code


def own_labels(ctx) -> set[str]:
    return {label for label, persona in NOTIFICATIONS.items() if persona == ctx.persona}


def inbox_exactly(ctx, target, response):
    assert {n.pk for n in response.context["notifications"]} == {ctx.pk(n) for n in own_labels(ctx)}


def bell_counts(ctx, target, response):
    assert response.context["unread"] == len(own_labels(ctx))


def all_read(ctx, target, response):
    mine = Notification.objects.filter(recipient=ctx.actor)
    assert mine.exists() and not mine.filter(read_at__isnull=True).exists()
    assert Notification.objects.exclude(recipient=ctx.actor).filter(read_at__isnull=True).count() == len(
        NOTIFICATIONS
    ) - len(own_labels(ctx))


def opened(ctx, label, response):
    assert Notification.objects.get(pk=ctx.pk(label)).read_at is not None


def preference_saved(ctx, target, response):
    assert ReminderPreference.objects.get(user=ctx.actor, kind=Kind.CONFIRM_DUE).frequency == Frequency.WEEKLY
    assert ReminderPreference.objects.filter(user=ctx.actor).count() in (1, len(REMINDER_KINDS))


def api_inbox_exactly(ctx, target, response):
    assert {row["id"] for row in response.json()["results"]} == {ctx.pk(n) for n in own_labels(ctx)}


def api_unread(ctx, target, response):
    assert response.json() == {"unread": len(own_labels(ctx))}


def api_shows(ctx, label, response):
    assert response.json()["id"] == ctx.pk(label)


def api_preferences(ctx, target, response):
    assert response.json()[Kind.CONFIRM_DUE] == Frequency.IMMEDIATELY


def preferences_form(ctx, target) -> dict:
    return {**{kind: Frequency.IMMEDIATELY for kind in REMINDER_KINDS}, Kind.CONFIRM_DUE: Frequency.WEEKLY}


# ---------------------------------------------------------------------------------------------------------------
# MATRIX_COVERAGE


def region_query(ctx, code) -> dict:
    return {"light": "all", **({"region": code} if code else {})}


def code_kw(ctx, code) -> dict:
    return {"code": code}


MATRIX_COVERAGE: dict[str, Endpoint] = {
    "compliance:region": Endpoint(
        targets=REGION_TARGETS,
        calls=(
            Call("GET", govern_region, query=region_query, check=lists_region),
            Call(
                "GET",
                govern_region,
                label="GET-export",
                query=lambda ctx, code: {"export": "csv", **region_query(ctx, code)},
                check=exports_region,
            ),
        ),
    ),
    "compliance:silent": Endpoint(
        targets=REGION_TARGETS,
        calls=(
            Call(
                "GET",
                govern_region,
                query=lambda c, code: {"region": code} if code else {},
                check=silent_listed,
            ),
        ),
    ),
    "compliance:trends": Endpoint(
        targets=REGION_TARGETS,
        calls=(
            Call(
                "GET",
                govern_region,
                query=lambda c, code: {"region": code} if code else {},
                check=trends_drawn,
            ),
        ),
    ),
    "compliance:pairing": Endpoint(
        targets=PAIRING_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_pairing, check=panel_shown),)
    ),
    "api:compliance-pairing-list": Endpoint(
        api=True,
        targets=API_FILTERS,
        calls=(
            Call(
                "GET", read_region, query=lambda c, code: {"region": code} if code else {}, check=api_listed
            ),
        ),
    ),
    "api:compliance-pairing-detail": Endpoint(
        api=True,
        targets=PAIRING_TARGETS,
        kwargs=pk_kw,
        calls=(Call("GET", read_compliance_api, check=api_pairing),),
    ),
    "api:compliance-region-detail": Endpoint(
        api=True,
        targets=API_REGION_TARGETS,
        kwargs=code_kw,
        calls=(Call("GET", govern_region, check=api_region),),
    ),
    "api:compliance-region-silent": Endpoint(
        api=True, targets=API_REGION_TARGETS, kwargs=code_kw, calls=(Call("GET", govern_region),)
    ),
    "api:compliance-region-trends": Endpoint(
        api=True,
        targets=API_REGION_TARGETS,
        kwargs=code_kw,
        calls=(Call("GET", govern_region, check=api_trends),),
    ),
    "notifications:list": Endpoint(calls=(Call("GET", signed_in, check=inbox_exactly),)),
    "notifications:bell": Endpoint(calls=(Call("GET", signed_in, check=bell_counts),)),
    "notifications:read_all": Endpoint(calls=(Call("POST", signed_in, ok=302, check=all_read),)),
    "notifications:preferences": Endpoint(
        calls=(
            Call("GET", signed_in),
            Call("POST", signed_in, ok=302, data=preferences_form, check=preference_saved),
        )
    ),
    "notifications:open": Endpoint(
        targets=NOTIFICATION_TARGETS, kwargs=pk_kw, calls=(Call("POST", own, ok=302, check=opened),)
    ),
    "api:notification-list": Endpoint(api=True, calls=(Call("GET", signed_in, check=api_inbox_exactly),)),
    "api:notification-detail": Endpoint(
        api=True, targets=NOTIFICATION_TARGETS, kwargs=pk_kw, calls=(Call("GET", own, check=api_shows),)
    ),
    "api:notification-read": Endpoint(
        api=True, targets=NOTIFICATION_TARGETS, kwargs=pk_kw, calls=(Call("POST", own, check=opened),)
    ),
    "api:notification-read-all": Endpoint(api=True, calls=(Call("POST", signed_in, check=all_read),)),
    "api:notification-unread-count": Endpoint(api=True, calls=(Call("GET", signed_in, check=api_unread),)),
    "api:notification-preferences": Endpoint(
        api=True,
        calls=(
            Call("GET", signed_in, check=api_preferences),
            Call(
                "PUT",
                signed_in,
                data=lambda ctx, t: {Kind.CONFIRM_DUE: Frequency.WEEKLY},
                check=preference_saved,
            ),
        ),
    ),
}

GUARDED = {**POOL_GUARDED, Notification: None, ReminderPreference: None, ReminderRun: None}
CASES = build_cases(MATRIX_COVERAGE)


# ---------------------------------------------------------------------------------------------------------------
# The world, built once per module on top of the pool world; every case runs in a savepoint inside it.


def build_notifications(world) -> SimpleNamespace:
    ns = SimpleNamespace()
    for label, persona in NOTIFICATIONS.items():
        user = getattr(world, persona)
        draft = notification_services.Draft(
            user.pk, Kind.PLAN_OVERDUE, f"matrix:{label}", f"矩阵测试-{label}"
        )
        notification_services.deliver([draft])
        setattr(ns, label, Notification.objects.get(recipient=user, key=draft.key))
    return ns


@pytest.fixture(scope="module")
def compliance_world(pool_world, django_db_blocker):  # noqa: F811  (the imported fixture)
    world, pool_ns, far = pool_world
    with django_db_blocker.unblock(), transaction.atomic():
        yield world, pool_ns, build_notifications(world), far
        transaction.set_rollback(True)


@pytest.fixture
def cctx(compliance_world, db) -> ComplianceCtx:
    world, pool_ns, notes, far = compliance_world
    return ComplianceCtx(world=world, cadre_far=far, pool=pool_ns, notes=notes)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_compliance_permission_matrix(case: Case, cctx, client):
    run_case(case, cctx, client, guarded=GUARDED)


def test_compliance_world_is_as_declared(cctx):
    for label, persona in NOTIFICATIONS.items():
        note = Notification.objects.get(pk=cctx.pk(label))
        assert note.recipient_id == getattr(cctx.world, persona).pk and note.read_at is None
    for label in RUNNING:
        assert cctx.obj(label).status == "active" and cctx.obj(label).start_date is not None


def test_compliance_matrix_cannot_pass_vacuously(cctx):
    """Every outcome occurs; county admins meet their own regions and others' (404); cadres meet 403 and 404."""
    outcomes, per_endpoint = set(), {}
    for case in CASES:
        cctx.persona = case.persona
        outcome = _expected(case, cctx)
        outcomes.add(outcome)
        per_endpoint.setdefault((case.url_name, case.persona), set()).add(outcome)
    assert outcomes == set(Outcome)
    for name in ("compliance:region", "api:compliance-region-detail", "compliance:pairing"):
        assert {OK, HIDDEN} <= per_endpoint[(name, "county_admin_b")], name
    for persona in ("mentor", "apprentice"):
        assert {DENIED, HIDDEN} <= per_endpoint[("compliance:region", persona)], persona
        assert {OK, HIDDEN} <= per_endpoint[("compliance:pairing", persona)], persona
    for persona in ("mentor", "township_a", "county_admin_b"):
        assert per_endpoint[("notifications:open", persona)] == {OK, HIDDEN}, persona
    assert per_endpoint[("notifications:open", "province_admin")] == {HIDDEN}  # not even the province's admin
    assert INVALID in per_endpoint[("api:compliance-pairing-detail", "mentor")]


def test_compliance_case_ids_are_unique():
    ids = [c.id for c in CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates
