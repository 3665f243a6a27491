"""Teaching sites and open classes: sites, scheduling, enrolment (and its race), the matching engine's
assignment, QR check-in and the host's check list, the growth-file and compliance selectors, pages, API and CLI.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from bangdai.core.choices import ContentArea
from bangdai.mentors.choices import MentorTier
from bangdai.teaching import selectors, services
from bangdai.teaching.choices import ClassStatus, EnrolmentStatus, SiteStatus, TeachingAction
from bangdai.teaching.models import ClassAssignment, Enrolment, OpenClass, TeachingEvent, TeachingSite

from . import pool
from .factories import PersonFactory, region, user_with_role

SHANGSHU = "330523205201"  # 上墅村, 上墅乡, 安吉县 (county A)
LIUJIATANG = "330523205202"  # 刘家塘村, 上墅乡
HENGXIWU = "330523105201"  # 横溪坞村, 孝丰镇, 安吉县
SHANGBAI = "330521002201"  # 上柏村, 德清县 (county B)

CP, PB, GH = ContentArea.COMMON_PROSPERITY, ContentArea.PARTY_BUILDING, ContentArea.GOVERNANCE_HARMONY


# ---------------------------------------------------------------------------------------------- builders


def make_site(actor, code=SHANGSHU, name="上墅村现场教学点", hosts=(), **data):
    values = {
        "themes": [CP, PB],
        "courses": ["白茶产业与共同富裕", "村级组织建设"],
        "capacity_per_session": 30,
        "level": "county",
        "academy": "安吉县乡村振兴学院",
        **data,
    }
    return services.register_site(
        actor=actor, village=region(code), name=name, host_mentors=list(hosts), **values
    )


def soon(days=2, hours=0) -> dt.datetime:
    """A whole minute some days ahead, so page forms (minute precision) round-trip it exactly."""
    return (timezone.now() + dt.timedelta(days=days, hours=hours)).replace(second=0, microsecond=0)


def make_class(actor, mentor, *, at=None, site=None, village=None, hours=2, **data):
    starts = at or soon()
    values = {
        "title": "白茶产业现场教学",
        "content_areas": [CP],
        "capacity": 20,
        "place": "村文化礼堂",
        **data,
    }
    if site is None and village is None:
        village = region(SHANGSHU)
    return services.schedule_class(
        actor=actor,
        mentor=mentor,
        site=site,
        village=village,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=hours),
        **values,
    )


def make_mentor(actor, prog, person=None, code=LIUJIATANG, tier=MentorTier.MUNICIPAL, **profile):
    person = person or PersonFactory(region=region(code), birth_date=dt.date(1968, 5, 1))
    return pool.appointed_mentor(actor, prog, person=person, tier=tier, **profile)


def make_apprentice(actor, prog, person=None, code=SHANGSHU, needs=(CP,), **data):
    person = person or PersonFactory(region=region(code), birth_date=dt.date(1996, 3, 5))
    return pool.apprentice(actor, prog, person=person, needs=list(needs), **data)


def move_class(open_class, starts_at: dt.datetime, hours: float = 2) -> None:
    """Put a class at another time, past or present, where no service would (the clock moved on)."""
    ends_at = starts_at + dt.timedelta(hours=hours)
    OpenClass.objects.filter(pk=open_class.pk).update(starts_at=starts_at, ends_at=ends_at)
    open_class.starts_at, open_class.ends_at = starts_at, ends_at


def account(person, role, code, name=None):
    return user_with_role(name or f"u{person.pk}", role, code, person=person)


@pytest.fixture
def tw(world):
    """The world of tests/conftest.py plus county A's programme with the world's mentor (appointed, municipal
    tier, hosting the site of 上墅村) and apprentice, and county B's programme with a mentor and an apprentice."""
    admin_a, admin_b = world.county_admin_a, world.county_admin_b
    prog = pool.programme(admin_a)
    prog_b = pool.programme(admin_b, code="330521", name="德清县2027年导师帮带")
    mentor = make_mentor(admin_a, prog, person=world.mentor_person, expertise=[CP, PB])
    return SimpleNamespace(
        world=world,
        prog=prog,
        prog_b=prog_b,
        mentor=mentor,
        apprentice=make_apprentice(admin_a, prog, person=world.apprentice_person, three_gates=True),
        mentor_b=make_mentor(admin_b, prog_b, code=SHANGBAI),
        apprentice_b=make_apprentice(admin_b, prog_b, code=SHANGBAI),
        site=make_site(admin_a, hosts=[mentor]),
    )


def en(fn, *args, **kwargs):
    with translation.override("en"):
        return fn(*args, **kwargs)


def refused(error_class, match, fn, **kwargs):
    with translation.override("en"), pytest.raises(error_class, match=match):
        fn(**kwargs)


# ---------------------------------------------------------------------------------------------- sites


def test_register_site_keeps_its_fields_and_an_event(tw):
    site = TeachingSite.objects.get(pk=tw.site.pk)
    assert (site.village.code, site.level, site.status, site.capacity_per_session) == (
        SHANGSHU,
        "county",
        "active",
        30,
    )
    assert site.themes == [CP, PB] and site.courses == ["白茶产业与共同富裕", "村级组织建设"]
    assert list(site.host_mentors.all()) == [tw.mentor]
    assert TeachingEvent.objects.filter(site=site, action=TeachingAction.SITE_REGISTERED).count() == 1


@pytest.mark.parametrize(
    ("persona", "code", "level", "error", "match"),
    [
        ("county_admin_b", SHANGSHU, "county", PermissionDenied, "outside your jurisdiction"),
        ("township_a", SHANGSHU, "county", PermissionDenied, "outside your jurisdiction"),
        ("auditor", SHANGSHU, "county", PermissionDenied, "outside your jurisdiction"),
        (
            "county_admin_a",
            SHANGSHU,
            "municipal",
            ValidationError,
            "designated by the organisation department",
        ),
        ("county_admin_a", "330523205", "county", ValidationError, "village or community"),
    ],
)
def test_register_site_refusals_write_nothing(tw, persona, code, level, error, match):
    before = TeachingSite.objects.count()
    refused(
        error, match, make_site, actor=getattr(tw.world, persona), code=code, name="新教学点", level=level
    )
    assert TeachingSite.objects.count() == before


def test_site_levels_follow_the_department(tw):
    make_site(tw.world.province_admin, name="省级教学点", level="provincial")
    assert TeachingSite.objects.filter(name="省级教学点", level="provincial").exists()
    refused(ValidationError, "already has a teaching site", make_site, actor=tw.world.county_admin_a)
    refused(
        ValidationError, "at least one theme", make_site, actor=tw.world.county_admin_a, name="x", themes=[]
    )
    refused(
        ValidationError,
        "from 1 to 500",
        make_site,
        actor=tw.world.county_admin_a,
        name="x",
        capacity_per_session=0,
    )


