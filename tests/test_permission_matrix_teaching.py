"""The permission matrix of teaching sites and open classes: every page and API URL of bangdai/teaching × the
eight personas × targets in and out of their scope.

The machinery is tests/test_permission_matrix.py's and the pool world tests/test_permission_matrix_pool.py's;
this module adds a teaching world on top (sites, classes with their seats, materials, assignment proposals, and
a programme of 西湖区 outside 湖州市 with its own village) and declares MATRIX_COVERAGE. Each case runs inside its
own savepoint, rolled back after it.

What each persona may do, written from the issue and not from the app's scope code:
- organisation departments register, change, close and reopen the teaching sites of their region; township
  committees and auditors only read them;
- a class is visible to those who govern its village, to its mentor, to those seated in it, to the hosts of its
  site, and to the mentors and apprentices of every programme whose region covers its village (the open-class
  network of their programme); sites likewise (without the seats);
- a class is managed (changed, cancelled, materials, its QR code and check list) by its mentor and by the
  township committees and organisation departments over its village; the latter also enrol apprentices of
  their choice, seat them by the matching engine, and decide on those proposals;
- an apprentice enrols in, withdraws from and checks in to classes themselves; only cadres hold seats (403 for
  accounts without a cadre), and a cadre who may not take the step is told why (400, or the page again);
- auditors read everything in 湖州市 and change nothing; out of scope is 404, including records named in a form
  or a request body; anonymous callers go to the login page (pages) or are refused (API).
"""

import datetime as dt
import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from bangdai.core.choices import ContentArea
from bangdai.regions import services as region_services
from bangdai.teaching import services
from bangdai.teaching.choices import ClassStatus, SiteStatus
from bangdai.teaching.models import (
    AssignmentRow,
    ClassAssignment,
    ClassMaterial,
    Enrolment,
    OpenClass,
    TeachingEvent,
    TeachingSite,
)

from . import pool
from .factories import PersonFactory, region
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
    run_case,
    signed_in,
    within,
)
from .test_permission_matrix_pool import (
    APPRENTICES,
    MENTORS,
    PERSON_REGION,
    POOL_GUARDED,
    PROGRAMMES,
    PoolCtx,
    administers,
    api_shows,
    edits,
    export_query,
    filter_region,
    governs,
    pk_kw,
    pool_world,  # noqa: F401  (a module-scoped fixture: this module's pool world)
    region_query,
    sees_mentor,
)

# ---------------------------------------------------------------------------------------------------------------
# The teaching world, declared.

CP = ContentArea.COMMON_PROSPERITY
FAR_VILLAGE = "330106002201"  # a village imported under 北山街道 (西湖区, 杭州市): outside 湖州市
FAR_ROW = {"code": FAR_VILLAGE, "name": "西湖村", "parent_code": "330106002", "lng": "120.13", "lat": "30.27"}

# Cadres beyond the pool world's: label → (name, workplace, birth date).
T_PEOPLE = {
    "far_m": ("冯西湖", FAR_VILLAGE, dt.date(1966, 3, 1)),
    "far_a": ("秦西湖", FAR_VILLAGE, dt.date(1996, 4, 2)),
    "far_e": ("尤西湖", FAR_VILLAGE, dt.date(1997, 5, 3)),
}
T_PERSON_REGION = {**PERSON_REGION, **{label: code for label, (_n, code, _b) in T_PEOPLE.items()}}
T_PROGRAMMES = {**PROGRAMMES, "prog_far": ("330106", "province_admin", "西湖区2027年导师帮带")}
T_MENTORS = {**MENTORS, "m_far": ("prog_far", "far_m")}
T_APPRENTICES = {**APPRENTICES, "a_far": ("prog_far", "far_a"), "e_far": ("prog_far", "far_e")}

# label → (host village, registering persona, host mentors)
SITES = {
    "s_ss": ("330523205201", "county_admin_a", ("m_ss",)),  # 上墅村, hosted by the world's mentor
    "s_xf": ("330523105201", "county_admin_a", ("m_xf",)),  # 横溪坞村 (孝丰镇)
    "s_b": ("330521002201", "county_admin_b", ("m_b",)),  # 上柏村 (德清县)
    "s_idle_ss": ("330523205202", "county_admin_a", ()),  # sites without classes, to close and reopen
    "s_idle_b": ("330521002201", "county_admin_b", ()),
    "s_far": (FAR_VILLAGE, "province_admin", ("m_far",)),
}
# label → (mentor, site or None, village, the apprentices seated in it, title); all upcoming, 共同富裕.
CLASSES = {
    "c_ss": (
        "m_ss",
        "s_ss",
        "330523205201",
        ("a_ss",),
        "上墅课堂",
    ),  # the world's mentor; the apprentice seated
    "c_xf": ("m_xf", "s_xf", "330523105201", ("a_xf",), "横溪坞课堂"),
    "c_b": ("m_b", "s_b", "330521002201", ("a_b",), "上柏课堂"),
    "c_far": ("m_far", None, FAR_VILLAGE, ("a_far",), "西湖课堂"),
}
MATERIALS = {"mat_ss": "c_ss", "mat_b": "c_b", "mat_far": "c_far"}
# label → (area, proposing persona, classes); proposals of the matching engine, not yet decided.
ASSIGNMENTS = {
    "as_a": ("330523", "county_admin_a", ("c_ss", "c_xf")),
    "as_b": ("330521", "county_admin_b", ("c_b",)),
}

