"""Reminders and escalations (提醒): before each deadline a reminder to whoever must act, after it a notice and then
an escalation to the township committee (or the organisation admins where there is none); the month's activity
minimum; each person's preferences (mandatory kinds always sent); e-mail through the locmem outbox; nothing sent
twice however often a day runs; the scheduler and the task; the pages, the API and the command line. Time travels
through explicit dates."""

import datetime as dt
import json
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from bangdai.accounts.models import User
from bangdai.assignments.choices import AssignmentStatus
from bangdai.ledger.choices import ActivityStatus, Side
from bangdai.notifications import reminders, runs, services
from bangdai.notifications.choices import EmailState, Frequency, Kind, RunStatus, RunTrigger
from bangdai.notifications.models import Notification, ReminderRun
from bangdai.notifications.services import Draft
from bangdai.pairings.models import Pairing, PairingMentor

from . import pool
from .factories import PersonFactory, UserFactory, region
from .test_compliance import bulk_pairings, record, set_assignment, set_plan, start_pairing

pytestmark = pytest.mark.django_db

D = dt.date
START = D(2026, 3, 2)  # both pairings began on 2 March 2026: their plans are due on 1 April (30 days)
PLAN_DUE = D(2026, 4, 1)


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.BANGDAI = {
        **settings.BANGDAI,
        "SITE_URL": "https://bangdai.example.cn",
        "REMINDERS": {"LEAD_DAYS": 3, "ESCALATE_AFTER_DAYS": 3, "CATCH_UP_DAYS": 14, "MONTH_END_DAYS": 5},
    }


@pytest.fixture
def cast(world):
    """p_ss: the world's mentor and apprentice in 上墅乡 (the township committee is township_a); p_xf: 孝丰镇, where
    no township committee account exists, so escalations go to county A's organisation admin."""
    admin = world.county_admin_a
    for user, email in (
        (world.mentor, "mentor@example.cn"),
        (world.apprentice, "apprentice@example.cn"),
        (world.township_a, "shangshu@example.cn"),
        (admin, "anji@example.cn"),
    ):
        user.email = email
        user.save(update_fields=["email"])
    prog = pool.programme(admin)
    p_ss = start_pairing(
        admin,
        prog,
        world.mentor_person,
        world.apprentice_person,
        start=START,
        accounts=[world.mentor, world.apprentice],
    )
    mentor_xf = PersonFactory(name="钱横溪", region=region("330523105201"), birth_date=D(1969, 2, 1))
    p_xf = start_pairing(admin, prog, mentor_xf, world.cadre_a2, start=START)
    mentor_xf_user = UserFactory(username="qian", person=mentor_xf, email="qian@example.cn")
    apprentice_xf_user = UserFactory(username="li", person=world.cadre_a2, email="")  # no e-mail address
    return {
        "p_ss": p_ss,
        "p_xf": p_xf,
        "prog": prog,
        "mentor_xf": mentor_xf_user,
        "apprentice_xf": apprentice_xf_user,
    }


def run(day: dt.date) -> dict:
    return runs.run_day(day)


def sent(kind=None, **filters) -> list[tuple[str, str]]:
    """(recipient username, kind) of the notifications written, in a stable order."""
    rows = Notification.objects.filter(**filters)
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("recipient__username", "kind"))


# ---------------------------------------------------------------------------------------------------------------
# Deadlines: before, after, escalation


def test_plan_reminder_before_the_deadline_goes_to_the_mentors(cast, world):
    run(PLAN_DUE - dt.timedelta(days=4))
    assert sent() == []  # four days before: not yet
    counts = run(PLAN_DUE - dt.timedelta(days=3))
    assert sent() == [("mentor", Kind.PLAN_DUE), ("qian", Kind.PLAN_DUE)]
    assert counts["written"] == 2 and counts["by_kind"] == {Kind.PLAN_DUE: 2}
    note = Notification.objects.get(recipient=world.mentor)
    assert note.link == f"/plans/pairing/{cast['p_ss'].pk}/" and not note.mandatory
    assert "2026-04-01" in note.title and world.apprentice_person.name in note.body
    assert note.pairing_id == cast["p_ss"].pk
    run(PLAN_DUE)  # the same deadline: the reminder is not repeated on later days
    assert Notification.objects.count() == 2


