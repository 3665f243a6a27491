"""The growth file (成长档案): the timeline gathered from every app in order, its summary figures, who may open it
(the apprentice, current and former mentors, the region's governing roles), pages, the PDF read back, API and CLI.

The story is built through each app's services: a pairing with a first mentor, ended by a re-pairing with the
world's mentor, a plan approved with a goal met, ledger entries and a 复盘, assignments set, answered and scored,
an open class attended by QR check-in, and an alliance of the apprentice's village with a joint activity. Records
the services stamp with the present moment are then put back at their day, as the clock would have done.
"""

import datetime as dt
import io
import json
import re
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from bangdai.accounts.choices import Role
from bangdai.alliances import services as alliance_services
from bangdai.assignments import services as assignment_services
from bangdai.assignments.models import Assignment
from bangdai.core.choices import ContentArea, Method
from bangdai.growth import selectors
from bangdai.growth.choices import Kind, Source
from bangdai.growth.selectors import whole_months
from bangdai.growth.templatetags.growth import cn_numeral
from bangdai.ledger import services as ledger_services
from bangdai.ledger.models import Review
from bangdai.mentors.choices import MentorTier
from bangdai.pairings import services as pairing_services
from bangdai.pairings.choices import PairingAction
from bangdai.pairings.models import Pairing, PairingEvent
from bangdai.plans import services as plan_services
from bangdai.plans.choices import PlanAction
from bangdai.plans.models import PlanEvent
from bangdai.plans.services import GoalData
from bangdai.teaching import services as teaching_services

from . import pool
from .factories import PersonFactory, region, user_with_role

pytestmark = pytest.mark.django_db

SHANGSHU = "330523205201"  # 上墅村: the apprentice's village
LIUJIATANG = "330523205202"  # 刘家塘村: the mentors' village, the alliance's hub
CP, PB = ContentArea.COMMON_PROSPERITY, ContentArea.PARTY_BUILDING
TODAY = timezone.localdate()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def moment(days: int, hour: int = 10) -> dt.datetime:
    """A moment ``days`` days ago at ``hour`` o'clock, local time."""
    return timezone.make_aware(dt.datetime.combine(ago(days), dt.time(hour)))


def at(model, pk, days, hour=10, field="at"):
    """Put a record the services stamped "now" back at its day."""
    model.objects.filter(pk=pk).update(**{field: moment(days, hour)})


def event(pairing, action):
    return PairingEvent.objects.get(pairing=pairing, action=action)


def activity(actor, pairing, days, minutes, method=Method.DIAGNOSTIC_VISIT, summary="", **extra):
    return ledger_services.record_activity(
        actor=actor,
        pairing=pairing,
        occurred_on=ago(days),
        duration_min=minutes,
        method=method,
        content_areas=[CP],
        summary=summary or f"{days}天前的帮带活动",
        **extra,
    )


def scored(mentor, apprentice, pairing, title, score, days):
    assignment = assignment_services.issue(
        actor=mentor, pairing=pairing, title=title, brief="写一份报告", content_area=CP, due_on=ago(-20)
    )
    assignment_services.submit(actor=apprentice, assignment=assignment, text="报告正文")
    assignment_services.review(actor=mentor, assignment=assignment, feedback="思路清楚", score=score)
    at(Assignment, assignment.pk, days, field="issued_at")
    return assignment