CLASS_TARGETS = ("c_ss", "c_b", "c_far")
SITE_TARGETS = ("s_ss", "s_b", "s_far")
IDLE_SITES = ("s_idle_ss", "s_idle_b", "s_far")
NEW_SITE_VILLAGES = ("330523205202", "330521002201", FAR_VILLAGE)
SCHEDULE_MENTORS = ("m_ss", "m_xf", "m_b")
ENROL_CANDIDATE = {"c_ss": "e_ss", "c_xf": "e_xf", "c_b": "e_b", "c_far": "e_far"}
ASSIGN_AREAS = {"330523205": "c_ss", "330521": "c_b"}
API_FILTERS = (None, "330523", "330521")


def class_code(label) -> str:
    return CLASSES[label][2]


def own_person(ctx, label) -> bool:
    return ctx.reach.own is not None and ctx.reach.own == label


def reach_codes(ctx) -> list[str]:
    """The regions of the programmes the persona's own cadre is an appointed mentor or an active apprentice of."""
    own = ctx.reach.own
    programmes = {p for p, cadre in T_MENTORS.values() if cadre == own}
    programmes |= {p for p, cadre in T_APPRENTICES.values() if cadre == own}
    return [T_PROGRAMMES[p][0] for p in programmes]


def sees_apprentice(ctx, label) -> bool:
    cadre = T_APPRENTICES[label][1]
    return governs(ctx, T_PERSON_REGION[cadre]) or own_person(ctx, cadre)


def hosts(ctx, site_label) -> bool:
    return site_label is not None and any(own_person(ctx, T_MENTORS[m][1]) for m in SITES[site_label][2])


def sees_site(ctx, label) -> bool:
    code = SITES[label][0]
    return governs(ctx, code) or within(code, reach_codes(ctx)) or hosts(ctx, label)


def teaches(ctx, label) -> bool:
    return own_person(ctx, T_MENTORS[CLASSES[label][0]][1])


def seated(ctx, label) -> bool:
    return any(own_person(ctx, T_APPRENTICES[a][1]) for a in CLASSES[label][3])


def sees_class(ctx, label) -> bool:
    _mentor, site, code, _seats, _title = CLASSES[label]
    return (
        governs(ctx, code) or within(code, reach_codes(ctx)) or teaches(ctx, label) or seated(ctx, label)
    ) or hosts(ctx, site)


def manages(ctx, label) -> bool:
    return teaches(ctx, label) or edits(ctx, class_code(label))


def organises(ctx, label) -> bool:
    return edits(ctx, class_code(label))


def may_enrol_self(ctx, label) -> bool:
    """An active apprentice record of a programme covering the class's village, no seat yet, not its mentor."""
    own = ctx.reach.own
    covering = [
        a
        for a, (prog, cadre) in T_APPRENTICES.items()
        if cadre == own and within(class_code(label), [T_PROGRAMMES[prog][0]])
    ]
    return bool(covering) and not seated(ctx, label) and not teaches(ctx, label)


# ---------------------------------------------------------------------------------------------------------------
# Rules


def read_site(ctx, label) -> Outcome:
    return OK if sees_site(ctx, label) else HIDDEN


def manage_site(ctx, label) -> Outcome:
    if not sees_site(ctx, label):
        return HIDDEN
    return OK if administers(ctx, SITES[label][0]) else DENIED


def departments_only(ctx, target) -> Outcome:
    return OK if ctx.reach.admin else DENIED


def register_site(ctx, code) -> Outcome:
    if not ctx.reach.admin:
        return DENIED
    return OK if administers(ctx, code) else HIDDEN


def read_class(ctx, label) -> Outcome:
    return OK if sees_class(ctx, label) else HIDDEN


def manage_class(ctx, label) -> Outcome:
    if not sees_class(ctx, label):
        return HIDDEN
    return OK if manages(ctx, label) else DENIED


def organise_class(ctx, label) -> Outcome:
    if not sees_class(ctx, label):
        return HIDDEN
    return OK if organises(ctx, label) else DENIED


def is_mentor(ctx) -> bool:
    return any(cadre == ctx.reach.own for _p, cadre in T_MENTORS.values())


def may_schedule(ctx, target) -> Outcome:
    return OK if ctx.reach.edits or is_mentor(ctx) else DENIED


def schedule_rest(ctx, mentor) -> Outcome:
    """After the role check: the mentor and the village named must be among the choices; then the service."""
    code = T_PERSON_REGION[T_MENTORS[mentor][1]]
    if not sees_mentor(ctx, mentor) or not within(code, ctx.reach.regions):
        return HIDDEN
    return OK if own_person(ctx, T_MENTORS[mentor][1]) or edits(ctx, code) else DENIED