def test_after_the_deadline_a_notice_then_an_escalation_to_the_committee(cast, world):
    run(PLAN_DUE + dt.timedelta(days=1))
    assert sent() == [("mentor", Kind.PLAN_OVERDUE), ("qian", Kind.PLAN_OVERDUE)]
    assert Notification.objects.filter(kind=Kind.PLAN_OVERDUE, mandatory=True).count() == 2
    run(PLAN_DUE + dt.timedelta(days=2))
    assert Notification.objects.filter(kind=Kind.ESCALATE_PLAN).count() == 0
    run(PLAN_DUE + dt.timedelta(days=3))
    # 上墅乡's committee hears of p_ss; 孝丰镇 has no committee account, so county A's admin hears of p_xf.
    assert sent(Kind.ESCALATE_PLAN) == [("anji", Kind.ESCALATE_PLAN), ("shangshu", Kind.ESCALATE_PLAN)]
    township = Notification.objects.get(recipient=world.township_a, kind=Kind.ESCALATE_PLAN)
    assert township.pairing_id == cast["p_ss"].pk and world.mentor_person.name in township.title
    assert Notification.objects.get(recipient=world.county_admin_a).pairing_id == cast["p_xf"].pk
    run(PLAN_DUE + dt.timedelta(days=10))  # later runs add nothing for the same deadline
    assert Notification.objects.filter(kind=Kind.ESCALATE_PLAN).count() == 2


def test_a_missed_run_is_caught_up_and_old_deadlines_are_left_alone(cast):
    run(PLAN_DUE + dt.timedelta(days=3 + 14))  # the last day of the catch-up range: still escalated
    assert Notification.objects.filter(kind=Kind.ESCALATE_PLAN).count() == 2
    assert Notification.objects.filter(kind=Kind.PLAN_OVERDUE).count() == 0  # the notice's range has passed
    Notification.objects.all().delete()
    run(PLAN_DUE + dt.timedelta(days=3 + 15))
    assert Notification.objects.count() == 0


def test_a_plan_handed_in_is_not_reminded(cast):
    set_plan(cast["p_ss"], "submitted", D(2026, 3, 20))
    set_plan(cast["p_xf"], "returned", D(2026, 3, 20))  # returned: the mentor must hand it in again
    run(PLAN_DUE - dt.timedelta(days=1))
    assert sent() == [("qian", Kind.PLAN_DUE)]