def test_site_capacity_cannot_drop_below_an_upcoming_class(tw):
    make_class(tw.world.mentor, tw.mentor, site=tw.site, capacity=25)
    refused(
        ValidationError,
        "has 25 seats",
        services.update_site,
        actor=tw.world.county_admin_a,
        site=tw.site,
        capacity_per_session=20,
    )
    site = services.update_site(
        actor=tw.world.county_admin_a, site=tw.site, capacity_per_session=40, academy=""
    )
    assert (site.capacity_per_session, site.academy) == (40, "")
    event = TeachingEvent.objects.filter(site=site, action=TeachingAction.SITE_CHANGED).get()
    assert event.reason.count("、") == 1  # two fields changed


def test_closing_a_site_waits_for_its_classes(tw):
    admin = tw.world.county_admin_a
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    refused(
        ValidationError, "1 upcoming classes", services.close_site, actor=admin, site=tw.site, reason="改建"
    )
    refused(ValidationError, "Give a reason", services.close_site, actor=admin, site=tw.site, reason=" ")
    services.cancel_class(actor=tw.world.mentor, open_class=open_class, reason="台风")
    services.close_site(actor=admin, site=tw.site, reason="改建")
    assert TeachingSite.objects.get(pk=tw.site.pk).status == SiteStatus.CLOSED
    refused(ValidationError, "already", services.close_site, actor=admin, site=tw.site, reason="改建")
    refused(ValidationError, "is closed", make_class, actor=tw.world.mentor, mentor=tw.mentor, site=tw.site)
    refused(PermissionDenied, "reopen", services.reopen_site, actor=tw.world.township_a, site=tw.site)
    services.reopen_site(actor=admin, site=tw.site)
    assert TeachingSite.objects.get(pk=tw.site.pk).status == SiteStatus.ACTIVE


# ---------------------------------------------------------------------------------------------- classes


def test_mentor_schedules_at_the_site_and_township_for_the_mentor(tw):
    at_site = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    assert (at_site.village.code, at_site.status, at_site.enrolled_count) == (
        SHANGSHU,
        ClassStatus.SCHEDULED,
        0,
    )
    in_village = make_class(tw.world.township_a, tw.mentor, village=region(LIUJIATANG), at=soon(days=3))
    assert in_village.site is None and in_village.created_by == tw.world.township_a
    assert TeachingEvent.objects.filter(action=TeachingAction.CLASS_SCHEDULED).count() == 2


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"at": "past"}, ValidationError, "start in the future"),
        ({"hours": 13}, ValidationError, "at most 12 hours"),
        ({"hours": -1}, ValidationError, "end after it starts"),
        ({"capacity": 31}, ValidationError, "from 1 to 30"),
        ({"content_areas": []}, ValidationError, "at least one content area"),
        ({"title": " "}, ValidationError, "title"),
        ({"site": None, "village": SHANGBAI}, ValidationError, "outside the programme"),
        ({"site": None, "village": "330523205"}, ValidationError, "village or community"),
    ],
)
def test_schedule_refusals_write_nothing(tw, change, error, match):
    kwargs = {"site": tw.site, **change}
    if kwargs.get("at") == "past":
        kwargs["at"] = timezone.now() - dt.timedelta(hours=1)
    if isinstance(kwargs.get("village"), str):
        kwargs["village"] = region(kwargs["village"])
    refused(error, match, make_class, actor=tw.world.mentor, mentor=tw.mentor, **kwargs)
    assert not OpenClass.objects.exists()


def test_schedule_refuses_clashes_and_other_mentors(tw):
    make_class(tw.world.mentor, tw.mentor, site=tw.site)
    refused(
        ValidationError,
        "gives “白茶产业现场教学” at that time",
        make_class,
        actor=tw.world.mentor,
        mentor=tw.mentor,
        village=region(LIUJIATANG),
        at=soon(hours=1),
    )
    other = make_mentor(tw.world.county_admin_a, tw.prog)
    refused(
        ValidationError,
        "The site holds",
        make_class,
        actor=tw.world.county_admin_a,
        mentor=other,
        site=tw.site,
        at=soon(hours=1),
    )
    refused(PermissionDenied, "Only the mentor", make_class, actor=tw.world.mentor, mentor=other)
    refused(PermissionDenied, "Only the mentor", make_class, actor=tw.world.county_admin_b, mentor=other)
    refused(PermissionDenied, "Only the mentor", make_class, actor=tw.world.auditor, mentor=other)
    assert OpenClass.objects.count() == 1


def test_update_and_cancel_a_class(tw):
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site, capacity=2)
    services.enrol_self(actor=tw.world.apprentice, open_class=open_class)
    services.enrol(
        actor=tw.world.township_a,
        open_class=open_class,
        apprentices=[make_apprentice(tw.world.township_a, tw.prog)],
    )
    refused(
        ValidationError,
        "2 apprentices have enrolled",
        services.update_class,
        actor=tw.world.mentor,
        open_class=OpenClass.objects.get(pk=open_class.pk),
        capacity=1,
    )
    changed = services.update_class(
        actor=tw.world.mentor, open_class=open_class, title="白茶产业与共富", capacity=5
    )
    assert (changed.title, OpenClass.objects.get(pk=open_class.pk).capacity) == ("白茶产业与共富", 5)
    refused(
        PermissionDenied,
        "may not change",
        services.update_class,
        actor=tw.world.auditor,
        open_class=open_class,
        title="x",
    )
    refused(
        ValidationError,
        "Give a reason",
        services.cancel_class,
        actor=tw.world.mentor,
        open_class=open_class,
        reason="",
    )
    services.cancel_class(actor=tw.world.township_a, open_class=open_class, reason="台风预警")
    refused(
        ValidationError,
        "cancelled already",
        services.cancel_class,
        actor=tw.world.mentor,
        open_class=open_class,
        reason="x",
    )
    assert OpenClass.objects.get(pk=open_class.pk).status == ClassStatus.CANCELLED
    refused(
        ValidationError,
        "cancelled",
        services.update_class,
        actor=tw.world.mentor,
        open_class=open_class,
        title="y",
    )


# ---------------------------------------------------------------------------------------------- enrolment