def schedule_page(ctx, mentor) -> Outcome:
    return may_schedule(ctx, mentor) if may_schedule(ctx, mentor) is DENIED else schedule_rest(ctx, mentor)


def schedule_api(ctx, mentor) -> Outcome:
    if not (ctx.reach.edits or ctx.reach.own):
        return DENIED  # the role check: editors and cadres acting for themselves
    return schedule_rest(ctx, mentor)


def enrol_others(ctx, label) -> Outcome:
    outcome = organise_class(ctx, label)
    if outcome is OK and not sees_apprentice(ctx, ENROL_CANDIDATE[label]):
        return HIDDEN
    return outcome


def enrol_others_api(ctx, label) -> Outcome:
    if not sees_class(ctx, label):
        return HIDDEN
    if not (ctx.reach.edits or ctx.reach.own):
        return DENIED
    if not sees_apprentice(ctx, ENROL_CANDIDATE[label]):
        return HIDDEN
    return OK if organises(ctx, label) else DENIED


def enrol_self(ctx, label) -> Outcome:
    if not sees_class(ctx, label):
        return HIDDEN
    if ctx.reach.own is None:
        return DENIED
    return OK if may_enrol_self(ctx, label) else INVALID


def withdraw_own(ctx, label) -> Outcome:
    if not sees_class(ctx, label):
        return HIDDEN
    if ctx.reach.own is None:
        return DENIED
    return OK if seated(ctx, label) else INVALID


def withdraw_seat(ctx, label) -> Outcome:
    """An organiser takes back someone else's seat; the mentor is refused, anyone else does not see the seat."""
    if not sees_class(ctx, label):
        return HIDDEN
    if organises(ctx, label):
        return OK
    return DENIED if teaches(ctx, label) else HIDDEN


def check_in(ctx, label) -> Outcome:
    if not sees_class(ctx, label):
        return HIDDEN
    return OK if seated(ctx, label) else INVALID


def check_in_api(ctx, label) -> Outcome:
    if not sees_class(ctx, label):
        return HIDDEN
    if ctx.reach.own is None:
        return DENIED
    return OK if seated(ctx, label) else INVALID


def may_assign(ctx, target) -> Outcome:
    return OK if ctx.reach.edits else DENIED


def assign(ctx, area) -> Outcome:
    if not ctx.reach.edits:
        return DENIED
    open_class = ASSIGN_AREAS[area]
    if not sees_class(ctx, open_class) or not edits(ctx, area):
        return HIDDEN
    return OK if organises(ctx, open_class) else INVALID


def assign_api(ctx, area) -> Outcome:
    outcome = assign(ctx, area)
    return (
        DENIED if outcome is INVALID else outcome
    )  # the service refuses a class the caller does not organise


def read_assignment(ctx, label) -> Outcome:
    return OK if governs(ctx, ASSIGNMENTS[label][0]) else HIDDEN


def decide_assignment(ctx, label) -> Outcome:
    if not governs(ctx, ASSIGNMENTS[label][0]):
        return HIDDEN
    return OK if edits(ctx, ASSIGNMENTS[label][0]) else DENIED


def material_rule(rule):
    def checked(ctx, label) -> Outcome:
        return rule(ctx, MATERIALS[label])

    checked.__name__ = rule.__name__
    return checked


# ---------------------------------------------------------------------------------------------------------------
# Expected lists and checks of allowed calls.


def site_labels(ctx, code, *, home: bool) -> set[str]:
    area = filter_region(ctx, code, home=home)
    return {s for s in SITES if sees_site(ctx, s) and (area is None or within(SITES[s][0], [area]))}


def class_labels(ctx, code, *, home: bool) -> set[str]:
    area = filter_region(ctx, code, home=home)
    return {c for c in CLASSES if sees_class(ctx, c) and (area is None or within(class_code(c), [area]))}


def lists_exactly(kind, *, api=False):
    labels = site_labels if kind == "sites" else class_labels

    def check(ctx, code, response):
        if api:
            shown = {row["id"] for row in response.json()["results"]}
        else:
            shown = {obj.pk for obj in response.context["table"].data.data}
        assert shown == {ctx.pk(label) for label in labels(ctx, code, home=not api)}

    return check