def test_assignment_deadline_reminds_the_apprentice(cast, world):
    assignment = set_assignment(cast["p_ss"], D(2026, 4, 10), D(2026, 4, 20))
    set_plan(cast["p_ss"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    set_plan(cast["p_xf"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    run(D(2026, 4, 17))
    assert sent() == [("apprentice", Kind.ASSIGNMENT_DUE)]
    note = Notification.objects.get()
    assert note.link == f"/assignments/{assignment.pk}/" and "调研报告" in note.title
    run(D(2026, 4, 21))
    assert sent(Kind.ASSIGNMENT_OVERDUE) == [("apprentice", Kind.ASSIGNMENT_OVERDUE)]
    run(D(2026, 4, 23))
    assert sent(Kind.ESCALATE_ASSIGNMENT) == [("shangshu", Kind.ESCALATE_ASSIGNMENT)]
    Notification.objects.all().delete()
    Pairing.objects.filter(pk=cast["p_ss"].pk).update(status="completed")
    run(D(2026, 4, 17))  # a pairing that ended has no deadlines
    assert sent() == []


def test_review_deadline_reminds_the_mentor_from_the_latest_submission(cast):
    set_plan(cast["p_ss"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    set_plan(cast["p_xf"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    assignment = set_assignment(
        cast["p_xf"], D(2026, 4, 1), D(2026, 4, 20), AssignmentStatus.SUBMITTED, D(2026, 4, 15)
    )  # review due 29 April (14 days)
    run(D(2026, 4, 26))  # (near April's end: month reminders go out too)
    assert sent(Kind.REVIEW_DUE) == [("qian", Kind.REVIEW_DUE)]
    run(D(2026, 4, 30))
    assert sent(Kind.REVIEW_OVERDUE) == [("qian", Kind.REVIEW_OVERDUE)]
    run(D(2026, 5, 2))
    assert sent(Kind.ESCALATE_REVIEW) == [("anji", Kind.ESCALATE_REVIEW)]
    # A new submission restarts the clock: a new deadline, a new reminder.
    Assignment = type(assignment)
    Assignment.objects.filter(pk=assignment.pk).update(
        submitted_at=timezone.make_aware(dt.datetime(2026, 5, 3, 10))
    )
    run(D(2026, 5, 14))
    assert len(sent(Kind.REVIEW_DUE)) == 2


def test_confirmation_reminds_the_other_side_then_escalates(cast, world):
    set_plan(cast["p_ss"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    set_plan(cast["p_xf"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    by_mentor = record(cast["p_ss"], D(2026, 4, 10), status=ActivityStatus.RECORDED, side=Side.MENTOR)
    record(cast["p_xf"], D(2026, 4, 10), status=ActivityStatus.RECORDED, side=Side.APPRENTICE)
    record(cast["p_ss"], D(2026, 4, 11), status=ActivityStatus.CONFIRMED)  # confirmed: nothing to do
    run(D(2026, 4, 14))  # both windows close on 17 April
    assert sent() == [("apprentice", Kind.CONFIRM_DUE), ("qian", Kind.CONFIRM_DUE)]
    note = Notification.objects.get(recipient=world.apprentice)
    assert note.link == f"/ledger/{by_mentor.pk}/" and "2026-04-10" in note.body
    run(D(2026, 4, 18))
    assert sent(Kind.ESCALATE_CONFIRM) == []  # escalated three days after the window closed
    run(D(2026, 4, 20))
    assert sent(Kind.ESCALATE_CONFIRM) == [
        ("anji", Kind.ESCALATE_CONFIRM),
        ("shangshu", Kind.ESCALATE_CONFIRM),
    ]


def test_monthly_minimum_near_the_month_end_and_escalated_after_it(cast, world):
    set_plan(cast["p_ss"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    set_plan(cast["p_xf"], "approved", D(2026, 3, 20), D(2026, 3, 21))
    for day in (3, 17):
        record(cast["p_xf"], D(2026, 4, day), on_site=True)  # p_xf meets April's minimum
    record(cast["p_ss"], D(2026, 4, 8), on_site=False)  # p_ss: one entry, none on site
    run(D(2026, 4, 25))  # five days left: not yet
    assert sent(Kind.MONTH_MINIMUM) == []
    run(D(2026, 4, 26))
    assert sent(Kind.MONTH_MINIMUM) == [("apprentice", Kind.MONTH_MINIMUM), ("mentor", Kind.MONTH_MINIMUM)]
    note = Notification.objects.get(recipient=world.mentor, kind=Kind.MONTH_MINIMUM)
    assert (
        note.key == f"month_minimum:{cast['p_ss'].pk}:2026-04"
        and note.link == f"/ledger/pairing/{cast['p_ss'].pk}/"
    )
    run(D(2026, 4, 30))
    assert len(sent(Kind.MONTH_MINIMUM)) == 2
    run(D(2026, 5, 2))
    assert sent(Kind.ESCALATE_MONTH) == []
    run(D(2026, 5, 3))
    assert sent(Kind.ESCALATE_MONTH) == [("shangshu", Kind.ESCALATE_MONTH)]
    note = Notification.objects.get(kind=Kind.ESCALATE_MONTH)
    assert note.title == "2026-04 有 1 个结对未达到每月活动要求" and world.apprentice_person.name in note.body
    assert note.link == "/compliance/?region=330523205&light=behind&rule=activities_per_month"


def test_committee_falls_back_to_the_nearest_org_admins(world):
    committee = reminders.Committee()
    shangshu = region("330523205201").path
    xiaofeng = region("330523105201").path
    deqing = region("330521002201").path
    assert [u for u, _code in committee.for_path(shangshu)] == [world.township_a.pk]
    assert committee.for_path(xiaofeng) == [(world.county_admin_a.pk, "330523")]
    assert committee.for_path(deqing) == [(world.county_admin_b.pk, "330521")]
    User.objects.filter(pk=world.county_admin_b.pk).update(is_active=False)
    assert reminders.Committee().for_path(deqing) == [(world.province_admin.pk, "330000")]


# ---------------------------------------------------------------------------------------------------------------
# Idempotency, preferences, e-mail


def test_running_a_day_twice_sends_nothing_twice(cast):
    first = run(PLAN_DUE + dt.timedelta(days=3))
    outbox = len(mail.outbox)
    second = run(PLAN_DUE + dt.timedelta(days=3))
    assert first["written"] == 4 and second["written"] == 0  # two notices and two escalations, once
    assert len(mail.outbox) == outbox and second["emails"] == 0


def test_a_run_reads_and_writes_in_a_fixed_number_of_queries(world):
    """Reads grouped per kind of deadline and per chunk of pairings, one message per person: no query per pairing
    or per recipient, so a run over many pairings costs what a run over a few does."""
    admin = world.county_admin_a
    prog = pool.programme(admin)
    start, day = D(2026, 2, 27), D(2026, 3, 29)  # plans due that day; March's minimum reminded near its end

    def add(n, village):
        pairings = bulk_pairings(admin, prog, n, start=start, village=village)
        mentor = PairingMentor.objects.filter(pairing=pairings[0]).values_list("mentor__person", flat=True)[0]
        people = [mentor] + [p.apprentice.person_id for p in pairings]
        User.objects.bulk_create(
            User(username=f"bulk-{person}", person_id=person, email=f"bulk-{person}@example.cn")
            for person in people
        )

    def count() -> tuple[int, int, int]:
        Notification.objects.all().delete()
        mail.outbox.clear()
        with CaptureQueriesContext(connection) as queries:
            counts = run(day)
        assert Notification.objects.filter(kind=Kind.PLAN_DUE).count() == counts["by_kind"][Kind.PLAN_DUE]
        assert counts["by_kind"][Kind.MONTH_MINIMUM] > 0
        return len(queries.captured_queries), counts["written"], len(mail.outbox)

    add(3, "330523205202")
    few = count()
    add(60, "330523105201")
    many = count()
    assert many[1] > few[1] and many[2] > few[2] > 1, (few, many)
    assert few[0] == many[0], (few, many)


def test_the_same_draft_written_twice_at_once_is_one_row(world):
    draft = Draft(world.mentor.pk, Kind.PLAN_DUE, "plan_due:plan:1:2026-04-01", "计划")
    assert services.deliver([draft, draft]) == [draft]
    with mock.patch.object(services, "_existing", return_value=set()):  # a second process that saw no row yet
        services.deliver([draft])
    assert Notification.objects.count() == 1


def test_preferences_off_daily_weekly_and_mandatory_always(cast, world):
    services.set_preferences(user=world.mentor, values={Kind.PLAN_DUE: Frequency.OFF})
    services.set_preferences(user=cast["mentor_xf"], values={Kind.PLAN_DUE: Frequency.WEEKLY})
    run(D(2026, 3, 29))  # a Sunday: not the weekly digest day
    assert sent() == [("qian", Kind.PLAN_DUE)]
    weekly = Notification.objects.get()
    assert (
        weekly.delivery == Frequency.WEEKLY and weekly.email_state == EmailState.PENDING and not mail.outbox
    )
    run(D(2026, 3, 30))  # Monday: the weekly digest goes out
    assert [m.to for m in mail.outbox] == [["qian@example.cn"]]
    assert Notification.objects.get(pk=weekly.pk).email_state == EmailState.SENT
    run(
        PLAN_DUE + dt.timedelta(days=1)
    )  # the notice after the deadline reaches the mentor who turned reminders off
    assert sent(Kind.PLAN_OVERDUE) == [("mentor", Kind.PLAN_OVERDUE), ("qian", Kind.PLAN_OVERDUE)]
    with pytest.raises(ValidationError):
        services.set_preferences(user=world.mentor, values={Kind.PLAN_OVERDUE: Frequency.OFF})
    with pytest.raises(ValidationError):
        services.set_preferences(user=world.mentor, values={Kind.PLAN_DUE: "hourly"})
    assert services.preferences_of(world.mentor)[Kind.PLAN_DUE] == Frequency.OFF


def test_daily_digest_is_one_message_per_person(cast, world):
    services.set_preferences(user=world.mentor, values={Kind.PLAN_DUE: Frequency.DAILY})
    set_assignment(cast["p_ss"], D(2026, 3, 10), D(2026, 3, 20), AssignmentStatus.SUBMITTED, D(2026, 3, 16))
    run(D(2026, 3, 29))  # the plan reminder and a review reminder (due 30 March) for the same mentor
    to_mentor = [m for m in mail.outbox if m.to == ["mentor@example.cn"]]
    assert len(to_mentor) == 1
    message = to_mentor[0]
    assert "https://bangdai.example.cn/plans/pairing/" in message.body
    assert "https://bangdai.example.cn/notifications/preferences/" in message.body
    assert message.subject.startswith("帮带")  # more than one reminder: a counting subject, in Chinese


def test_email_in_the_locmem_outbox_and_accounts_without_an_address(cast, world):
    counts = run(PLAN_DUE + dt.timedelta(days=1))
    assert sorted(m.to[0] for m in mail.outbox) == ["mentor@example.cn", "qian@example.cn"]
    message = next(m for m in mail.outbox if m.to == ["mentor@example.cn"])
    assert message.subject == Notification.objects.get(recipient=world.mentor).title
    assert counts["emails"] == 2
    record(cast["p_xf"], D(2026, 4, 10), status=ActivityStatus.RECORDED, side=Side.MENTOR)
    counts = run(D(2026, 4, 14))  # the apprentice of p_xf has no address: in the app only
    note = Notification.objects.get(recipient=cast["apprentice_xf"])
    assert note.email_state == EmailState.SKIPPED and counts["skipped"] == 1


def test_a_failed_message_is_sent_by_the_next_run(cast, world):
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("SMTP down")):
        counts = run(PLAN_DUE + dt.timedelta(days=1))
    assert counts["failed"] == 2 and not mail.outbox
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.PENDING}
    counts = run(PLAN_DUE + dt.timedelta(days=1))
    assert counts["emails"] == 2 and counts["written"] == 0 and len(mail.outbox) == 2


def test_inactive_accounts_are_not_notified(cast, world):
    User.objects.filter(pk=world.mentor.pk).update(is_active=False)
    run(PLAN_DUE - dt.timedelta(days=1))
    assert sent() == [("qian", Kind.PLAN_DUE)]


def test_notify_from_another_app_emails_at_once(world, django_capture_on_commit_callbacks):
    world.mentor.email = "mentor@example.cn"
    world.mentor.save(update_fields=["email"])
    draft = Draft(
        world.mentor.pk, Kind.PLAN_OVERDUE, "plan_overdue:plan:9:2026-04-01", "计划逾期", "请尽快提交"
    )
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(draft)
    assert notification.mandatory and notification.email_state == EmailState.PENDING
    assert [m.to for m in mail.outbox] == [["mentor@example.cn"]]
    assert services.notify(draft) is None  # once


# ---------------------------------------------------------------------------------------------------------------
# The scheduler, the task and the command


def test_the_scheduler_claims_each_day_once(settings, django_capture_on_commit_callbacks, cast):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.BANGDAI = {**settings.BANGDAI, "REMINDERS": {"HOUR": 7}}
    tz = timezone.get_current_timezone()
    assert runs.due_today(dt.datetime(2026, 3, 29, 6, 59, tzinfo=tz)) is None
    assert runs.due_today(dt.datetime(2026, 3, 29, 7, 0, tzinfo=tz)) == D(2026, 3, 29)
    with django_capture_on_commit_callbacks(execute=True):
        first = runs.enqueue_day(D(2026, 3, 29))
    assert runs.enqueue_day(D(2026, 3, 29)) is None  # a second scheduler process
    first.refresh_from_db()
    assert first.status == RunStatus.SUCCEEDED and first.trigger == RunTrigger.SCHEDULER
    assert first.counts["written"] == 2
    from bangdai.notifications.tasks import run_reminders

    assert run_reminders.call(first.pk) == "skipped"  # a task delivered twice runs once


def test_scheduler_command_once(settings, django_capture_on_commit_callbacks, world):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.BANGDAI = {**settings.BANGDAI, "REMINDERS": {"HOUR": 0}}
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("scheduler", "--once", stdout=out)
    assert "enqueued the reminder run" in out.getvalue()
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "already enqueued" in out.getvalue()
    assert ReminderRun.objects.filter(trigger=RunTrigger.SCHEDULER, day=timezone.localdate()).count() == 1


def test_remind_command_dry_run_and_run(cast):
    out = StringIO()
    call_command("remind", "--date", "2026-03-29", "--dry-run", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["written"] == 2 and {n["kind"] for n in body["notifications"]} == {Kind.PLAN_DUE}
    assert Notification.objects.count() == 0 and not mail.outbox and not ReminderRun.objects.exists()
    out = StringIO()
    call_command("remind", "--date", "2026-03-29", stdout=out)
    assert "2 notifications written" in out.getvalue() and Notification.objects.count() == 2
    assert ReminderRun.objects.get().status == RunStatus.SUCCEEDED
    out = StringIO()
    call_command("remind", "--date", "2026-03-29", stdout=out)
    assert "0 notifications written" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("remind", "--date", "29/03/2026")


# ---------------------------------------------------------------------------------------------------------------
# Pages


@pytest.fixture
def inbox(cast, world):
    run(PLAN_DUE + dt.timedelta(days=3))  # notices to both mentors, escalations to shangshu and anji
    return Notification.objects.get(recipient=world.mentor, kind=Kind.PLAN_OVERDUE)


def test_the_notifications_page_shows_only_ones_own(client, world, inbox):
    client.force_login(world.mentor)
    response = client.get("/notifications/")
    assert [n.pk for n in response.context["notifications"]] == [inbox.pk]
    assert response.context["unread"] == 1 and inbox.title in response.content.decode()
    client.force_login(world.township_a)
    response = client.get("/notifications/", {"unread": "1"})
    assert [n.kind for n in response.context["notifications"]] == [Kind.ESCALATE_PLAN]
    assert client.post(f"/notifications/{inbox.pk}/open/").status_code == 404
    assert Notification.objects.get(pk=inbox.pk).read_at is None


def test_opening_marks_read_and_goes_to_the_link(client, world, inbox):
    client.force_login(world.mentor)
    response = client.post(f"/notifications/{inbox.pk}/open/")
    assert response.status_code == 302 and response["Location"] == inbox.link
    assert Notification.objects.get(pk=inbox.pk).read_at is not None
    response = client.post(f"/notifications/{inbox.pk}/open/", {"stay": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_mark_all_read_and_the_bell(client, world, inbox):
    client.force_login(world.mentor)
    bell = client.get("/notifications/bell/")
    assert bell.context["unread"] == 1 and "notification-count" in bell.content.decode()
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=world.mentor, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=world.township_a, read_at__isnull=True).exists()
    assert client.get("/notifications/bell/").context["unread"] == 0
    client.logout()
    assert client.get("/notifications/bell/").status_code == 302


def test_the_preferences_page(client, world):
    client.force_login(world.apprentice)
    response = client.get("/notifications/preferences/")
    assert response.status_code == 200 and "form" in response.context
    data = {kind: Frequency.IMMEDIATELY for kind in response.context["form"].fields}
    data[Kind.CONFIRM_DUE] = Frequency.DAILY
    assert client.post("/notifications/preferences/", data).status_code == 302
    assert services.preferences_of(world.apprentice)[Kind.CONFIRM_DUE] == Frequency.DAILY
    data[Kind.CONFIRM_DUE] = "hourly"
    response = client.post("/notifications/preferences/", data)
    assert response.status_code == 200 and response.context["form"].errors
    assert services.preferences_of(world.apprentice)[Kind.CONFIRM_DUE] == Frequency.DAILY
    with translation.override("en"):
        assert Kind.PLAN_OVERDUE.label in [str(label) for label in response.context["mandatory"]]


# ---------------------------------------------------------------------------------------------------------------
# API and command line


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_notifications(world, inbox):
    mentor = api(world.mentor)
    body = mentor.get("/api/notifications/").json()
    assert [n["id"] for n in body["results"]] == [inbox.pk] and body["results"][0]["mandatory"]
    assert mentor.get("/api/notifications/unread-count/").json() == {"unread": 1}
    assert mentor.get(f"/api/notifications/{inbox.pk}/").status_code == 200
    township = api(world.township_a)
    assert township.get(f"/api/notifications/{inbox.pk}/").status_code == 404
    assert township.post(f"/api/notifications/{inbox.pk}/read/").status_code == 404
    assert mentor.post(f"/api/notifications/{inbox.pk}/read/").json()["is_read"]
    assert mentor.get("/api/notifications/", {"unread": "true"}).json()["results"] == []
    assert township.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert api(world.auditor).get("/api/notifications/").json()["results"] == []


def test_api_preferences(world):
    client = api(world.apprentice)
    assert client.get("/api/notifications/preferences/").json()[Kind.MONTH_MINIMUM] == Frequency.IMMEDIATELY
    response = client.put("/api/notifications/preferences/", {Kind.MONTH_MINIMUM: "weekly"}, format="json")
    assert response.status_code == 200 and response.json()[Kind.MONTH_MINIMUM] == "weekly"
    with translation.override("en"):
        response = client.put(
            "/api/notifications/preferences/",
            {Kind.ESCALATE_PLAN: "off"},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == Kind.ESCALATE_PLAN
    assert "always sent" in response.json()["errors"][0]["detail"]
    assert (
        client.put(
            "/api/notifications/preferences/", {Kind.MONTH_MINIMUM: "hourly"}, format="json"
        ).status_code
        == 400
    )
    assert services.preferences_of(world.apprentice)[Kind.MONTH_MINIMUM] == "weekly"


def test_cli_notifications(world, inbox):
    out = StringIO()
    call_command("notifications", "list", "--json", "--as", "mentor", stdout=out)
    assert [n["id"] for n in json.loads(out.getvalue())] == [inbox.pk]
    call_command("notifications", "read", str(inbox.pk), "--as", "mentor", stdout=StringIO())
    assert Notification.objects.get(pk=inbox.pk).read_at is not None
    with pytest.raises(CommandError, match="not found"):
        call_command("notifications", "read", str(inbox.pk), "--as", "shangshu")
    out = StringIO()
    call_command("notifications", "read-all", "--as", "shangshu", stdout=out)
    assert out.getvalue().startswith("1 ")
    out = StringIO()
    call_command(
        "notifications", "preferences", "--set", "plan_due=daily", "--json", "--as", "mentor", stdout=out
    )
    assert json.loads(out.getvalue())["plan_due"] == "daily"
    with pytest.raises(CommandError, match="Refused"):
        call_command("notifications", "preferences", "--set", "escalate_plan=off", "--as", "mentor")


def test_the_api_schema_describes_preferences(client, world):
    client.force_login(world.mentor)
    response = client.get("/api/schema/")  # the default YAML rendering
    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/notifications/preferences/" in body and "month_minimum" in body
    assert "/api/compliance/regions/{code}/trends/" in body