def build_story(world) -> SimpleNamespace:
    """The apprentice's year and a half, through the services (see the module's docstring)."""
    admin, township = world.county_admin_a, world.township_a
    prog = pool.programme(admin)
    former_person = PersonFactory(name="郑前导", region=region(LIUJIATANG))
    former_user = user_with_role("former", Role.MENTOR, LIUJIATANG, person=former_person)
    former = pool.appointed_mentor(admin, prog, person=former_person)
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person, tier=MentorTier.MUNICIPAL)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    s = SimpleNamespace(
        prog=prog, former=former, former_user=former_user, mentor=mentor, apprentice=apprentice
    )

    # The first pairing, with 郑前导: proposed, confirmed, signed 200 days ago, ended by a transfer 100 days ago.
    p1 = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[former])
    pairing_services.confirm(actor=former_user, pairing=p1)
    pairing_services.confirm(actor=world.apprentice, pairing=p1)
    pairing_services.sign_pledge(
        actor=township,
        pairing=p1,
        signed_on=ago(200),
        ceremony_place="上墅乡师说馆",
        witnesses=["乡党委书记"],
    )
    s.a190 = activity(former_user, p1, 190, 90, summary="前导师把脉巡诊白茶产业")
    s.asg_former = scored(former_user, world.apprentice, p1, "村集体经济调研报告", 80, 180)
    p2 = pairing_services.repair(
        actor=admin, pairing=Pairing.objects.get(pk=p1.pk), mentors=[mentor], reason="工作调动"
    )
    pairing_services.confirm(actor=world.mentor, pairing=p2)
    pairing_services.confirm(actor=world.apprentice, pairing=p2)
    pairing_services.sign_pledge(
        actor=township,
        pairing=p2,
        signed_on=ago(90),
        ceremony_place="刘家塘村文化礼堂",
        witnesses=["村党总支书记"],
    )
    s.p1, s.p2 = Pairing.objects.get(pk=p1.pk), Pairing.objects.get(pk=p2.pk)

    # The second pairing's plan: submitted, approved, one goal of two met 20 days ago.
    plan = plan_services.create(
        actor=world.mentor,
        pairing=s.p2,
        summary="一年内独立谋划增收项目",
        goals=[
            GoalData(CP, "谋划白茶增收项目", "形成项目方案", ago(-60)),
            GoalData(PB, "规范三会一课", "全年记录完整", ago(-120)),
        ],
    )
    plan_services.submit(actor=world.mentor, plan=plan)
    plan_services.approve(actor=township, plan=plan, comment="同意")
    plan_services.set_goal_met(actor=world.mentor, goal=plan.goals.get(position=0), met=True, on=ago(20))
    s.plan = plan

    # Its ledger: three counted entries (one by the apprentice, confirmed), a withdrawn one, and a 复盘.
    s.a80 = activity(world.mentor, s.p2, 80, 120)
    s.a30 = activity(
        world.apprentice,
        s.p2,
        30,
        75,
        method=Method.HEART_TO_HEART_TALK,
        place=region("330523205"),
        summary="谈心谈话，谈工作思路",
    )
    ledger_services.confirm_activity(actor=world.mentor, activity=s.a30)
    s.a5 = activity(
        world.mentor, s.p2, 5, 45, method=Method.CASE_DISSECTION, summary="解剖麻雀：村规民约修订"
    )
    withdrawn = activity(world.mentor, s.p2, 6, 30, summary="记错了")
    ledger_services.withdraw_activity(actor=world.mentor, activity=withdrawn, reason="重复记录")
    s.review = ledger_services.write_review(
        actor=world.mentor,
        pairing=s.p2,
        activities=[s.a80, s.a30],
        lessons="群众工作要多听",
        next_steps="下月走访",
    )
    at(Review, s.review.pk, 25, field="created_at")

    # Assignments: one scored 90, one set and not yet answered, one withdrawn.
    s.asg_scored = scored(world.mentor, world.apprentice, s.p2, "白茶产业发展思路", 90, 40)
    s.asg_open = assignment_services.issue(
        actor=world.mentor,
        pairing=s.p2,
        title="拟写村规民约修订稿",
        brief="一周内完成",
        content_area=PB,
        due_on=ago(-7),
    )
    at(Assignment, s.asg_open.pk, 10, hour=9, field="issued_at")
    gone = assignment_services.issue(
        actor=world.mentor, pairing=s.p2, title="作废的作业", brief="-", content_area=CP, due_on=ago(-7)
    )
    assignment_services.withdraw(actor=world.mentor, assignment=gone, reason="重复")

    # An open class 12 days ago, which the apprentice enrolled in and checked in to by scanning its code.
    starts = moment(12, 14)
    open_class = teaching_services.schedule_class(
        actor=world.mentor,
        mentor=mentor,
        village=region(SHANGSHU),
        now=starts - dt.timedelta(days=3),
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        title="白茶产业现场教学",
        content_areas=[CP],
        capacity=20,
        place="村文化礼堂",
    )
    teaching_services.enrol_self(
        actor=world.apprentice, open_class=open_class, now=starts - dt.timedelta(days=1)
    )
    teaching_services.check_in(
        actor=world.apprentice,
        open_class=open_class,
        token=teaching_services.checkin_token(open_class),
        now=starts + dt.timedelta(minutes=10),
    )
    s.open_class = open_class

    # The alliance around 刘家塘村, which 上墅村 joined when it was founded 60 days ago; a joint activity 15 days ago.
    alliance = alliance_services.form_alliance(
        actor=admin,
        name="上墅乡白茶共富联盟",
        region=region("330523"),
        hub=region(LIUJIATANG),
        lead_mentor=mentor,
        members=[region(SHANGSHU)],
        goals="联合推广白茶",
        founded_on=ago(60),
    )
    alliance_services.activate(admin, alliance)
    s.joint = alliance_services.record_activity(
        actor=admin,
        alliance=alliance,
        occurred_on=ago(15),
        title="白茶联合推介会",
        summary="两村联合推介白茶",
        villages=[region(SHANGSHU), region(LIUJIATANG)],
    )
    s.alliance = alliance

    # Back to their days: the pairings' steps and the plan's.
    at(PairingEvent, event(p1, PairingAction.PROPOSE).pk, 210)
    at(PairingEvent, event(p1, PairingAction.CONFIRMED).pk, 205)
    at(PairingEvent, event(p1, PairingAction.SIGN).pk, 200)
    at(PairingEvent, event(p1, PairingAction.TERMINATE).pk, 100, hour=10)
    at(PairingEvent, event(p2, PairingAction.REPAIR).pk, 100, hour=11)
    at(PairingEvent, event(p2, PairingAction.CONFIRMED).pk, 95)
    at(PairingEvent, event(p2, PairingAction.SIGN).pk, 90)
    Pairing.objects.filter(pk=p1.pk).update(ended_on=ago(100))
    s.p1.refresh_from_db()
    at(PlanEvent, PlanEvent.objects.get(plan=plan, action=PlanAction.SUBMIT).pk, 85)
    at(PlanEvent, PlanEvent.objects.get(plan=plan, action=PlanAction.APPROVE).pk, 84)
    return s