def exports_exactly(ctx, code, response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    shown = {c for c in CLASSES if CLASSES[c][4] in body}
    assert shown == class_labels(ctx, code, home=True)


def mine_shows_own(ctx, target, response):
    body = response.content.decode()
    expected = {
        c
        for c in CLASSES
        if teaches(ctx, c) or seated(ctx, c) or (sees_class(ctx, c) and may_enrol_self(ctx, c))
    }
    assert {c for c in CLASSES if CLASSES[c][4] in body} == expected


def api_assignments_listed_exactly(ctx, target, response):
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {ctx.pk(a) for a in ASSIGNMENTS if governs(ctx, ASSIGNMENTS[a][0])}


def api_counts_visible(ctx, target, response):
    from bangdai.mentors.models import Mentor

    shown = {row["mentor"] for row in response.json()["results"]}
    assert shown <= set(Mentor.objects.visible_to(ctx.actor).values_list("pk", flat=True))
    assert (ctx.pk("m_ss") in shown) == sees_mentor(ctx, "m_ss")


def site_created(ctx, code, response):
    site = TeachingSite.objects.select_related("village").get(name=MARK)
    assert site.village.code == code and site.created_by_id == ctx.actor.pk


def site_changed(ctx, label, response):
    assert TeachingSite.objects.get(pk=ctx.pk(label)).academy == MARK
    assert TeachingEvent.objects.filter(
        site_id=ctx.pk(label), action="site_changed", actor=ctx.actor
    ).exists()


def site_in(status):
    def check(ctx, label, response):
        assert TeachingSite.objects.get(pk=ctx.pk(label)).status == status

    return check


def make_site_closed(ctx, label):
    TeachingSite.objects.filter(pk=ctx.pk(label)).update(status=SiteStatus.CLOSED)


def class_scheduled(ctx, mentor, response):
    open_class = OpenClass.objects.get(title=MARK)
    assert open_class.mentor_id == ctx.pk(mentor) and open_class.created_by_id == ctx.actor.pk


def class_changed(ctx, label, response):
    assert OpenClass.objects.get(pk=ctx.pk(label)).title == MARK


def class_cancelled(ctx, label, response):
    open_class = OpenClass.objects.get(pk=ctx.pk(label))
    assert open_class.status == ClassStatus.CANCELLED and open_class.cancel_reason == MARK


def candidate_enrolled(ctx, label, response):
    enrolment = Enrolment.objects.get(apprentice_id=ctx.pk(ENROL_CANDIDATE[label]), status="enrolled")
    assert enrolment.open_class_id == ctx.pk(label) and enrolment.enrolled_by_id == ctx.actor.pk


def self_enrolled(ctx, label, response):
    enrolment = Enrolment.objects.get(
        open_class_id=ctx.pk(label), person=ctx.person(ctx.reach.own), status="enrolled"
    )
    assert enrolment.source == "self"


def own_withdrawn(ctx, label, response):
    assert not Enrolment.objects.filter(
        open_class_id=ctx.pk(label), person=ctx.person(ctx.reach.own), status="enrolled"
    ).exists()


def seat_withdrawn(ctx, label, response):
    assert Enrolment.objects.get(pk=seat_of(ctx, label)).status == "withdrawn"


def checked_in(method):
    def check(ctx, label, response):
        enrolment = Enrolment.objects.get(pk=seat_of(ctx, label))
        assert enrolment.attended_at is not None and enrolment.check_in_method == method
        assert enrolment.checked_in_by_id == ctx.actor.pk

    return check


def material_added(ctx, label, response):
    assert ClassMaterial.objects.filter(open_class_id=ctx.pk(label), uploaded_by=ctx.actor).exists()


def material_removed(ctx, label, response):
    assert not ClassMaterial.objects.filter(pk=ctx.pk(label)).exists()


def is_svg(ctx, label, response):
    assert response["Content-Type"] == "image/svg+xml" and b"<svg" in response.content


def is_file(ctx, label, response):
    assert b"".join(response.streaming_content)[:4] == b"\x89PNG"


def assignment_proposed(ctx, area, response):
    world = [ctx.pk(a) for a in ASSIGNMENTS]
    assignment = ClassAssignment.objects.exclude(pk__in=world).get(created_by=ctx.actor, region__code=area)
    assert assignment.status == "proposed" and assignment.rows.filter(open_class__isnull=False).exists()


def assignment_in(status):
    def check(ctx, label, response):
        assert ClassAssignment.objects.get(pk=ctx.pk(label)).status == status

    return check


# Preparations and request bodies.


def running(ctx, label):
    """The class began ten minutes ago: check-in and the check list are open."""
    starts = timezone.now() - dt.timedelta(minutes=10)
    OpenClass.objects.filter(pk=ctx.pk(label)).update(
        starts_at=starts, ends_at=starts + dt.timedelta(hours=2)
    )


def seat_of(ctx, label) -> int:
    return Enrolment.objects.get(open_class_id=ctx.pk(label), apprentice_id=ctx.pk(CLASSES[label][3][0])).pk


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def later(days=30, hours=0) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days, hours=hours)).replace(second=0, microsecond=0)


def new_site_form(ctx, code, *, api=False) -> dict:
    body = {"name": MARK, "village": code, "level": "county", "capacity_per_session": 20, "themes": [CP]}
    return body if api else {**body, "courses": "", "host_mentors": [], "academy": "", "description": ""}


def site_form(ctx, label) -> dict:
    site = ctx.obj(label)
    return {
        "name": site.name,
        "village": site.village.code,
        "level": site.level,
        "capacity_per_session": site.capacity_per_session,
        "themes": site.themes,
        "courses": "\n".join(site.courses),
        "host_mentors": list(site.host_mentors.values_list("pk", flat=True)),
        "academy": MARK,
        "description": "",
    }