def test_enrol_self_takes_a_seat_once(tw):
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site, capacity=1)
    enrolment = services.enrol_self(actor=tw.world.apprentice, open_class=open_class)
    assert (enrolment.apprentice, enrolment.source) == (tw.apprentice, "self")
    assert OpenClass.objects.get(pk=open_class.pk).enrolled_count == 1
    refused(ValidationError, "full", services.enrol_self, actor=tw.world.apprentice, open_class=open_class)
    OpenClass.objects.filter(pk=open_class.pk).update(capacity=2)
    open_class.refresh_from_db()
    refused(
        ValidationError,
        "enrolled in this class already",
        services.enrol_self,
        actor=tw.world.apprentice,
        open_class=open_class,
    )
    assert OpenClass.objects.get(pk=open_class.pk).enrolled_count == 1
    assert Enrolment.objects.count() == 1


def test_enrol_self_refusals(tw):
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    b_user = account(tw.apprentice_b.person, "apprentice", SHANGBAI)
    refused(
        ValidationError,
        "not an apprentice of a programme this class is open to",
        services.enrol_self,
        actor=b_user,
        open_class=open_class,
    )
    refused(
        PermissionDenied,
        "Only apprentices",
        services.enrol_self,
        actor=tw.world.county_admin_a,
        open_class=open_class,
    )
    move_class(open_class, timezone.now() - dt.timedelta(minutes=5))
    refused(
        ValidationError,
        "Enrolment has closed",
        services.enrol_self,
        actor=tw.world.apprentice,
        open_class=open_class,
    )
    assert not Enrolment.objects.exists() and OpenClass.objects.get(pk=open_class.pk).enrolled_count == 0


def test_admin_enrols_all_or_nothing(tw):
    admin = tw.world.county_admin_a
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site, capacity=3)
    others = [make_apprentice(admin, tw.prog, code=HENGXIWU) for _ in range(2)]
    graduated = make_apprentice(admin, tw.prog)
    graduated.status = "graduated"
    graduated.save()
    refused(
        ValidationError,
        "no longer in the registry",
        services.enrol,
        actor=admin,
        open_class=open_class,
        apprentices=[*others, graduated],
    )
    assert not Enrolment.objects.exists() and OpenClass.objects.get(pk=open_class.pk).enrolled_count == 0
    refused(
        ValidationError,
        "3 free seats",
        services.enrol,
        actor=admin,
        open_class=open_class,
        apprentices=[*others, tw.apprentice, make_apprentice(admin, tw.prog)],
    )
    refused(
        PermissionDenied,
        "outside your jurisdiction",
        services.enrol,
        actor=tw.world.township_a,
        open_class=open_class,
        apprentices=others,
    )  # 孝丰镇 is not 上墅乡's
    refused(
        PermissionDenied,
        "Only the township",
        services.enrol,
        actor=tw.world.auditor,
        open_class=open_class,
        apprentices=others,
    )
    enrolments = services.enrol(actor=admin, open_class=open_class, apprentices=others)
    assert {e.source for e in enrolments} == {"admin"}
    assert OpenClass.objects.get(pk=open_class.pk).enrolled_count == 2