@pytest.fixture
def story(world):
    return build_story(world)


# Every entry of the story, newest first: (source, days ago, which pairing or None).
TIMELINE = [
    (Source.ACTIVITY, 5, 2),
    (Source.ASSIGNMENT, 10, 2),
    (Source.OPEN_CLASS, 12, None),
    (Source.JOINT_ACTIVITY, 15, None),
    (Source.GOAL_MET, 20, 2),
    (Source.REVIEW, 25, 2),
    (Source.ACTIVITY, 30, 2),
    (Source.ASSIGNMENT, 40, 2),
    (Source.JOINED, 60, None),
    (Source.ACTIVITY, 80, 2),
    (Source.PLAN_EVENT, 84, 2),
    (Source.PLAN_EVENT, 85, 2),
    (Source.PAIRING_EVENT, 90, 2),
    (Source.PAIRING_EVENT, 95, 2),
    (Source.PAIRING_EVENT, 100, 2),  # the re-pairing (11:00) after the first pairing's end (10:00)
    (Source.PAIRING_EVENT, 100, 1),
    (Source.ASSIGNMENT, 180, 1),
    (Source.ACTIVITY, 190, 1),
    (Source.PAIRING_EVENT, 200, 1),
    (Source.PAIRING_EVENT, 205, 1),
    (Source.PAIRING_EVENT, 210, 1),
]