def schedule_body(ctx, mentor, *, api=False) -> dict:
    start = later()
    body = {
        "mentor": ctx.pk(mentor),
        "village": T_PERSON_REGION[T_MENTORS[mentor][1]],
        "title": MARK,
        "content_areas": [CP],
        "capacity": 5,
    }
    if api:
        return {
            **body,
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        }
    return {
        **body,
        "site": "",
        "starts_at": local(start),
        "ends_at": local(start + dt.timedelta(hours=2)),
        "method": "onsite_teaching",
        "place": "",
        "description": "",
    }


def class_form(ctx, label) -> dict:
    open_class = OpenClass.objects.get(pk=ctx.pk(label))
    return {
        "title": MARK,
        "starts_at": local(open_class.starts_at),
        "ends_at": local(open_class.ends_at),
        "content_areas": open_class.content_areas,
        "method": open_class.method,
        "capacity": open_class.capacity,
        "place": "",
        "description": "",
    }


def png(name=MARK) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 16), "teal").save(buffer, "PNG")
    return SimpleUploadedFile(f"{name}.png", buffer.getvalue(), content_type="image/png")


def token_kw(ctx, label):
    return {"token": services.checkin_token(ctx.obj(label))}


def material_kw(ctx, label):
    return {"pk": ctx.pk(MATERIALS[label]), "material_id": ctx.pk(label)}


def class_action(action, rule, *, data=None, check=None, targets=CLASS_TARGETS, label="", prepare=None):
    return Call(
        "POST",
        rule,
        ok=302,
        label=label or f"POST-{action}",
        url_kwargs=(("action", action),),
        data=data,
        check=check,
        targets=targets,
        prepare=prepare,
    )


def api_post(rule, *, ok=200, data=None, check=None, targets=CLASS_TARGETS, label="", prepare=None):
    return Call("POST", rule, ok=ok, label=label, data=data, check=check, targets=targets, prepare=prepare)


def list_filter(ctx, code) -> Outcome:
    return OK if code in (None, "all") or within(code, ctx.reach.regions) else HIDDEN


def list_endpoint(kind: str, create: Call | None = None) -> Endpoint:
    """A list page (its region filter and an export), or with ``create`` the API list and its create call."""
    api = create is not None
    calls = [Call("GET", list_filter, query=region_query(), check=lists_exactly(kind, api=api))]
    if api:
        calls.append(create)
    else:
        export = exports_exactly if kind == "classes" else None
        calls.append(
            Call("GET", signed_in, label="GET-export", query=export_query, check=export, targets=("all",))
        )
    return Endpoint(api=api, targets=API_FILTERS if api else (None, "all", "330521"), calls=tuple(calls))


def api_endpoint(*calls, targets=CLASS_TARGETS, kwargs=pk_kw):
    return Endpoint(api=True, targets=targets, kwargs=kwargs, calls=calls)


# ---------------------------------------------------------------------------------------------------------------
# MATRIX_COVERAGE: every URL name of bangdai/teaching → its targets, how to build the URL, and the calls to make.