def test_withdraw_frees_the_seat_before_the_class(tw):
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site, capacity=1)
    enrolment = services.enrol_self(actor=tw.world.apprentice, open_class=open_class)
    refused(
        PermissionDenied, "may not withdraw", services.withdraw, actor=tw.world.mentor, enrolment=enrolment
    )
    services.withdraw(actor=tw.world.apprentice, enrolment=enrolment)
    assert OpenClass.objects.get(pk=open_class.pk).enrolled_count == 0
    refused(
        ValidationError,
        "withdrawn already",
        services.withdraw,
        actor=tw.world.apprentice,
        enrolment=enrolment,
    )
    again = services.enrol_self(actor=tw.world.apprentice, open_class=OpenClass.objects.get(pk=open_class.pk))
    move_class(open_class, timezone.now() - dt.timedelta(minutes=1))
    refused(ValidationError, "has begun", services.withdraw, actor=tw.world.apprentice, enrolment=again)
    assert Enrolment.objects.filter(status=EnrolmentStatus.ENROLLED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_never_overfill(threads_db):
    """Four apprentices take the last two seats at the same moment: two seats, two clear refusals."""
    from .test_concurrency import _race

    admin = user_with_role("anji7", "org_admin", "330523")
    prog = pool.programme(admin)
    mentor = make_mentor(admin, prog)
    open_class = make_class(admin, mentor, capacity=2)
    users = [account(make_apprentice(admin, prog).person, "apprentice", SHANGSHU) for _ in range(4)]
    results = _race(
        [
            lambda user=user: en(
                services.enrol_self, actor=user, open_class=OpenClass.objects.get(pk=open_class.pk)
            )
            for user in users
        ]
    )
    seated = [r for r in results if isinstance(r, Enrolment)]
    full = [r for r in results if isinstance(r, ValidationError)]
    assert len(seated) == 2 and len(full) == 2, results
    assert all("full" in str(r) for r in full)
    assert OpenClass.objects.get(pk=open_class.pk).enrolled_count == 2
    assert Enrolment.objects.filter(open_class=open_class).count() == 2


# ---------------------------------------------------------------------------------------------- check-in


@pytest.fixture
def running(tw):
    """A class that began ten minutes ago and lasts two hours, with the world's apprentice enrolled."""
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    enrolment = services.enrol_self(actor=tw.world.apprentice, open_class=open_class)
    move_class(open_class, timezone.now() - dt.timedelta(minutes=10))
    return open_class, enrolment


def test_scan_checks_an_enrolled_apprentice_in(tw, running):
    open_class, enrolment = running
    token = services.checkin_token(open_class)
    assert services.class_id_from_token(token) == open_class.pk
    done = services.check_in(actor=tw.world.apprentice, open_class=open_class, token=token)
    enrolment.refresh_from_db()
    assert enrolment.attended_at == done.attended_at and enrolment.check_in_method == "scan"
    assert enrolment.checked_in_by == tw.world.apprentice


@pytest.mark.parametrize(
    ("case", "code", "match"),
    [
        ("tampered", "bad_token", "not valid"),
        ("other_class", "bad_token", "another class"),
        ("ended", "ended", "check-in is closed"),
        ("not_started", "not_started", "Check-in opens at"),
        ("not_enrolled", "not_enrolled", "not enrolled"),
        ("second", "twice", "checked in already"),
        ("cancelled", "cancelled", "cancelled"),
    ],
)
def test_scan_refusals_change_nothing(tw, running, case, code, match):
    open_class, enrolment = running
    token, actor, now = services.checkin_token(open_class), tw.world.apprentice, None
    if case == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "other_class":
        token = services.checkin_token(make_class(tw.world.mentor, tw.mentor, at=soon(days=5)))
    elif case == "ended":
        now = open_class.ends_at + dt.timedelta(seconds=1)
    elif case == "not_started":
        now = open_class.starts_at - services.CHECKIN_OPENS_BEFORE - dt.timedelta(seconds=1)
    elif case == "not_enrolled":
        actor = account(make_apprentice(tw.world.county_admin_a, tw.prog).person, "apprentice", SHANGSHU)
    elif case == "second":
        services.check_in(actor=actor, open_class=open_class, token=token)
    elif case == "cancelled":
        OpenClass.objects.filter(pk=open_class.pk).update(status=ClassStatus.CANCELLED)
        open_class.status = ClassStatus.CANCELLED
    before = list(Enrolment.objects.values_list("pk", "attended_at", "check_in_method", "checked_in_by"))
    with translation.override("en"), pytest.raises(ValidationError, match=match) as caught:
        services.check_in(actor=actor, open_class=open_class, token=token, now=now)
    assert caught.value.code == code
    assert (
        list(Enrolment.objects.values_list("pk", "attended_at", "check_in_method", "checked_in_by")) == before
    )


def test_scan_window_opens_half_an_hour_early(tw, running):
    open_class, _enrolment = running
    opens = open_class.starts_at - services.CHECKIN_OPENS_BEFORE
    services.check_in(
        actor=tw.world.apprentice, open_class=open_class, token=services.checkin_token(open_class), now=opens
    )
    assert Enrolment.objects.get(open_class=open_class).attended_at == opens


def test_host_check_list(tw, running):
    open_class, enrolment = running
    other = services.enrol(
        actor=tw.world.township_a,
        open_class=open_class,
        apprentices=[make_apprentice(tw.world.township_a, tw.prog)],
        now=open_class.starts_at,
    )[0]
    services.mark_present(actor=tw.world.mentor, enrolment=enrolment)
    refused(
        ValidationError,
        "checked in already",
        services.mark_present,
        actor=tw.world.mentor,
        enrolment=enrolment,
    )
    refused(
        PermissionDenied,
        "keep the check list",
        services.mark_present,
        actor=tw.world.apprentice,
        enrolment=other,
    )
    refused(
        PermissionDenied,
        "keep the check list",
        services.mark_present,
        actor=tw.world.auditor,
        enrolment=other,
    )
    services.clear_attendance(actor=tw.world.mentor, enrolment=enrolment)
    assert Enrolment.objects.get(pk=enrolment.pk).attended_at is None
    assert TeachingEvent.objects.get(action=TeachingAction.ATTENDANCE_CLEARED).reason == enrolment.person.name
    # The list stays open three days after the class, then closes.
    late = open_class.ends_at + services.LIST_GRACE - dt.timedelta(minutes=1)
    services.mark_present(actor=tw.world.township_a, enrolment=other, now=late)
    refused(
        ValidationError,
        "check-in is closed",
        services.mark_present,
        actor=tw.world.mentor,
        enrolment=enrolment,
        now=late + dt.timedelta(minutes=2),
    )
    assert Enrolment.objects.get(pk=other.pk).check_in_method == "list"


# ---------------------------------------------------------------------------------------------- selectors


def test_classes_attended_and_timeline(tw, running):
    open_class, enrolment = running
    assert not selectors.classes_attended(tw.apprentice).exists()
    services.check_in(
        actor=tw.world.apprentice, open_class=open_class, token=services.checkin_token(open_class)
    )
    assert list(selectors.classes_attended(tw.apprentice)) == [open_class]
    [entry] = selectors.timeline_entries(tw.apprentice, tw.world.county_admin_a)
    assert (entry.kind, entry.title, entry.at) == ("open_class", open_class.title, open_class.starts_at)
    assert tw.world.mentor_person.name in entry.detail and "上墅村现场教学点" in entry.detail
    assert entry.url == f"/teaching/classes/{open_class.pk}/"
    assert selectors.timeline_entries(tw.apprentice, tw.world.county_admin_b) == []


def test_open_class_counts_per_mentor_and_year(tw):
    mentor, admin = tw.mentor, tw.world.county_admin_a
    year = timezone.localdate().year
    village = make_mentor(admin, tw.prog, tier=MentorTier.VILLAGE)
    classes = [make_class(tw.world.mentor, mentor, at=soon(days=2 + i)) for i in range(4)]
    make_class(admin, village)
    for open_class in classes[:3]:
        services.enrol_self(actor=tw.world.apprentice, open_class=open_class)
    services.cancel_class(actor=admin, open_class=classes[3], reason="雨")
    for i, open_class in enumerate(classes[:3]):  # held in January of this year; two with attendance
        move_class(open_class, dt.datetime(year, 1, 5 + i, 9, tzinfo=timezone.get_current_timezone()))
        if i < 2:
            Enrolment.objects.filter(open_class=open_class).update(attended_at=open_class.starts_at)
    counts = selectors.open_class_counts(year, tw.prog.mentors.all())
    got = counts[mentor.pk]
    assert (got.given, got.unattended, got.scheduled, got.cancelled) == (2, 1, 0, 1)
    assert (got.target, got.shortfall, got.meets_target) == (4, 2, False)
    assert counts[village.pk].target is None and counts[village.pk].scheduled == 1
    assert [c.mentor_id for c in selectors.mentors_behind(year, tw.prog.mentors.all())] == [mentor.pk]
    assert selectors.open_class_counts(year - 1, [mentor])[mentor.pk].given == 0


# ---------------------------------------------------------------------------------------------- assignment


@pytest.fixture
def two_classes(tw):
    """A class in 上墅村 (共同富裕) and one in 横溪坞村 (基层治理), 13 km apart, two seats each; four
    apprentices in each village besides the world's own, needing what the class of their village teaches."""
    admin = tw.world.county_admin_a
    other = make_mentor(admin, tw.prog, code=HENGXIWU)
    east = make_class(admin, tw.mentor, site=tw.site, capacity=2, content_areas=[CP])
    west = make_class(
        admin, other, village=region(HENGXIWU), capacity=2, content_areas=[GH], title="矛盾调解"
    )
    near_east = [make_apprentice(admin, tw.prog, code=SHANGSHU, needs=[CP]) for _ in range(2)]
    near_west = [make_apprentice(admin, tw.prog, code=HENGXIWU, needs=[GH]) for _ in range(2)]
    return east, west, near_east, near_west


def rows_of(assignment):
    return sorted((r.apprentice_id, r.open_class_id, r.reason) for r in assignment.rows.all())


def test_assignment_seats_the_nearest_and_topic_matching_within_capacity(tw, two_classes):
    east, west, near_east, near_west = two_classes
    admin = tw.world.county_admin_a
    proposal = services.propose_assignment(actor=admin, classes=[east, west], area=region("330523"))
    assigned = {r.apprentice_id: r.open_class_id for r in proposal.rows.all() if r.open_class_id}
    assert {a.pk: assigned.get(a.pk) for a in near_east} == {a.pk: east.pk for a in near_east}
    assert {a.pk: assigned.get(a.pk) for a in near_west} == {a.pk: west.pk for a in near_west}
    # Within capacity: the world's apprentice (needs 共同富裕, in 上墅村) finds the east class full.
    [left] = [r for r in proposal.rows.all() if r.open_class_id is None]
    assert (left.apprentice_id, left.reason) == (tw.apprentice.pk, "capacity_exhausted")
    assert proposal.summary["assigned"] == 4 and proposal.summary["seats"] == 4
    # Deterministic: the same question gets the same answer.
    again = services.propose_assignment(actor=admin, classes=[west, east], area=region("330523"))
    assert rows_of(again) == rows_of(proposal)
    assert not Enrolment.objects.exists()  # a proposal enrols nobody


def test_assignment_prefers_the_topic_over_nearness(tw, two_classes):
    east, west, _near_east, near_west = two_classes
    OpenClass.objects.filter(pk=west.pk).update(capacity=5)
    west.refresh_from_db()
    admin = tw.world.county_admin_a
    # An apprentice of 上墅村 needing 基层治理: the 横溪坞村 class teaches it, the one next door does not.
    governance = make_apprentice(admin, tw.prog, code=SHANGSHU, needs=[GH])
    proposal = services.propose_assignment(actor=admin, classes=[east, west], area=region("330523"))
    assert proposal.rows.get(apprentice=governance).open_class_id == west.pk
    # Off-topic seats are refused unless the organiser allows them.
    only_east = services.propose_assignment(actor=admin, classes=[east], area=region("330523"))
    assert only_east.rows.get(apprentice=governance).open_class_id is None
    assert only_east.rows.get(apprentice=governance).reason == "no_mentor_in_rules"
    anyone = services.propose_assignment(
        actor=admin, classes=[east], area=region("330523205"), require_topic=False
    )
    assert anyone.rows.filter(open_class=east).count() == 2


def test_confirming_an_assignment_enrols_everyone_or_nobody(tw, two_classes):
    east, west, near_east, near_west = two_classes
    admin = tw.world.county_admin_a
    proposal = services.propose_assignment(actor=admin, classes=[east, west], area=region("330523"))
    # Meanwhile the east class fills up: the confirmation enrols nobody and says why.
    OpenClass.objects.filter(pk=east.pk).update(capacity=1)
    refused(
        ValidationError, "Nothing was enrolled", services.confirm_assignment, actor=admin, assignment=proposal
    )
    assert not Enrolment.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    OpenClass.objects.filter(pk=east.pk).update(capacity=2)
    refused(
        PermissionDenied,
        "may not decide",
        services.confirm_assignment,
        actor=tw.world.auditor,
        assignment=proposal,
    )
    services.confirm_assignment(actor=admin, assignment=proposal)
    assert Enrolment.objects.filter(source="assigned").count() == 4
    assert OpenClass.objects.get(pk=east.pk).enrolled_count == 2
    refused(ValidationError, "already", services.confirm_assignment, actor=admin, assignment=proposal)
    refused(ValidationError, "already", services.discard_assignment, actor=admin, assignment=proposal)


@pytest.mark.parametrize(
    ("persona", "classes", "area", "error", "match"),
    [
        ("county_admin_b", "east", "330521", PermissionDenied, "may not seat"),
        ("township_a", "east", "330523", PermissionDenied, "outside your jurisdiction"),
        ("township_a", "west", "330523205", PermissionDenied, "may not seat"),  # 横溪坞村 is not 上墅乡's
        ("county_admin_a", "", "330523", ValidationError, "at least one open class"),
        ("county_admin_a", "full", "330523", ValidationError, "no free seat"),
        ("county_admin_a", "east", "330523105", ValidationError, "fits these classes"),  # off-topic
    ],
)
def test_assignment_refusals(tw, two_classes, persona, classes, area, error, match):
    east, west, _e, _w = two_classes
    OpenClass.objects.filter(pk=west.pk).update(content_areas=[PB])  # 孝丰镇's apprentices need 基层治理
    if classes == "full":
        OpenClass.objects.filter(pk=east.pk).update(enrolled_count=2)
    chosen = {"east": [east], "west": [west], "full": [OpenClass.objects.get(pk=east.pk)], "": []}[classes]
    actor = getattr(tw.world, persona)
    refused(error, match, services.propose_assignment, actor=actor, classes=chosen, area=region(area))
    assert not ClassAssignment.objects.exists()


# ---------------------------------------------------------------------------------------------- scope


def test_who_sees_sites_and_classes(tw):
    world = tw.world
    open_class = make_class(world.mentor, tw.mentor, site=tw.site)
    b_site = make_site(world.county_admin_b, code=SHANGBAI, name="上柏村教学点", hosts=[tw.mentor_b])
    b_class = make_class(world.county_admin_b, tw.mentor_b, site=b_site)
    b_user = account(tw.apprentice_b.person, "apprentice", SHANGBAI)
    stranger = account(PersonFactory(region=region(SHANGSHU)), "apprentice", SHANGSHU)  # in no programme
    expected = {
        world.province_admin: {open_class, b_class},
        world.county_admin_a: {open_class},
        world.county_admin_b: {b_class},
        world.township_a: {open_class},
        world.auditor: {open_class, b_class},
        world.mentor: {open_class},
        world.apprentice: {open_class},  # the programme of 安吉县 reaches 上墅村
        b_user: {b_class},
        stranger: set(),
    }
    for user, classes in expected.items():
        assert set(OpenClass.objects.visible_to(user)) == classes, user
        assert set(TeachingSite.objects.visible_to(user)) == {c.site for c in classes}, user
    # An apprentice enrolled by an organiser sees that class, though their programme does not reach it.
    services.enrol(actor=world.province_admin, open_class=b_class, apprentices=[tw.apprentice])
    assert set(OpenClass.objects.visible_to(world.apprentice)) == {open_class, b_class}


# ---------------------------------------------------------------------------------------------- pages


def test_pages_render_for_the_county_admin(tw, client):
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    services.enrol_self(actor=tw.world.apprentice, open_class=open_class)
    client.force_login(tw.world.county_admin_a)
    pages = [
        "/teaching/",
        "/teaching/sites/",
        f"/teaching/sites/{tw.site.pk}/",
        f"/teaching/sites/{tw.site.pk}/edit/",
        "/teaching/sites/new/",
        "/teaching/classes/",
        "/teaching/classes/new/",
        f"/teaching/classes/{open_class.pk}/",
        f"/teaching/classes/{open_class.pk}/edit/",
        f"/teaching/classes/{open_class.pk}/enrol-others/",
        f"/teaching/classes/{open_class.pk}/checklist/",
        f"/teaching/classes/{open_class.pk}/qr.svg",
        f"/teaching/checkin/{services.checkin_token(open_class)}/",
        "/teaching/assign/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(f"/teaching/classes/{open_class.pk}/").content.decode()
    assert tw.world.apprentice_person.name in body  # the roster
    for lang in ("en", "zh-hans"):
        client.cookies["django_language"] = lang
        for url in pages[:3]:
            assert client.get(url).status_code == 200


def test_apprentice_enrols_and_checks_in_through_the_pages(tw, client):
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    client.force_login(tw.world.apprentice)
    page = client.get("/teaching/").content.decode()
    assert open_class.title in page  # open to the apprentice's programme
    response = client.post(f"/teaching/classes/{open_class.pk}/enrol/")
    assert (
        response.status_code == 302 and Enrolment.objects.filter(person=tw.world.apprentice_person).exists()
    )
    detail = client.get(f"/teaching/classes/{open_class.pk}/").content.decode()
    assert "checkin-qr" not in detail  # the code is shown by the host, not to apprentices
    assert client.get(f"/teaching/classes/{open_class.pk}/qr.svg").status_code == 403
    assert client.get(f"/teaching/classes/{open_class.pk}/checklist/").status_code == 403
    url = f"/teaching/checkin/{services.checkin_token(open_class)}/"
    with translation.override("en"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Check-in opens at" in page or "签到将于" in page
    assert client.post(url).status_code == 200  # refused: not started, shown on the page
    assert Enrolment.objects.get(person=tw.world.apprentice_person).attended_at is None
    move_class(open_class, timezone.now() - dt.timedelta(minutes=5))
    assert 'class="btn btn-primary btn-lg w-100 checkin-btn"' in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url
    assert Enrolment.objects.get(person=tw.world.apprentice_person).check_in_method == "scan"
    page = client.get(url).content.decode()
    assert "checkin-done" in page
    again = client.post(url)
    assert again.status_code == 200 and "checkin-error" in again.content.decode()


def test_checkin_page_refuses_a_tampered_code_and_hides_other_counties(tw, client):
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    token = services.checkin_token(open_class)
    client.force_login(tw.world.apprentice)
    response = client.get(f"/teaching/checkin/{token[:-1]}x/")
    assert response.status_code == 400 and "checkin-error" in response.content.decode()
    assert client.post(f"/teaching/checkin/{token[:-1]}x/").status_code == 400
    b_user = account(tw.apprentice_b.person, "apprentice", SHANGBAI)
    client.force_login(b_user)
    assert client.get(f"/teaching/checkin/{token}/").status_code == 404
    assert client.post(f"/teaching/checkin/{token}/").status_code == 404
    client.logout()
    response = client.get(f"/teaching/checkin/{token}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=/teaching/checkin/")


def test_host_ticks_the_check_list_with_htmx(tw, client, running):
    open_class, enrolment = running
    client.force_login(tw.world.mentor)
    page = client.get(f"/teaching/classes/{open_class.pk}/checklist/").content.decode()
    assert "checkin-qr" in page and tw.world.apprentice_person.name in page
    url = f"/teaching/classes/{open_class.pk}/checklist/"
    response = client.post(url, {"enrolment": enrolment.pk, "present": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "is-present" in response.content.decode()
    assert Enrolment.objects.get(pk=enrolment.pk).check_in_method == "list"
    response = client.post(url, {"enrolment": enrolment.pk, "present": "1"}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in response.content.decode()  # the second mark is refused, on the row
    response = client.post(url, {"enrolment": enrolment.pk, "present": "0"})
    assert response.status_code == 302 and Enrolment.objects.get(pk=enrolment.pk).attended_at is None
    svg = client.get(f"/teaching/classes/{open_class.pk}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_materials_are_cleaned_and_bad_files_refused(tw, client, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = str(tmp_path)
    open_class = make_class(tw.world.mentor, tw.mentor, site=tw.site)
    client.force_login(tw.world.mentor)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "JPEG")
    photo = SimpleUploadedFile("现场.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = client.post(f"/teaching/classes/{open_class.pk}/materials/", {"file": photo})
    assert response.status_code == 302
    material = open_class.materials.get()
    assert material.content_type == "image/jpeg" and material.name.endswith(".jpg")
    bad = SimpleUploadedFile("讲义.exe", b"MZ\x90\x00not a picture", content_type="application/octet-stream")
    with translation.override("en"):
        response = client.post(
            f"/teaching/classes/{open_class.pk}/materials/", {"file": bad}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200 and open_class.materials.count() == 1
    client.force_login(tw.world.apprentice)
    download = client.get(f"/teaching/materials/{material.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"\xff\xd8"
    assert client.post(f"/teaching/materials/{material.pk}/remove/").status_code == 403
    client.force_login(tw.world.county_admin_b)
    assert client.get(f"/teaching/materials/{material.pk}/").status_code == 404
    client.force_login(tw.world.mentor)
    assert client.post(f"/teaching/materials/{material.pk}/remove/").status_code == 302
    assert not open_class.materials.exists()


def test_schedule_and_register_through_the_pages(tw, client):
    client.force_login(tw.world.county_admin_a)
    response = client.post(
        "/teaching/sites/new/",
        {
            "name": "刘家塘村教学点",
            "village": LIUJIATANG,
            "level": "county",
            "capacity_per_session": 25,
            "themes": [GH],
            "courses": "矛盾调解\n\n平安村建设",
            "host_mentors": [tw.mentor.pk],
            "academy": "",
            "description": "",
        },
    )
    site = TeachingSite.objects.get(name="刘家塘村教学点")
    assert response.status_code == 302 and site.courses == ["矛盾调解", "平安村建设"]
    assert (
        client.post(
            "/teaching/sites/new/",
            {"name": "x", "village": SHANGBAI, "level": "county", "capacity_per_session": 5, "themes": [GH]},
        ).status_code
        == 404
    )
    client.force_login(tw.world.mentor)
    assert client.get("/teaching/sites/new/").status_code == 403
    start = soon(days=4)
    form = {
        "mentor": tw.mentor.pk,
        "site": site.pk,
        "title": "调解工作法",
        "starts_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": timezone.localtime(start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "content_areas": [GH],
        "method": "case_analysis",
    }
    response = client.post("/teaching/classes/new/", {**form, "capacity": 26})
    assert response.status_code == 200  # 26 seats at a 25-seat site: the form again, with the reason
    assert "capacity" in response.context["form"].errors and not OpenClass.objects.exists()
    response = client.post("/teaching/classes/new/", {**form, "capacity": 25})
    open_class = OpenClass.objects.get(title="调解工作法")
    assert (
        response.status_code == 302
        and open_class.starts_at == start
        and open_class.village.code == LIUJIATANG
    )
    client.force_login(tw.world.auditor)
    assert client.get(f"/teaching/classes/{open_class.pk}/").status_code == 200
    assert (
        client.post(f"/teaching/classes/{open_class.pk}/cancel/", {"cancel-reason": "x"}).status_code == 403
    )
    assert client.get(f"/teaching/classes/{open_class.pk}/edit/").status_code == 403
    assert client.get("/teaching/classes/new/").status_code == 403
    assert OpenClass.objects.get(pk=open_class.pk).status == "scheduled"


def test_site_list_filters(tw, client):
    make_site(tw.world.county_admin_a, code=HENGXIWU, name="横溪坞村教学点", themes=[GH])
    client.force_login(tw.world.county_admin_a)

    def names(**query):
        response = client.get("/teaching/sites/", {"region": "330523", **query})
        return {s.name for s in response.context["table"].data.data}

    assert names() == {"上墅村现场教学点", "横溪坞村教学点"}
    assert names(theme=GH) == {"横溪坞村教学点"}
    assert names(region="330523205") == {"上墅村现场教学点"}
    assert names(level="provincial") == set()
    assert client.get("/teaching/sites/", {"region": "330521"}).status_code == 404


def test_assignment_through_the_pages(tw, client, two_classes):
    east, west, near_east, near_west = two_classes
    client.force_login(tw.world.county_admin_a)
    form = client.get("/teaching/assign/", {"class": [east.pk]}).context["form"]
    assert set(form.fields["classes"].queryset) == {east, west}
    response = client.post(
        "/teaching/assign/",
        {"classes": [east.pk, west.pk], "area": "330523", "max_distance_km": 50, "require_topic": "on"},
    )
    assignment = ClassAssignment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/teaching/assignments/{assignment.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert all(a.person.name in page for a in near_east + near_west)
    client.force_login(tw.world.auditor)
    assert client.get(response["Location"]).status_code == 200
    assert client.post(f"/teaching/assignments/{assignment.pk}/confirm/").status_code == 403
    client.force_login(tw.world.county_admin_b)
    assert client.get(response["Location"]).status_code == 404
    client.force_login(tw.world.county_admin_a)
    assert client.post(f"/teaching/assignments/{assignment.pk}/confirm/").status_code == 302
    assert Enrolment.objects.filter(source="assigned").count() == 4


# ---------------------------------------------------------------------------------------------- API


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def test_api_sites_and_classes(tw, api):
    admin = api(tw.world.county_admin_a)
    response = admin.post(
        "/api/teaching-sites/",
        {
            "name": "横溪坞村教学点",
            "village": HENGXIWU,
            "level": "county",
            "themes": [GH],
            "capacity_per_session": 40,
            "host_mentors": [tw.mentor.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    site_id = response.json()["id"]
    assert (
        admin.patch(f"/api/teaching-sites/{site_id}/", {"academy": "安吉县委党校"}, format="json").json()[
            "academy"
        ]
        == "安吉县委党校"
    )
    listed = admin.get("/api/teaching-sites/", {"theme": GH}).json()["results"]
    assert [s["id"] for s in listed] == [site_id]
    assert api(tw.world.county_admin_b).get(f"/api/teaching-sites/{site_id}/").status_code == 404
    assert (
        api(tw.world.auditor)
        .patch(f"/api/teaching-sites/{site_id}/", {"academy": "x"}, format="json")
        .status_code
        == 403
    )
    mentor = api(tw.world.mentor)
    start = soon(days=3)
    body = {
        "mentor": tw.mentor.pk,
        "site": site_id,
        "title": "矛盾调解现场课",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "content_areas": [GH],
        "capacity": 30,
    }
    response = mentor.post("/api/open-classes/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["village"], created["phase"], created["free_seats"]) == (HENGXIWU, "upcoming", 30)
    too_many = mentor.post(
        "/api/open-classes/",
        {
            **body,
            "capacity": 41,
            "starts_at": soon(days=9).isoformat(),
            "ends_at": soon(days=9, hours=2).isoformat(),
        },
        format="json",
    )
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["attr"] == "capacity"
    class_id = created["id"]
    apprentice = api(tw.world.apprentice)
    seat = apprentice.post(f"/api/open-classes/{class_id}/enrol/", {}, format="json")
    assert seat.status_code == 201 and seat.json()[0]["source"] == "self"
    assert apprentice.get(f"/api/open-classes/{class_id}/").json()["my_enrolment"]["status"] == "enrolled"
    assert apprentice.get(f"/api/open-classes/{class_id}/roster/").status_code == 403
    assert apprentice.get(f"/api/open-classes/{class_id}/qr/").status_code == 403
    roster = mentor.get(f"/api/open-classes/{class_id}/roster/").json()
    assert [r["name"] for r in roster] == [tw.world.apprentice_person.name]
    qr = mentor.get(f"/api/open-classes/{class_id}/qr/").json()
    assert "/teaching/checkin/" in qr["url"] and qr["svg"].startswith("<svg")
    token = qr["url"].rstrip("/").rsplit("/", 1)[1]
    early = apprentice.post(f"/api/open-classes/{class_id}/checkin/", {"token": token}, format="json")
    assert early.status_code == 400
    move_class(OpenClass.objects.get(pk=class_id), timezone.now() - dt.timedelta(minutes=1))
    checked = apprentice.post(f"/api/open-classes/{class_id}/checkin/", {"token": token}, format="json")
    assert checked.status_code == 200 and checked.json()["check_in_method"] == "scan"
    twice = apprentice.post(f"/api/open-classes/{class_id}/checkin/", {"token": token}, format="json")
    assert twice.status_code == 400
    assert (
        api(tw.world.auditor)
        .post(f"/api/open-classes/{class_id}/checkin/", {"token": token}, format="json")
        .status_code
        == 403
    )
    assert api(tw.world.county_admin_b).get(f"/api/open-classes/{class_id}/").status_code == 404
    enrolment = roster[0]["id"]
    cleared = mentor.post(
        f"/api/open-classes/{class_id}/attendance/", {"enrolment": enrolment, "present": False}, format="json"
    )
    assert cleared.status_code == 200 and cleared.json()["attended_at"] is None


def test_api_counts_and_assignments(tw, api, two_classes):
    east, west, _near_east, _near_west = two_classes
    admin = api(tw.world.county_admin_a)
    response = admin.post(
        "/api/open-class-assignments/", {"classes": [east.pk, west.pk], "area": "330523"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["summary"]["assigned"] == 4 and len(body["rows"]) == 5
    assert (
        api(tw.world.county_admin_b)
        .post("/api/open-class-assignments/", {"classes": [east.pk], "area": "330521"}, format="json")
        .status_code
        == 404
    )  # a class out of scope, named in the body
    assert api(tw.world.auditor).post(f"/api/open-class-assignments/{body['id']}/confirm/").status_code == 403
    confirmed = admin.post(f"/api/open-class-assignments/{body['id']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    counts = admin.get("/api/open-classes/counts/").json()["results"]
    mine = next(r for r in counts if r["mentor"] == tw.mentor.pk)
    assert (mine["scheduled"], mine["given"], mine["target"], mine["shortfall"]) == (1, 0, 4, 4)


# ---------------------------------------------------------------------------------------------- CLI


def run(*args) -> str:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    with translation.override("en"):
        call_command("teaching", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_cli_from_site_to_attendance(tw, monkeypatch):
    import json

    from django.core.management.base import CommandError

    monkeypatch.setenv("BANGDAI_LANGUAGE", "en")
    out = run(
        "sites",
        "add",
        "--name",
        "横溪坞村教学点",
        "--village",
        HENGXIWU,
        "--level",
        "county",
        "--themes",
        "governance_harmony",
        "--capacity",
        "30",
        "--course",
        "矛盾调解",
        "--host",
        str(tw.mentor.pk),
        "--as",
        "anji",
    )
    site = TeachingSite.objects.get(name="横溪坞村教学点")
    assert out.startswith(f"site {site.pk} registered") and site.courses == ["矛盾调解"]
    with pytest.raises(CommandError, match="Permission denied"):
        run(
            "sites",
            "add",
            "--name",
            "x",
            "--village",
            LIUJIATANG,
            "--level",
            "county",
            "--themes",
            "party_building",
            "--capacity",
            "3",
            "--as",
            "shangshu",
        )
    listed = json.loads(run("sites", "list", "--theme", "governance_harmony", "--json", "--as", "auditor"))
    assert [s["name"] for s in listed] == ["横溪坞村教学点"]
    start = timezone.localtime(soon(days=2))
    out = run(
        "classes",
        "schedule",
        "--mentor",
        str(tw.mentor.pk),
        "--site",
        str(site.pk),
        "--title",
        "调解课",
        "--start",
        start.strftime("%Y-%m-%dT%H:%M"),
        "--end",
        (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "--areas",
        "governance_harmony",
        "--capacity",
        "2",
        "--as",
        "mentor",
    )
    open_class = OpenClass.objects.get(title="调解课")
    assert out.startswith(f"class {open_class.pk} scheduled")
    with pytest.raises(CommandError, match="Class .* not found"):
        run("classes", "show", str(open_class.pk), "--as", "deqing")
    assert "1 enrolled" in run("enrol", str(open_class.pk), "--as", "apprentice")
    other = make_apprentice(tw.world.county_admin_a, tw.prog, code=HENGXIWU)
    assert "2/2 seats taken" in run(
        "enrol", str(open_class.pk), "--apprentice", str(other.pk), "--as", "anji"
    )
    with pytest.raises(CommandError, match="0 free seats"):
        run(
            "enrol",
            str(open_class.pk),
            "--apprentice",
            str(make_apprentice(tw.world.county_admin_a, tw.prog).pk),
            "--as",
            "anji",
        )
    shown = json.loads(run("classes", "show", str(open_class.pk), "--json", "--as", "mentor"))
    assert len(shown["roster"]) == 2 and shown["checkin_token"]
    assert "checkin_token" not in json.loads(
        run("classes", "show", str(open_class.pk), "--json", "--as", "apprentice")
    )
    with pytest.raises(CommandError, match="Check-in opens"):
        run("attend", str(open_class.pk), "--token", shown["checkin_token"], "--as", "apprentice")
    move_class(open_class, timezone.now() - dt.timedelta(minutes=3))
    assert tw.world.apprentice_person.name in run(
        "attend", str(open_class.pk), "--token", shown["checkin_token"], "--as", "apprentice"
    )
    with pytest.raises(CommandError, match="checked in already"):
        run("attend", str(open_class.pk), "--token", shown["checkin_token"], "--as", "apprentice")
    with pytest.raises(CommandError, match="Permission denied"):
        run("attend", str(open_class.pk), "--apprentice", str(other.pk), "--as", "apprentice")
    assert other.person.name in run(
        "attend", str(open_class.pk), "--apprentice", str(other.pk), "--as", "mentor"
    )
    counts = json.loads(run("classes", "counts", "--json", "--as", "anji"))
    assert any(r["mentor"] == tw.mentor.pk and r["target"] == 4 for r in counts)


def test_cli_assignment(tw, two_classes):
    import json

    east, west, _near_east, _near_west = two_classes
    proposal = json.loads(
        run(
            "assign",
            "propose",
            "--class",
            str(east.pk),
            "--class",
            str(west.pk),
            "--area",
            "330523",
            "--json",
            "--as",
            "anji",
        )
    )
    assert proposal["summary"]["assigned"] == 4
    assert "4 apprentices enrolled" in run("assign", "confirm", str(proposal["assignment"]), "--as", "anji")
    assert Enrolment.objects.filter(source="assigned").count() == 4


# ---------------------------------------------------------------------------------------------- query counts


@pytest.mark.parametrize(
    "url",
    ["/teaching/sites/?region=", "/teaching/classes/?region=", "/api/teaching-sites/", "/api/open-classes/"],
)
def test_lists_take_a_fixed_number_of_queries(tw, client, django_assert_max_num_queries, url):
    """Three records or nine: the same queries (no query per row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = tw.world.county_admin_a
    client.force_login(admin)

    def add(n, offset):
        for i in range(n):
            site = make_site(admin, code=HENGXIWU, name=f"教学点{offset + i}", hosts=[tw.mentor])
            open_class = make_class(admin, tw.mentor, site=site, at=soon(days=3 + offset + i))
            services.enrol_self(actor=tw.world.apprentice, open_class=open_class)

    add(3, 0)
    client.get(url)  # warm the session and the current region
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(6, 10)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200