def expected(pairings=(1, 2)) -> list[tuple[str, dt.date]]:
    return [(source, ago(days)) for source, days, p in TIMELINE if p is None or p in pairings]


def shown(user, apprentice, **filters) -> list[tuple[str, dt.date]]:
    file = selectors.growth_file(user, apprentice)
    page = selectors.timeline_page(file, per_page=100, **filters)
    return [(entry.source, entry.on) for entry, _new in page.rows]


# ---------------------------------------------------------------------------------------------- the timeline


def test_the_timeline_gathers_every_kind_newest_first(story, world):
    assert shown(world.apprentice, story.apprentice) == expected()
    file = selectors.growth_file(world.apprentice, story.apprentice)
    rows = selectors.timeline_page(file, per_page=100).rows
    titles = [entry.title for entry, _new in rows]
    with translation.override("zh-hans"):
        assert selectors.kind_counts(file.keys) == {
            Kind.PAIRING: 7,
            Kind.PLAN: 3,
            Kind.ACTIVITY: 5,
            Kind.ASSIGNMENT: 3,
            Kind.OPEN_CLASS: 1,
            Kind.ALLIANCE: 2,
        }
    assert "白茶联合推介会" in titles and "白茶产业现场教学" in titles and "拟写村规民约修订稿" in titles
    assert "作废的作业" not in titles  # withdrawn assignments and ledger entries are not part of the file
    assert not any(entry.text == "记错了" for entry, _new in rows)
    by_source = {entry.source: entry for entry, _new in reversed(rows)}  # the newest of each source
    assert by_source[Source.ASSIGNMENT].score is None  # the newest one is not answered yet
    scored_entry = next(e for e, _n in rows if e.source == Source.ASSIGNMENT and e.score)
    assert (scored_entry.score, scored_entry.url) == (
        90,
        reverse("assignments:detail", args=[story.asg_scored.pk]),
    )
    assert by_source[Source.OPEN_CLASS].url == reverse("teaching:class_detail", args=[story.open_class.pk])
    assert by_source[Source.JOINT_ACTIVITY].url == ""  # the apprentice may not open the alliance's page
    # Month headers open each new month, once.
    headers = [entry.on.strftime("%Y-%m") for entry, new in rows if new]
    assert headers == list(dict.fromkeys(entry.on.strftime("%Y-%m") for entry, _new in rows))


def test_the_timeline_filters_by_kind_and_year(story, world):
    assert shown(world.apprentice, story.apprentice, kinds=[Kind.ACTIVITY]) == [
        (s, d) for s, d in expected() if s in (Source.ACTIVITY, Source.REVIEW)
    ]
    both = shown(world.apprentice, story.apprentice, kinds=[Kind.PAIRING, Kind.ALLIANCE])
    assert {s for s, _d in both} == {Source.PAIRING_EVENT, Source.JOINED, Source.JOINT_ACTIVITY}
    year = ago(200).year
    assert shown(world.apprentice, story.apprentice, year=year) == [
        (s, d) for s, d in expected() if d.year == year
    ]
    assert shown(world.apprentice, story.apprentice, year=1999) == []


def test_pages_carry_on_where_the_last_one_stopped(story, world):
    file = selectors.growth_file(world.apprentice, story.apprentice)
    seen, headers = [], []
    for number in (1, 2, 3):
        page = selectors.timeline_page(file, number=number, per_page=8)
        seen += [(e.source, e.on) for e, _n in page.rows]
        headers += [e.on.strftime("%Y-%m") for e, new in page.rows if new]
    assert seen == expected()
    assert headers == list(
        dict.fromkeys(d.strftime("%Y-%m") for _s, d in expected())
    )  # no repeat at a page edge