MATRIX_COVERAGE: dict[str, Endpoint] = {
    # Pages
    "teaching:mine": Endpoint(calls=(Call("GET", signed_in, check=mine_shows_own),)),
    "teaching:sites": list_endpoint("sites"),
    "teaching:site_create": Endpoint(
        targets=NEW_SITE_VILLAGES,
        calls=(
            Call("GET", departments_only, targets=(None,)),
            Call("POST", register_site, ok=302, data=new_site_form, check=site_created),
        ),
    ),
    "teaching:site_detail": Endpoint(targets=SITE_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_site),)),
    "teaching:site_edit": Endpoint(
        targets=SITE_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", manage_site),
            Call("POST", manage_site, ok=302, data=site_form, check=site_changed),
        ),
    ),
    "teaching:site_action": Endpoint(
        targets=IDLE_SITES,
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                manage_site,
                ok=302,
                label="POST-close",
                url_kwargs=(("action", "close"),),
                data=lambda ctx, s: {"close-reason": MARK},
                check=site_in(SiteStatus.CLOSED),
            ),
            Call(
                "POST",
                manage_site,
                ok=302,
                label="POST-reopen",
                url_kwargs=(("action", "reopen"),),
                prepare=make_site_closed,
                check=site_in(SiteStatus.ACTIVE),
            ),
        ),
    ),
    "teaching:classes": list_endpoint("classes"),
    "teaching:class_create": Endpoint(
        targets=SCHEDULE_MENTORS,
        calls=(
            Call("GET", may_schedule, targets=(None,)),
            Call("POST", schedule_page, ok=302, data=schedule_body, check=class_scheduled),
        ),
    ),
    "teaching:class_detail": Endpoint(targets=CLASS_TARGETS, kwargs=pk_kw, calls=(Call("GET", read_class),)),
    "teaching:class_edit": Endpoint(
        targets=CLASS_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", manage_class),
            Call("POST", manage_class, ok=302, data=class_form, check=class_changed),
        ),
    ),
    "teaching:class_enrol_others": Endpoint(
        targets=CLASS_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", organise_class),
            Call(
                "POST",
                enrol_others,
                ok=302,
                data=lambda ctx, c: {"apprentices": [ctx.pk(ENROL_CANDIDATE[c])]},
                check=candidate_enrolled,
            ),
        ),
    ),
    "teaching:class_checklist": Endpoint(
        targets=CLASS_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("GET", manage_class),
            Call(
                "POST",
                manage_class,
                ok=302,
                prepare=running,
                check=checked_in("list"),
                data=lambda ctx, c: {"enrolment": seat_of(ctx, c), "present": "1"},
            ),
        ),
    ),
    "teaching:class_qr": Endpoint(
        targets=CLASS_TARGETS, kwargs=pk_kw, calls=(Call("GET", manage_class, check=is_svg),)
    ),
    "teaching:material_add": Endpoint(
        targets=CLASS_TARGETS,
        kwargs=pk_kw,
        calls=(
            Call("POST", manage_class, ok=302, data=lambda ctx, c: {"file": png()}, check=material_added),
        ),
    ),
    "teaching:class_action": Endpoint(
        targets=CLASS_TARGETS,
        kwargs=pk_kw,
        calls=(
            class_action("enrol", enrol_self, check=self_enrolled, targets=("c_xf", "c_b", "c_far")),
            class_action("withdraw", withdraw_own, check=own_withdrawn),
            class_action(
                "withdraw",
                withdraw_seat,
                label="POST-withdraw-seat",
                check=seat_withdrawn,
                data=lambda ctx, c: {"enrolment": seat_of(ctx, c)},
                targets=("c_xf", "c_b", "c_far"),
            ),
            class_action(
                "cancel", manage_class, data=lambda ctx, c: {"cancel-reason": MARK}, check=class_cancelled
            ),
        ),
    ),
    "teaching:material": Endpoint(
        targets=tuple(MATERIALS), kwargs=pk_kw, calls=(Call("GET", material_rule(read_class), check=is_file),)
    ),
    "teaching:material_remove": Endpoint(
        targets=tuple(MATERIALS),
        kwargs=pk_kw,
        calls=(Call("POST", material_rule(manage_class), ok=302, check=material_removed),),
    ),
    "teaching:checkin": Endpoint(
        targets=CLASS_TARGETS,
        kwargs=token_kw,
        calls=(
            Call("GET", read_class),
            Call("POST", check_in, ok=302, prepare=running, check=checked_in("scan")),
        ),
    ),
    "teaching:assign": Endpoint(
        targets=tuple(ASSIGN_AREAS),
        calls=(
            Call("GET", may_assign, targets=(None,)),
            Call(
                "POST",
                assign,
                ok=302,
                check=assignment_proposed,
                data=lambda ctx, a: {
                    "classes": [ctx.pk(ASSIGN_AREAS[a])],
                    "area": a,
                    "max_distance_km": 50,
                    "require_topic": "on",
                },
            ),
        ),
    ),
    "teaching:assignment_detail": Endpoint(
        targets=tuple(ASSIGNMENTS), kwargs=pk_kw, calls=(Call("GET", read_assignment),)
    ),
    "teaching:assignment_action": Endpoint(
        targets=tuple(ASSIGNMENTS),
        kwargs=pk_kw,
        calls=(
            Call(
                "POST",
                decide_assignment,
                ok=302,
                label="POST-confirm",
                url_kwargs=(("action", "confirm"),),
                check=assignment_in("confirmed"),
            ),
            Call(
                "POST",
                decide_assignment,
                ok=302,
                label="POST-discard",
                url_kwargs=(("action", "discard"),),
                check=assignment_in("discarded"),
            ),
        ),
    ),
    # API: sites
    "api:teaching-site-list": list_endpoint(
        "sites",
        Call(
            "POST",
            register_site,
            ok=201,
            targets=NEW_SITE_VILLAGES,
            check=site_created,
            data=lambda ctx, code: new_site_form(ctx, code, api=True),
        ),
    ),
    "api:teaching-site-detail": api_endpoint(
        Call("GET", read_site, check=api_shows),
        Call("PATCH", manage_site, data=lambda ctx, s: {"academy": MARK}, check=site_changed),
        targets=SITE_TARGETS,
    ),
    "api:teaching-site-close": api_endpoint(
        api_post(
            manage_site,
            data=lambda ctx, s: {"reason": MARK},
            check=site_in(SiteStatus.CLOSED),
            targets=IDLE_SITES,
        ),
        targets=IDLE_SITES,
    ),
    "api:teaching-site-reopen": api_endpoint(
        api_post(manage_site, prepare=make_site_closed, check=site_in(SiteStatus.ACTIVE), targets=IDLE_SITES),
        targets=IDLE_SITES,
    ),
    # API: classes
    "api:open-class-list": list_endpoint(
        "classes",
        Call(
            "POST",
            schedule_api,
            ok=201,
            targets=SCHEDULE_MENTORS,
            check=class_scheduled,
            data=lambda ctx, m: schedule_body(ctx, m, api=True),
        ),
    ),
    "api:open-class-detail": api_endpoint(
        Call("GET", read_class, check=api_shows),
        Call("PATCH", manage_class, data=lambda ctx, c: {"title": MARK}, check=class_changed),
    ),
    "api:open-class-cancel": api_endpoint(
        api_post(manage_class, data=lambda ctx, c: {"reason": MARK}, check=class_cancelled)
    ),
    "api:open-class-enrol": api_endpoint(
        api_post(enrol_self, ok=201, check=self_enrolled, targets=("c_xf", "c_b", "c_far")),
        api_post(
            enrol_others_api,
            ok=201,
            label="POST-others",
            check=candidate_enrolled,
            data=lambda ctx, c: {"apprentices": [ctx.pk(ENROL_CANDIDATE[c])]},
        ),
    ),
    "api:open-class-withdraw": api_endpoint(api_post(withdraw_own, check=own_withdrawn)),
    "api:open-class-checkin": api_endpoint(
        api_post(
            check_in_api,
            prepare=running,
            check=checked_in("scan"),
            data=lambda ctx, c: {"token": services.checkin_token(ctx.obj(c))},
        )
    ),
    "api:open-class-attendance": api_endpoint(
        api_post(
            manage_class,
            prepare=running,
            check=checked_in("list"),
            data=lambda ctx, c: {"enrolment": seat_of(ctx, c), "present": True},
        )
    ),
    "api:open-class-roster": api_endpoint(Call("GET", manage_class)),
    "api:open-class-qr": api_endpoint(Call("GET", manage_class)),
    "api:open-class-materials": api_endpoint(
        api_post(manage_class, ok=201, data=lambda ctx, c: {"file": png()}, check=material_added)
    ),
    "api:open-class-material": api_endpoint(
        Call("GET", material_rule(read_class), check=is_file), targets=tuple(MATERIALS), kwargs=material_kw
    ),
    "api:open-class-counts": Endpoint(
        api=True,
        calls=(
            Call(
                "GET",
                signed_in,
                check=api_counts_visible,
                query=lambda ctx, t: {"year": timezone.localtime(ctx.obj("c_ss").starts_at).year},
            ),
        ),
    ),
    # API: assignments
    "api:open-class-assignment-list": Endpoint(
        api=True,
        targets=tuple(ASSIGN_AREAS),
        calls=(
            Call("GET", signed_in, targets=(None,), check=api_assignments_listed_exactly),
            Call(
                "POST",
                assign_api,
                ok=201,
                check=assignment_proposed,
                data=lambda ctx, a: {"classes": [ctx.pk(ASSIGN_AREAS[a])], "area": a},
            ),
        ),
    ),
    "api:open-class-assignment-detail": api_endpoint(
        Call("GET", read_assignment, check=api_shows), targets=tuple(ASSIGNMENTS)
    ),
    "api:open-class-assignment-confirm": api_endpoint(
        api_post(decide_assignment, check=assignment_in("confirmed"), targets=tuple(ASSIGNMENTS)),
        targets=tuple(ASSIGNMENTS),
    ),
    "api:open-class-assignment-discard": api_endpoint(
        api_post(decide_assignment, check=assignment_in("discarded"), targets=tuple(ASSIGNMENTS)),
        targets=tuple(ASSIGNMENTS),
    ),
}

TEACHING_GUARDED = {
    **POOL_GUARDED,
    TeachingSite: None,
    TeachingSite.host_mentors.through: None,
    OpenClass: None,
    ClassMaterial: None,
    Enrolment: None,
    TeachingEvent: None,
    ClassAssignment: None,
    ClassAssignment.classes.through: None,
    AssignmentRow: None,
}

TEACHING_CASES = build_cases(MATRIX_COVERAGE)


# ---------------------------------------------------------------------------------------------------------------
# The teaching world, built once per module through the services on top of the pool world.


def build_teaching_world(world, ns) -> None:
    region_services.import_villages([FAR_ROW], source="tests")
    for label, (name, code, birth) in T_PEOPLE.items():
        setattr(ns, label, PersonFactory(name=name, region=region(code), birth_date=birth))
    code, organiser, name = T_PROGRAMMES["prog_far"]
    admin = getattr(world, organiser)
    ns.prog_far = pool.programme(admin, code=code, name=name)
    ns.m_far = pool.appointed_mentor(admin, ns.prog_far, person=ns.far_m)
    for label in ("a_far", "e_far"):
        setattr(ns, label, pool.apprentice(admin, ns.prog_far, person=getattr(ns, T_APPRENTICES[label][1])))
    for i, (label, (code, organiser, host_labels)) in enumerate(SITES.items()):
        site = services.register_site(
            actor=getattr(world, organiser),
            village=region(code),
            name=f"教学点{i}",
            themes=[CP],
            capacity_per_session=30,
            level="county",
            host_mentors=[getattr(ns, m) for m in host_labels],
        )
        setattr(ns, label, site)
    start = (timezone.now() + dt.timedelta(days=10)).replace(second=0, microsecond=0)
    for i, (label, (mentor, site, code, seats, title)) in enumerate(CLASSES.items()):
        starts = start + dt.timedelta(days=i)
        open_class = services.schedule_class(
            actor=world.province_admin,
            mentor=getattr(ns, mentor),
            site=getattr(ns, site) if site else None,
            village=region(code),
            title=title,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            content_areas=[CP],
            capacity=10,
        )
        services.enrol(
            actor=world.province_admin, open_class=open_class, apprentices=[getattr(ns, a) for a in seats]
        )
        setattr(ns, label, OpenClass.objects.get(pk=open_class.pk))
    for label, class_label in MATERIALS.items():
        setattr(
            ns,
            label,
            services.add_material(
                actor=world.province_admin, open_class=getattr(ns, class_label), file=png(label)
            ),
        )
    for label, (area, persona, class_labels) in ASSIGNMENTS.items():
        assignment = services.propose_assignment(
            actor=getattr(world, persona), classes=[getattr(ns, c) for c in class_labels], area=region(area)
        )
        setattr(ns, label, assignment)