# ---------------------------------------------------------------------------------------------- summary figures


def test_whole_months():
    assert whole_months(dt.date(2026, 3, 5), dt.date(2027, 3, 5)) == 12
    assert whole_months(dt.date(2026, 3, 5), dt.date(2027, 3, 4)) == 11
    assert whole_months(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 0
    assert whole_months(dt.date(2026, 3, 5), dt.date(2026, 3, 1)) == 0


def test_summary_figures_for_the_apprentice(story, world):
    file = selectors.growth_file(world.apprentice, story.apprentice)
    s = selectors.summary(file)
    assert s.months == whole_months(ago(200), ago(100)) + whole_months(ago(90), TODAY)
    assert s.since == ago(200)
    assert (s.activities, s.minutes, s.hours, s.on_site, s.talks) == (
        4,
        330,
        5.5,
        3,
        1,
    )  # the withdrawn one not
    assert s.on_site_percent == 75 and s.reviews == 1
    a = s.assignments
    assert (a.issued, a.submitted, a.reviewed, a.mean_score) == (3, 2, 2, 85.0)
    assert (s.classes, s.goals_met, s.goals_total, s.goals_percent, s.joint_activities) == (1, 1, 2, 50, 1)
    assert sum(m.activities for m in s.month_series) == 4 and s.month_series[0].month == ago(200).replace(
        day=1
    )


def test_summary_for_each_mentor_counts_their_own_pairing(story, world):
    mine = selectors.summary(selectors.growth_file(world.mentor, story.apprentice))
    assert mine.months == whole_months(ago(90), TODAY)
    assert (mine.activities, mine.minutes, mine.assignments.issued, mine.assignments.mean_score) == (
        3,
        240,
        2,
        90.0,
    )
    assert (mine.classes, mine.goals_met, mine.goals_total) == (1, 1, 2)
    theirs = selectors.summary(selectors.growth_file(story.former_user, story.apprentice))
    assert theirs.months == whole_months(ago(200), ago(100))
    assert (theirs.activities, theirs.minutes, theirs.assignments.issued, theirs.assignments.mean_score) == (
        1,
        90,
        1,
        80.0,
    )
    assert (theirs.goals_total, theirs.classes, theirs.joint_activities) == (0, 1, 1)


def test_an_apprentice_without_a_pairing_has_an_empty_file(world):
    admin = world.county_admin_a
    lonely = pool.apprentice(
        admin, pool.programme(admin), person=PersonFactory(name="褚新苗", birth_date=dt.date(1998, 5, 7))
    )
    file = selectors.growth_file(admin, lonely)
    s = selectors.summary(file)
    assert (file.keys, s.months, s.activities, s.on_site_percent, s.assignments.mean_score) == (
        [],
        0,
        0,
        None,
        None,
    )
    assert selectors.timeline_page(file).rows == []


# ---------------------------------------------------------------------------------------------- who may open it


def test_who_opens_the_file_and_what_they_see(story, world, client):
    url = reverse("growth:detail", args=[story.apprentice.pk])
    everything = {
        "apprentice": world.apprentice,
        "county_admin_a": world.county_admin_a,
        "township_a": world.township_a,
        "auditor": world.auditor,
        "province_admin": world.province_admin,
    }
    for name, user in everything.items():
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, name
        assert [(e.source, e.on) for e, _n in response.context["timeline"].rows] == expected()[:30], name
        assert response.context["sees_everything"], name
    for user, pairing in ((world.mentor, 2), (story.former_user, 1)):
        client.force_login(user)
        response = client.get(url, {"page": 1})
        assert response.status_code == 200
        assert [(e.source, e.on) for e, _n in response.context["timeline"].rows] == expected((pairing,))
        assert not response.context["sees_everything"]
        assert "growth-scope-note" in response.content.decode()
        assert (
            f'href="{reverse("apprentices:detail", args=[story.apprentice.pk])}"'
            not in response.content.decode()
        )
    outsiders = [
        world.county_admin_b,
        user_with_role("xiaofeng", Role.TOWNSHIP, "330523105"),  # another township of the same county
        user_with_role("stranger", Role.MENTOR, LIUJIATANG, person=PersonFactory(region=region(LIUJIATANG))),
    ]
    for user in outsiders:
        client.force_login(user)
        assert client.get(url).status_code == 404, user.username
        assert client.get(reverse("growth:pdf", args=[story.apprentice.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_mentor_who_declined_the_proposal_never_opens_the_file(world, client):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(
        admin, prog, person=PersonFactory(name="卫新苗", birth_date=dt.date(1997, 4, 6))
    )
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    url = reverse("growth:detail", args=[apprentice.pk])
    client.force_login(world.mentor)
    assert client.get(url).status_code == 200  # proposed as their mentor: they may read the file to decide
    pairing_services.decline(actor=world.mentor, pairing=pairing, reason="时间冲突")
    assert client.get(url).status_code == 404
    assert not selectors.growth_files(world.mentor).filter(pk=apprentice.pk).exists()


# ---------------------------------------------------------------------------------------------- pages


def test_the_page_shows_figures_filters_and_loads_more(story, world, client):
    client.force_login(world.county_admin_a)
    url = reverse("growth:detail", args=[story.apprentice.pk])
    body = client.get(url).content.decode()
    for text in ("吴徒弟", "成长档案", "郑前导", "陈导师", "白茶联合推介会", "75%", "85.0", "1/2"):
        assert text in body, text
    assert f'href="{reverse("growth:pdf", args=[story.apprentice.pk])}"' in body
    assert 'href="?kind=activity"' in body  # a chip for each kind
    # Filtered by kind: the chips keep the choice and the PDF link carries it.
    response = client.get(url, {"kind": ["activity", "bogus"], "year": "x"})
    assert response.status_code == 200
    assert {e.kind for e, _n in response.context["timeline"].rows} == {Kind.ACTIVITY}
    assert "file.pdf?kind=activity" in response.content.decode()
    # Load more: the htmx request gets the next rows and a new button, not the page.
    page = client.get(url, {"page": 2, "per_page": 1}, headers={"HX-Request": "true"})
    assert page.status_code == 200 and "<html" not in page.content.decode()
    english = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert "Months mentored" in english and "Load more" not in english  # 21 entries: one page
    assert "帮带时长" in body


def test_a_long_timeline_costs_a_bounded_number_of_queries(
    story, world, client, django_assert_max_num_queries
):
    client.force_login(world.county_admin_a)
    url = reverse("growth:detail", args=[story.apprentice.pk])
    api = APIClient()
    api.force_authenticate(world.county_admin_a)
    api_url = reverse("api:growth-detail", args=[story.apprentice.pk])

    def count(fn) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert fn().status_code == 200
        return len(captured)

    short_page, short_api = count(lambda: client.get(url)), count(lambda: api.get(api_url))
    for days in range(1, 85):
        activity(world.mentor, story.p2, days % 80 + 1, 30)
    for n in range(15):
        assignment_services.issue(
            actor=world.mentor, pairing=story.p2, title=f"作业{n}", brief="-", content_area=CP, due_on=ago(-5)
        )
    assert len(selectors.growth_file(world.county_admin_a, story.apprentice).keys) == len(TIMELINE) + 84 + 15
    with django_assert_max_num_queries(short_page):
        client.get(url)
    with django_assert_max_num_queries(short_api):
        api.get(api_url)
    with django_assert_max_num_queries(short_page):
        client.get(url, {"page": 4})
    with django_assert_max_num_queries(short_api):  # every one of the 120 entries fetched in one response
        assert len(api.get(api_url, {"page_size": 200}).json()["timeline"]["results"]) == 120
    assert short_page <= 40 and short_api <= 40


# ---------------------------------------------------------------------------------------------- PDF


def read_pdf(response) -> PdfReader:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(body))


def text_of(reader: PdfReader) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def test_the_pdf_is_a_proper_document(story, world, client):
    client.force_login(world.apprentice)
    response = client.get(reverse("growth:pdf", args=[story.apprentice.pk]))
    assert "filename*=utf-8''%E6%88%90%E9%95%BF%E6%A1%A3%E6%A1%88" in response["Content-Disposition"]
    reader = read_pdf(response)
    pages = text_of(reader)
    total = len(pages)
    assert total >= 3
    cover = pages[0]
    for text in (
        "成长档案",
        "吴徒弟",
        "安吉县2027年乡村年轻干部导师帮带",
        "郑前导",
        "陈导师",
        "中共安吉县委组织部",
    ):
        assert text in cover, text
    assert "湖州市安吉县上墅乡上墅村" in cover
    assert "第1页" not in cover  # the cover carries no page number
    body = "".join(pages[1:])
    for text in (
        "一、概况",
        "二、结对情况",
        "三、帮带计划",
        "谋划白茶增收项目",
        "帮带活动",
        "把脉巡诊法",
        "谈心谈话",
        "解剖麻雀：村规民约修订",
        "复盘",
        "白茶产业发展思路",
        "90分",
        "白茶产业现场教学",
        "白茶联合推介会",
        "上墅乡白茶共富联盟",
        "平均85.0分",
        "75%",
        "刘家塘村文化礼堂",
    ):
        assert text in body, text
    assert "记错了" not in body and "作废的作业" not in body
    assert f"第2页/共{total}页" in pages[1] and f"第{total}页/共{total}页" in pages[-1]
    # Sections run in time order: the first pairing's activity before the second's.
    assert body.index("前导师把脉巡诊白茶产业") < body.index("解剖麻雀：村规民约修订")


def test_a_mentor_prints_only_their_pairing(story, world, client):
    client.force_login(world.mentor)
    body = "".join(text_of(read_pdf(client.get(reverse("growth:pdf", args=[story.apprentice.pk])))))
    assert "解剖麻雀：村规民约修订" in body and "前导师把脉巡诊白茶产业" not in body
    assert "村集体经济调研报告" not in body


def test_a_selection_prints_its_chapters_only(story, world, client):
    client.force_login(world.township_a)
    response = client.get(reverse("growth:pdf", args=[story.apprentice.pk]), {"kind": "assignment"})
    body = "".join(text_of(read_pdf(response)))
    assert "本册范围" in body and "白茶产业发展思路" in body
    assert "解剖麻雀：村规民约修订" not in body and "三、帮带计划" not in body
    assert "三、作业" in body


# ---------------------------------------------------------------------------------------------- API


@pytest.fixture
def api():
    return APIClient()


def test_api_file_with_kinds_summary_and_pages(story, world, api):
    api.force_authenticate(world.county_admin_a)
    url = reverse("api:growth-detail", args=[story.apprentice.pk])
    assert url == f"/api/growth/{story.apprentice.pk}/"
    data = api.get(url, {"page_size": 5}).json()
    assert data["apprentice"]["name"] == "吴徒弟" and data["complete"] is True
    assert [m["name"] for m in data["mentors"]] == ["郑前导", "陈导师"]
    assert {k["kind"]: k["count"] for k in data["kinds"]}[Kind.ACTIVITY] == 5
    summary = data["summary"]
    assert (summary["activities"], summary["hours"], summary["on_site_percent"]) == (4, 5.5, 75)
    assert (summary["assignments"]["mean_score"], summary["classes_attended"], summary["plan_goals_met"]) == (
        85.0,
        1,
        1,
    )
    timeline = data["timeline"]
    assert (timeline["count"], timeline["pages"], len(timeline["results"])) == (len(TIMELINE), 5, 5)
    assert [(r["source"], r["date"]) for r in timeline["results"]] == [
        (s, d.isoformat()) for s, d in expected()[:5]
    ]
    second = api.get(timeline["next"]).json()["timeline"]
    assert [(r["source"], r["date"]) for r in second["results"]] == [
        (s, d.isoformat()) for s, d in expected()[5:10]
    ]
    only = api.get(url, {"kind": "assignment,open_class"}).json()["timeline"]["results"]
    assert {r["kind"] for r in only} == {"assignment", "open_class"} and len(only) == 4
    assert api.get(url, {"kind": ["assignment", "open_class"]}).json()["timeline"]["count"] == 4
    assert api.get(url, {"page": 99}).status_code == 404


def test_api_refuses_bad_filters_and_hides_other_regions(story, world, api):
    url = reverse("api:growth-detail", args=[story.apprentice.pk])
    api.force_authenticate(world.county_admin_a)
    with translation.override("en"):
        response = api.get(url, {"kind": "gossip", "year": "soon"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    attrs = {e["attr"] for e in response.json()["errors"]}
    assert attrs == {"kind.0", "year"}
    api.force_authenticate(world.county_admin_b)
    assert api.get(url).status_code == 404
    assert api.get(reverse("api:growth-pdf", args=[story.apprentice.pk])).status_code == 404
    api.force_authenticate(None)
    assert api.get(url).status_code in (401, 403)


def test_api_for_a_mentor_and_the_pdf(story, world, api):
    api.force_authenticate(world.mentor)
    data = api.get(reverse("api:growth-detail", args=[story.apprentice.pk])).json()
    assert data["complete"] is False and [m["name"] for m in data["mentors"]] == ["陈导师"]
    assert data["timeline"]["count"] == len(expected((2,)))
    response = api.get(reverse("api:growth-pdf", args=[story.apprentice.pk]), HTTP_ACCEPT="application/pdf")
    assert "解剖麻雀：村规民约修订" in "".join(text_of(read_pdf(response)))


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_show_json_and_pdf(story, world, tmp_path):
    out = io.StringIO()
    call_command("growth", "show", str(story.apprentice.pk), "--as", "apprentice", stdout=out)
    text = out.getvalue()
    assert "吴徒弟" in text and "白茶联合推介会" in text and "郑前导、陈导师" in text
    assert text.index("解剖麻雀") < text.index("前导师把脉巡诊") if "前导师把脉巡诊" in text else True
    out = io.StringIO()
    call_command(
        "growth",
        "show",
        str(story.apprentice.pk),
        "--as",
        "mentor",
        "--json",
        "--kind",
        "activity",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["complete"] is False
    assert [r["source"] for r in data["timeline"]["results"]] == [
        "activity",
        "review",
        "activity",
        "activity",
    ]
    target = tmp_path / "file.pdf"
    call_command(
        "growth",
        "show",
        str(story.apprentice.pk),
        "--as",
        "former",
        "--pdf",
        str(target),
        stderr=io.StringIO(),
    )
    reader = PdfReader(str(target))
    body = "".join(text_of(reader))
    assert "前导师把脉巡诊白茶产业" in body and "解剖麻雀" not in body


def test_cli_hides_what_the_user_may_not_see(story, world):
    for username in ("deqing",):
        with pytest.raises(CommandError, match=f"Apprentice {story.apprentice.pk} not found"):
            call_command("growth", "show", str(story.apprentice.pk), "--as", username)
    with pytest.raises(CommandError, match="not found"):
        call_command("growth", "show", "abc", "--as", "anji")
    with pytest.raises(CommandError, match="No active user"):
        call_command("growth", "show", str(story.apprentice.pk), "--as", "nobody")


def test_chapter_numerals():
    assert [cn_numeral(n) for n in (1, 3, 9, 10, 11, 20, 23)] == [
        "一",
        "三",
        "九",
        "十",
        "十一",
        "二十",
        "二十三",
    ]