@pytest.fixture(scope="module")
def teaching_world(pool_world, django_db_blocker):  # noqa: F811  (the pool module's fixture, imported above)
    """The pool world with the teaching world on top, in the pool world's transaction (rolled back after the
    module) and with its media folder."""
    world, ns, far = pool_world
    with django_db_blocker.unblock():
        build_teaching_world(world, ns)
    return world, ns, far


@pytest.fixture
def tctx(teaching_world, db) -> PoolCtx:
    world, ns, far = teaching_world
    return PoolCtx(world=world, cadre_far=far, pool=ns)


@pytest.mark.parametrize("case", TEACHING_CASES, ids=[c.id for c in TEACHING_CASES])
def test_teaching_permission_matrix(case: Case, tctx, client):
    run_case(case, tctx, client, guarded=TEACHING_GUARDED)


def test_teaching_world_is_as_declared(tctx):
    """The declared world the rules read is the one in the database."""
    for label, (code, _organiser, host_labels) in SITES.items():
        site = TeachingSite.objects.select_related("village").get(pk=tctx.pk(label))
        assert site.village.code == code
        assert set(site.host_mentors.values_list("pk", flat=True)) == {tctx.pk(m) for m in host_labels}
    for label, (mentor, site, code, seats, title) in CLASSES.items():
        open_class = OpenClass.objects.select_related("village").get(pk=tctx.pk(label))
        assert (open_class.mentor_id, open_class.village.code, open_class.title) == (
            tctx.pk(mentor),
            code,
            title,
        )
        assert open_class.site_id == (tctx.pk(site) if site else None)
        assert set(open_class.enrolments.values_list("apprentice_id", flat=True)) == {
            tctx.pk(a) for a in seats
        }
        assert open_class.starts_at > timezone.now()
    for label, (area, _persona, classes) in ASSIGNMENTS.items():
        assignment = ClassAssignment.objects.get(pk=tctx.pk(label))
        assert assignment.region.code == area and assignment.status == "proposed"
        assert set(assignment.classes.values_list("pk", flat=True)) == {tctx.pk(c) for c in classes}
        assert assignment.rows.filter(open_class__isnull=False).exists()
    for label, (prog, cadre) in T_APPRENTICES.items():
        assert tctx.obj(label).person_id == tctx.person(cadre).pk and tctx.obj(label).programme_id == tctx.pk(
            prog
        )


def test_teaching_matrix_cannot_pass_vacuously(tctx):
    """Every outcome occurs; county admin A and the personal personas meet hidden and visible targets."""
    outcomes, per_endpoint = set(), {}
    for case in TEACHING_CASES:
        tctx.persona = case.persona
        outcome = _expected(case, tctx)
        outcomes.add(outcome)
        per_endpoint.setdefault((case.url_name, case.persona), set()).add(outcome)
    assert outcomes == set(Outcome)
    skip: set[str] = set()
    for name, endpoint in MATRIX_COVERAGE.items():
        if endpoint.targets != (None,) and name not in skip:
            seen = per_endpoint[(name, "county_admin_a")]
            assert HIDDEN in seen and seen - {HIDDEN}, name
    for persona in ("township_a", "mentor", "apprentice", "auditor"):
        assert {OK, HIDDEN} <= per_endpoint[("teaching:class_detail", persona)], persona
    assert {OK, INVALID, DENIED} <= per_endpoint[("teaching:class_action", "apprentice")] | per_endpoint[
        ("teaching:class_action", "mentor")
    ] | per_endpoint[("teaching:class_action", "county_admin_a")]


def test_teaching_case_ids_are_unique():
    ids = [c.id for c in TEACHING_CASES]
    duplicates = [i for i, n in itertools.groupby(sorted(ids)) if len(list(n)) > 1]
    assert not duplicates, duplicates


def test_every_teaching_url_is_covered():
    from django.urls import get_resolver

    from .test_permission_matrix import _patterns

    names = {name for name, _p in _patterns(get_resolver()) if name.startswith("teaching:")}
    names |= {
        name for name, _p in _patterns(get_resolver()) if "open-class" in name or "teaching-site" in name
    }
    assert names == set(MATRIX_COVERAGE)
