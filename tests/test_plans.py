"""Mentoring plans (帮带计划): every transition and refusal, the overdue selector, progress, pages, API and CLI."""

import datetime as dt
import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation
from rest_framework.test import APIClient

from bangdai.accounts.choices import Role
from bangdai.accounts.models import RoleAssignment, User
from bangdai.core.choices import ContentArea
from bangdai.pairings import services as pairing_services
from bangdai.pairings.models import Pairing
from bangdai.plans import selectors, services
from bangdai.plans.choices import Decision, PlanAction, PlanStatus
from bangdai.plans.models import MentoringPlan, PlanEvent, PlanGoal, PlanRevision
from bangdai.plans.services import GoalData
from bangdai.programmes import services as programme_services

from . import pool
from .factories import PersonFactory, UserFactory, region, user_with_role

pytestmark = pytest.mark.django_db

S = PlanStatus
TODAY = dt.date.today()


def running_pairing(world, *, started_days_ago=10, admin=None, mentor_person=None, apprentice_person=None):
    """An active pairing of the world's mentor and apprentice (or the given cadres), through the real services."""
    admin = admin or world.county_admin_a
    prog = pool.programme(admin, name=f"安吉县帮带{timezone.now().timestamp()}")
    mentor = pool.appointed_mentor(admin, prog, person=mentor_person or world.mentor_person)
    apprentice = pool.apprentice(
        admin, prog, person=apprentice_person or world.apprentice_person, three_gates=True
    )
    pairing = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    for cadre in (mentor.person, apprentice.person):
        account = User.objects.filter(person=cadre).first() or UserFactory(
            username=f"party-{cadre.pk}", person=cadre
        )
        pairing = pairing_services.confirm(actor=account, pairing=pairing)
    pairing = pairing_services.sign_pledge(
        actor=admin,
        pairing=pairing,
        signed_on=TODAY - dt.timedelta(days=started_days_ago),
        ceremony_place="师说馆",
        witnesses=["乡党委书记"],
    )
    return SimpleNamespace(pairing=Pairing.objects.get(pk=pairing.pk), programme=prog, mentor=mentor)


def goal(
    area=ContentArea.COMMON_PROSPERITY,
    description="独立谋划村集体增收项目",
    days=90,
    target="形成项目方案并通过村两委会议",
    id=None,
):
    return GoalData(area, description, target, TODAY + dt.timedelta(days=days), id)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def active(world):
    return running_pairing(world)


def fresh(plan) -> MentoringPlan:
    return MentoringPlan.objects.select_related("pairing__region").get(pk=plan.pk)


def draft(world, active, goals=None) -> MentoringPlan:
    return services.create(
        actor=world.mentor, pairing=active.pairing, summary="一年内能独立主持村务", goals=goals or [goal()]
    )


# ---------------------------------------------------------------------------------------------- the workflow


def test_draft_submit_return_resubmit_approve_revise(world, active):
    mentor, township = world.mentor, world.township_a
    plan = draft(
        world, active, [goal(), goal(ContentArea.PARTY_BUILDING, "规范组织生活", 60, "每月主题党日记录完整")]
    )
    assert (plan.status, plan.revision, plan.drafted_by) == (S.DRAFT, 0, mentor)
    assert list(plan.goals.values_list("content_area", flat=True)) == ["common_prosperity", "party_building"]

    plan = services.submit(actor=mentor, plan=fresh(plan), comment="请审定")
    assert (plan.status, plan.revision) == (S.SUBMITTED, 1)
    assert plan.first_submitted_at is not None
    assert plan.required_frequencies == {
        "activities_per_month": 2,
        "onsite_per_month": 1,
        "talks_per_quarter": 1,
        "assignments_per_quarter": 1,
    }
    first = PlanRevision.objects.get(plan=plan, number=1)
    assert (first.submitted_by, first.comment, first.decision) == (mentor, "请审定", "")
    assert [g["description"] for g in first.goals] == ["独立谋划村集体增收项目", "规范组织生活"]

    plan = services.return_plan(actor=township, plan=fresh(plan), comment="目标要量化到季度")
    assert plan.status == S.RETURNED
    first.refresh_from_db()
    assert (first.decision, first.decided_by, first.decision_comment) == (
        Decision.RETURNED,
        township,
        "目标要量化到季度",
    )

    kept = plan.goals.get(content_area="party_building")
    plan = services.save_draft(
        actor=mentor,
        plan=fresh(plan),
        summary="一年内能独立主持村务",
        goals=[goal(ContentArea.PARTY_BUILDING, "规范组织生活", 60, "每季度两次主题党日", id=kept.pk)],
    )
    assert plan.status == S.RETURNED  # edited, not yet handed in again
    assert list(plan.goals.values_list("pk", flat=True)) == [kept.pk]  # the other goal was removed
    plan = services.submit(actor=mentor, plan=fresh(plan))
    plan = services.approve(actor=world.county_admin_a, plan=fresh(plan), comment="同意")
    assert (plan.status, plan.revision, plan.approved_revision) == (S.APPROVED, 2, 2)
    assert plan.approved_by == world.county_admin_a
    # The first revision is kept as it was submitted, with its decision; the second carries the approval.
    assert PlanRevision.objects.get(plan=plan, number=1).goals[0]["description"] == "独立谋划村集体增收项目"
    assert PlanRevision.objects.get(plan=plan, number=2).decision == Decision.APPROVED

    services.set_goal_met(actor=mentor, goal=PlanGoal.objects.get(pk=kept.pk), met=True, note="已连续两季度")
    plan = services.revise(
        actor=mentor,
        plan=fresh(plan),
        summary="一年内能独立主持村务",
        goals=[
            goal(ContentArea.PARTY_BUILDING, "规范组织生活", 60, "每季度两次主题党日", id=kept.pk),
            goal(),
        ],
        comment="增加富民目标",
    )
    assert (plan.status, plan.revision, plan.approved_revision) == (S.SUBMITTED, 3, 2)
    assert PlanGoal.objects.get(pk=kept.pk).achieved_on == TODAY  # a kept goal keeps its progress
    assert selectors.plan_progress(Pairing.objects.filter(pk=active.pairing.pk))[active.pairing.pk] == (
        selectors.PlanProgress(S.SUBMITTED, 1, 2)
    )
    plan = services.approve(actor=township, plan=fresh(plan))
    assert (plan.status, plan.approved_revision) == (S.APPROVED, 3)
    actions = list(PlanEvent.objects.filter(plan=plan).values_list("action", flat=True))
    assert actions == [
        PlanAction.CREATE,
        PlanAction.SUBMIT,
        PlanAction.RETURN,
        PlanAction.EDIT,
        PlanAction.SUBMIT,
        PlanAction.APPROVE,
        PlanAction.ACHIEVE,
        PlanAction.REVISE,
        PlanAction.APPROVE,
    ]
    assert PlanRevision.objects.filter(plan=plan).count() == 3


def test_goal_met_and_reopened(world, active):
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    the_goal = plan.goals.get()
    with pytest.raises(ValidationError, match="once the plan has been approved"):
        services.set_goal_met(actor=world.mentor, goal=the_goal, met=True)
    services.approve(actor=world.township_a, plan=fresh(plan))
    with pytest.raises(ValidationError, match="future"):
        services.set_goal_met(actor=world.mentor, goal=the_goal, met=True, on=TODAY + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        services.set_goal_met(actor=world.apprentice, goal=the_goal, met=True)
    services.set_goal_met(actor=world.mentor, goal=the_goal, met=True, on=TODAY, note="方案已通过")
    with pytest.raises(ValidationError, match="already marked"):
        services.set_goal_met(actor=world.mentor, goal=the_goal, met=True)
    assert selectors.plan_progress([active.pairing.pk])[active.pairing.pk].percent == 100
    services.set_goal_met(actor=world.mentor, goal=the_goal, met=False)
    with pytest.raises(ValidationError, match="not marked"):
        services.set_goal_met(actor=world.mentor, goal=the_goal, met=False)
    assert PlanGoal.objects.get(pk=the_goal.pk).achieved_on is None


# ---------------------------------------------------------------------------------------------- refusals


def _unchanged(plan):
    """A snapshot of everything a refused call must leave as it was."""
    return (
        list(MentoringPlan.objects.filter(pk=plan.pk).values()),
        list(PlanGoal.objects.filter(plan=plan).values()),
        PlanRevision.objects.filter(plan=plan).count(),
        PlanEvent.objects.filter(plan=plan).count(),
    )


def test_only_the_mentor_drafts(world, active):
    for actor in (world.apprentice, world.township_a, world.county_admin_a, world.auditor):
        with pytest.raises(PermissionDenied):
            services.create(actor=actor, pairing=active.pairing, goals=[goal()])
    other = user_with_role("other-mentor", Role.MENTOR, "330523205202", person=PersonFactory())
    with pytest.raises(PermissionDenied):
        services.create(actor=other, pairing=active.pairing, goals=[goal()])
    assert not MentoringPlan.objects.exists()
    draft(world, active)
    with pytest.raises(ValidationError, match="already has a plan"):
        draft(world, active)
    assert MentoringPlan.objects.count() == 1


def test_a_new_plan_names_no_goals_to_keep(world, active):
    with pytest.raises(ValidationError, match="no goals to keep"):
        services.create(actor=world.mentor, pairing=active.pairing, goals=[goal(id=1)])
    assert not MentoringPlan.objects.exists() and not PlanGoal.objects.exists()


def test_only_running_pairings_have_plans(world):
    admin = world.county_admin_a
    prog = pool.programme(admin)
    mentor = pool.appointed_mentor(admin, prog, person=world.mentor_person)
    apprentice = pool.apprentice(admin, prog, person=world.apprentice_person, three_gates=True)
    proposed = pairing_services.propose(actor=admin, apprentice=apprentice, mentors=[mentor])
    with pytest.raises(ValidationError, match="not running"):
        services.create(actor=world.mentor, pairing=proposed, goals=[goal()])
    assert not MentoringPlan.objects.exists()


def test_plan_of_an_ended_pairing_is_read_only(world, active):
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    pairing_services.terminate(actor=world.county_admin_a, pairing=active.pairing, reason="调离")
    before = _unchanged(plan)
    with pytest.raises(ValidationError, match="not running"):
        services.approve(actor=world.township_a, plan=fresh(plan))
    assert _unchanged(plan) == before
    assert selectors.available_steps(world.township_a, fresh(plan)) == set()


def test_goals_are_checked_all_at_once(world, active):
    start = active.pairing.start_date
    bad = [
        GoalData("nonsense", "x", "y", TODAY),
        GoalData(ContentArea.GOVERNANCE_HARMONY, " ", "", None),
        GoalData(ContentArea.GOVERNANCE_HARMONY, "调解纠纷", "独立调解3起", start - dt.timedelta(days=1)),
        GoalData(
            ContentArea.GOVERNANCE_HARMONY,
            "调解纠纷",
            "独立调解3起",
            active.pairing.planned_end_date + dt.timedelta(days=1),
        ),
    ]
    with pytest.raises(ValidationError) as refused:
        services.create(actor=world.mentor, pairing=active.pairing, goals=bad)
    messages = refused.value.message_dict["goals"]
    assert "Goal 1: choose one of the five content areas." in messages
    assert "Goal 2: describe the goal." in messages
    assert "Goal 2: give a measurable target (how you will know it is met)." in messages
    assert "Goal 2: give a due date." in messages
    assert any(m.startswith("Goal 3: the due date is before the pairing began") for m in messages)
    assert any(m.startswith("Goal 4: the due date is after the pairing's planned end") for m in messages)
    assert not MentoringPlan.objects.exists() and not PlanGoal.objects.exists()


def test_wrong_steps_are_refused_and_change_nothing(world, active):
    mentor, township = world.mentor, world.township_a
    plan = services.create(actor=mentor, pairing=active.pairing)
    before = _unchanged(plan)
    with pytest.raises(ValidationError, match="at least one goal"):
        services.submit(actor=mentor, plan=fresh(plan))
    with pytest.raises(ValidationError, match="not been submitted"):
        services.approve(actor=township, plan=fresh(plan))
    with pytest.raises(ValidationError, match="not been submitted"):
        services.return_plan(actor=township, plan=fresh(plan), comment="x")
    with pytest.raises(ValidationError, match="not been submitted"):
        services.revise(actor=mentor, plan=fresh(plan), summary="", goals=[goal()], comment="x")
    assert _unchanged(plan) == before

    services.save_draft(actor=mentor, plan=fresh(plan), summary="", goals=[goal()])
    services.submit(actor=mentor, plan=fresh(plan))
    before = _unchanged(plan)
    with pytest.raises(ValidationError, match="waiting for a decision"):
        services.save_draft(actor=mentor, plan=fresh(plan), summary="", goals=[goal()])
    with pytest.raises(ValidationError, match="waiting for a decision"):
        services.submit(actor=mentor, plan=fresh(plan))
    with pytest.raises(ValidationError) as refused:
        services.return_plan(actor=township, plan=fresh(plan), comment="  ")
    assert refused.value.message_dict == {"comment": ["Say what the mentor should change."]}
    for actor in (mentor, world.apprentice, world.auditor, world.county_admin_b):
        with pytest.raises(PermissionDenied):
            services.approve(actor=actor, plan=fresh(plan))
    assert _unchanged(plan) == before

    services.approve(actor=township, plan=fresh(plan))
    before = _unchanged(plan)
    with pytest.raises(ValidationError, match="already approved"):
        services.approve(actor=world.county_admin_a, plan=fresh(plan))
    with pytest.raises(ValidationError, match="Say what changes"):
        services.revise(actor=mentor, plan=fresh(plan), summary="", goals=[goal()], comment="")
    with pytest.raises(ValidationError, match="at least one goal"):
        services.revise(actor=mentor, plan=fresh(plan), summary="", goals=[], comment="删光")
    foreign = PlanGoal.objects.create(
        plan=services.create(
            actor=world.mentor, pairing=running_pairing(world, apprentice_person=PersonFactory()).pairing
        ),
        content_area="party_building",
        description="x",
        measurable_target="y",
        due_on=TODAY,
    )
    with pytest.raises(ValidationError, match="not one of this plan's goals"):
        services.revise(actor=mentor, plan=fresh(plan), summary="", goals=[goal(id=foreign.pk)], comment="x")
    assert _unchanged(plan) == before


def test_a_mentor_on_the_committee_does_not_approve_their_own_plan(world, active):
    RoleAssignment.objects.create(user=world.mentor, role=Role.TOWNSHIP, region=region("330523205"))
    world.mentor.__dict__.pop("scope", None)
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    with pytest.raises(PermissionDenied, match="another member"):
        services.approve(actor=world.mentor, plan=fresh(plan))
    assert fresh(plan).status == S.SUBMITTED


def test_two_reviewers_deciding_at_once_make_one_decision(world, active):
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    stale = fresh(plan)  # the second reviewer opened the page before the first decided
    services.approve(actor=world.township_a, plan=fresh(plan))
    with pytest.raises(ValidationError, match="just been changed by someone else"):
        services._decide(world.county_admin_a, stale, Decision.RETURNED, "x")
    assert fresh(plan).status == S.APPROVED
    assert PlanEvent.objects.filter(plan=plan, action__in=["approve", "return"]).count() == 1


# ---------------------------------------------------------------------------------------------- selectors


def test_plans_overdue_follows_each_pairings_rules_version(world):
    admin = world.county_admin_a
    # Started 40 days ago under the default 30-day deadline: overdue without a handed-in plan.
    late = running_pairing(world, started_days_ago=40)
    # Started 20 days ago: not yet due.
    early = running_pairing(
        world, started_days_ago=20, mentor_person=PersonFactory(), apprentice_person=PersonFactory()
    )
    # Started 40 days ago but made under rules with a 60-day deadline.
    slow = running_pairing(
        world, started_days_ago=40, mentor_person=PersonFactory(), apprentice_person=PersonFactory()
    )
    # The slow pairing was made under version 2 (a 60-day deadline); version 3 goes back to 30 days and must not
    # touch it.
    programme_services.change_rules(
        actor=admin, programme=slow.programme, data={"plan_due_days": 60}, note="放宽"
    )
    Pairing.objects.filter(pk=slow.pairing.pk).update(rules_version=2)
    programme_services.change_rules(
        actor=admin, programme=slow.programme, data={"plan_due_days": 30}, note="收紧"
    )
    pairings = Pairing.objects.all()

    def overdue():
        return set(selectors.plans_overdue(pairings, TODAY).values_list("pk", flat=True))

    assert overdue() == {late.pairing.pk}
    assert selectors.plan_due_on(Pairing.objects.get(pk=slow.pairing.pk)) == TODAY + dt.timedelta(days=20)
    # On a later day the others fall due too.
    assert set(
        selectors.plans_overdue(pairings, TODAY + dt.timedelta(days=21)).values_list("pk", flat=True)
    ) == {
        late.pairing.pk,
        early.pairing.pk,
        slow.pairing.pk,
    }
    plan = services.create(actor=world.mentor, pairing=late.pairing, goals=[goal()])
    assert overdue() == {late.pairing.pk}  # a draft is not handed in
    services.submit(actor=world.mentor, plan=fresh(plan))
    assert overdue() == set()
    services.return_plan(actor=world.township_a, plan=fresh(plan), comment="重写")
    assert overdue() == {late.pairing.pk}  # returned and not yet submitted again
    services.submit(actor=world.mentor, plan=fresh(plan))
    services.approve(actor=world.township_a, plan=fresh(plan))
    assert overdue() == set()
    pairing_services.terminate(actor=admin, pairing=Pairing.objects.get(pk=early.pairing.pk), reason="调离")
    assert early.pairing.pk not in set(
        selectors.plans_overdue(pairings, TODAY + dt.timedelta(days=21)).values_list("pk", flat=True)
    )


def test_plan_progress_counts_goals_per_pairing_in_one_query(world, active, django_assert_num_queries):
    plan = draft(world, active, [goal(), goal(ContentArea.IDEALS_ROOTING, "扎根", 30, "驻村满200天")])
    services.submit(actor=world.mentor, plan=fresh(plan))
    services.approve(actor=world.township_a, plan=fresh(plan))
    services.set_goal_met(actor=world.mentor, goal=plan.goals.first(), met=True)
    with django_assert_num_queries(1):
        progress = selectors.plan_progress(Pairing.objects.all())
    assert progress == {active.pairing.pk: selectors.PlanProgress(S.APPROVED, 1, 2)}
    assert progress[active.pairing.pk].percent == 50


# ---------------------------------------------------------------------------------------------- pages


def goal_rows(*rows, start=0) -> dict:
    """The goals editor's POST data: a management form and one row per (area, description, target, due, id)."""
    data = {"goals-TOTAL_FORMS": str(len(rows) + start), "goals-INITIAL_FORMS": "0"}
    for i, (area, description, target, due, goal_id) in enumerate(rows, start=start):
        data.update(
            {
                f"goals-{i}-id": goal_id or "",
                f"goals-{i}-content_area": area,
                f"goals-{i}-description": description,
                f"goals-{i}-measurable_target": target,
                f"goals-{i}-due_on": due,
            }
        )
    return data


def test_the_mentor_drafts_and_submits_on_the_pairing_page(client, world, active):
    url = f"/plans/pairing/{active.pairing.pk}/"
    client.force_login(world.mentor)
    page = client.get(url)
    assert page.status_code == 200 and page.context["formset"].total_form_count() == 3
    assert "goals-2-description" in page.content.decode()
    due = (TODAY + dt.timedelta(days=60)).isoformat()
    rows = goal_rows(("party_building", "规范三会一课", "全年记录完整", due, ""))
    # A blank extra row is skipped; "add a goal" only adds a row and writes nothing.
    more = client.post(url, {**rows, "goals-TOTAL_FORMS": "2", "more": "1", "summary": "", "comment": ""})
    assert more.status_code == 200 and more.context["formset"].total_form_count() == 3
    assert not MentoringPlan.objects.exists()
    blank = client.post(url, {**goal_rows(("party_building", "规范三会一课", "", due, "")), "submit": "1"})
    assert blank.status_code == 200 and "measurable_target" in blank.context["formset"].forms[0].errors
    early = client.post(
        url,
        {**goal_rows(("party_building", "规范三会一课", "全年记录完整", "2000-01-01", "")), "submit": "1"},
    )
    assert early.status_code == 200 and "目标 1：完成期限早于结对开始日期" in early.content.decode()
    assert not MentoringPlan.objects.exists()
    response = client.post(url, {**rows, "summary": "扎根", "comment": "请审定", "submit": "1"})
    plan = MentoringPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert (plan.status, plan.revision, plan.goals.get().description) == (S.SUBMITTED, 1, "规范三会一课")
    assert client.get(url)["Location"] == f"/plans/{plan.pk}/"  # the pairing's link opens the plan
    detail = client.get(f"/plans/{plan.pk}/")
    assert detail.status_code == 200 and "规范三会一课" in detail.content.decode()
    assert detail.context["steps"] == set()  # waiting for a decision: nothing for the mentor to do


def test_the_township_returns_and_approves_on_the_plan_page(client, world, active):
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    client.force_login(world.township_a)
    page = client.get(f"/plans/{plan.pk}/")
    assert page.context["steps"] == {"approve", "return"}
    refused = client.post(f"/plans/{plan.pk}/return/", {"return-comment": ""})
    assert refused.status_code == 200 and fresh(plan).status == S.SUBMITTED
    assert client.post(f"/plans/{plan.pk}/return/", {"return-comment": "再具体些"}).status_code == 302
    assert fresh(plan).status == S.RETURNED
    assert client.post(f"/plans/{plan.pk}/approve/", {}).status_code == 200  # refused: not submitted
    assert fresh(plan).status == S.RETURNED

    client.force_login(world.mentor)
    page = client.get(f"/plans/{plan.pk}/")
    assert "再具体些" in page.content.decode() and page.context["steps"] == {"edit", "submit"}
    the_goal = plan.goals.get()
    edit = client.get(f"/plans/{plan.pk}/edit/")
    assert edit.status_code == 200 and edit.context["formset"].total_form_count() == 2
    data = goal_rows(
        (
            "common_prosperity",
            "谋划增收项目",
            "集体经济增收10万元",
            (TODAY + dt.timedelta(days=100)).isoformat(),
            the_goal.pk,
        )
    )
    response = client.post(
        f"/plans/{plan.pk}/edit/", {**data, "summary": "扎根", "comment": "已细化", "submit": "1"}
    )
    assert response.status_code == 302
    plan = fresh(plan)
    assert (plan.status, plan.revision) == (S.SUBMITTED, 2)
    assert PlanGoal.objects.get(pk=the_goal.pk).measurable_target == "集体经济增收10万元"
    assert client.get(f"/plans/{plan.pk}/edit/").status_code == 302  # nothing to edit while it waits

    client.force_login(world.county_admin_a)
    assert client.post(f"/plans/{plan.pk}/approve/", {"approve-comment": "同意"}).status_code == 302
    assert fresh(plan).status == S.APPROVED
    revision = client.get(f"/plans/{plan.pk}/revisions/1/")
    assert revision.status_code == 200 and "再具体些" in revision.content.decode()


def test_the_mentor_marks_a_goal_met_on_the_page(client, world, active):
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    services.approve(actor=world.township_a, plan=fresh(plan))
    the_goal = plan.goals.get()
    client.force_login(world.mentor)
    response = client.post(
        f"/plans/{plan.pk}/goals/{the_goal.pk}/met/", {"goal-on": TODAY.isoformat(), "goal-note": "通过"}
    )
    assert response.status_code == 302 and PlanGoal.objects.get(pk=the_goal.pk).achieved_on == TODAY
    client.force_login(world.apprentice)
    assert client.post(f"/plans/{plan.pk}/goals/{the_goal.pk}/reopen/").status_code == 403
    assert PlanGoal.objects.get(pk=the_goal.pk).achieved_on == TODAY


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("county_admin_b", 404),
        ("auditor", 200),
        ("apprentice", 200),
        ("province_admin", 200),
    ],
)
def test_who_sees_the_plan(client, world, active, persona, status):
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    client.force_login(getattr(world, persona))
    assert client.get(f"/plans/{plan.pk}/").status_code == status
    assert client.get(f"/plans/{plan.pk}/revisions/1/").status_code == status
    assert client.get(f"/plans/pairing/{active.pairing.pk}/").status_code == (302 if status == 200 else 404)
    if status == 200:
        assert client.get(f"/plans/{plan.pk}/").context["steps"] <= {"approve", "return"}
        expected = 302 if persona == "province_admin" else 403  # auditors and apprentices read only
        assert client.post(f"/plans/{plan.pk}/approve/", {}).status_code == expected
    else:
        assert client.post(f"/plans/{plan.pk}/approve/", {}).status_code == 404


def test_a_mentor_cannot_act_on_another_mentors_pairing(client, world, active):
    other_person = PersonFactory(region=region("330523205202"))
    other = user_with_role("other-mentor", Role.MENTOR, "330523205202", person=other_person)
    client.force_login(other)
    assert client.get(f"/plans/pairing/{active.pairing.pk}/").status_code == 404
    assert client.post(f"/plans/pairing/{active.pairing.pk}/", goal_rows()).status_code == 404
    plan = draft(world, active)
    assert client.post(f"/plans/{plan.pk}/submit/", {}).status_code == 404
    assert fresh(plan).status == S.DRAFT


def test_the_list_shows_running_pairings_and_overdue_plans(client, world):
    late = running_pairing(world, started_days_ago=45)
    client.force_login(world.township_a)
    page = client.get("/plans/")
    assert page.status_code == 200
    assert [p.pk for p in page.context["table"].data.data] == [late.pairing.pk]
    body = page.content.decode()
    assert "逾期" in body and "尚无计划" in body
    assert [p.pk for p in client.get("/plans/", {"overdue": "1"}).context["table"].data.data] == [
        late.pairing.pk
    ]
    assert list(client.get("/plans/", {"plan": "approved"}).context["table"].data.data) == []
    export = client.get("/plans/", {"export": "csv"})
    assert world.apprentice_person.name in b"".join(export.streaming_content).decode("utf-8-sig")
    client.force_login(world.county_admin_b)
    assert list(client.get("/plans/").context["table"].data.data) == []
    assert client.get("/plans/", {"region": "330523"}).status_code == 404
    client.force_login(world.mentor)  # the mentor's own pairings, wherever the apprentice works
    assert [p.pk for p in client.get("/plans/").context["table"].data.data] == [late.pairing.pk]


def test_pages_read_in_english_too(client, world, active):
    plan = draft(world, active)
    client.force_login(world.mentor)
    client.cookies["django_language"] = "en"
    body = client.get(f"/plans/{plan.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Edit the goals" in body and "Submit for approval" in body


# ---------------------------------------------------------------------------------------------- API


def api_as(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_plan_workflow_over_the_api(world, active):
    due = (TODAY + dt.timedelta(days=60)).isoformat()
    body = {
        "pairing": active.pairing.pk,
        "summary": "扎根",
        "goals": [
            {
                "content_area": "party_building",
                "description": "规范组织生活",
                "measurable_target": "记录完整",
                "due_on": due,
            }
        ],
    }
    assert api_as(world.township_a).post("/api/plans/", body, format="json").status_code == 403
    created = api_as(world.mentor).post("/api/plans/", body, format="json")
    assert created.status_code == 201, created.json()
    plan_id = created.json()["id"]
    goal_id = created.json()["goals"][0]["id"]
    assert created.json()["due_on"] == (active.pairing.start_date + dt.timedelta(days=30)).isoformat()
    patched = api_as(world.mentor).patch(f"/api/plans/{plan_id}/", {"summary": "扎根基层"}, format="json")
    assert patched.status_code == 200 and patched.json()["goals"][0]["id"] == goal_id
    assert (
        api_as(world.mentor)
        .post(f"/api/plans/{plan_id}/submit/", {"comment": "请审定"}, format="json")
        .status_code
        == 200
    )
    assert api_as(world.mentor).post(f"/api/plans/{plan_id}/approve/", {}, format="json").status_code == 403
    assert api_as(world.auditor).post(f"/api/plans/{plan_id}/approve/", {}, format="json").status_code == 403
    assert (
        api_as(world.county_admin_b).post(f"/api/plans/{plan_id}/approve/", {}, format="json").status_code
        == 404
    )
    refused = api_as(world.township_a).post(f"/api/plans/{plan_id}/return/", {"comment": ""}, format="json")
    assert refused.status_code == 400
    returned = api_as(world.township_a).post(
        f"/api/plans/{plan_id}/return/", {"comment": "细化"}, format="json"
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    api_as(world.mentor).post(f"/api/plans/{plan_id}/submit/", {}, format="json")
    approved = api_as(world.township_a).post(f"/api/plans/{plan_id}/approve/", {}, format="json")
    assert approved.json()["status"] == "approved"
    assert [r["decision"] for r in approved.json()["revisions"]] == ["returned", "approved"]
    met = api_as(world.mentor).post(
        f"/api/plans/{plan_id}/goal/", {"goal": goal_id, "met": True}, format="json"
    )
    assert met.status_code == 200 and met.json()["goals_met"] == 1
    assert (
        api_as(world.mentor)
        .post(f"/api/plans/{plan_id}/goal/", {"goal": 999999, "met": True}, format="json")
        .status_code
        == 400
    )
    listed = api_as(world.apprentice).get("/api/plans/").json()
    assert [row["id"] for row in listed["results"]] == [plan_id]
    assert api_as(world.county_admin_b).get("/api/plans/").json()["results"] == []
    revised = api_as(world.mentor).post(
        f"/api/plans/{plan_id}/revise/",
        {"comment": "加一条", "goals": [*body["goals"], body["goals"][0]]},
        format="json",
    )
    assert revised.status_code == 200 and revised.json()["revision"] == 3


def test_overdue_over_the_api(world):
    late = running_pairing(world, started_days_ago=45)
    rows = api_as(world.township_a).get("/api/plans/overdue/").json()["results"]
    assert [r["id"] for r in rows] == [late.pairing.pk] and rows[0]["plan"] is None
    assert api_as(world.county_admin_b).get("/api/plans/overdue/").json()["results"] == []
    earlier = (TODAY - dt.timedelta(days=20)).isoformat()
    assert api_as(world.township_a).get("/api/plans/overdue/", {"date": earlier}).json()["results"] == []
    assert api_as(world.township_a).get("/api/plans/overdue/", {"date": "soon"}).status_code == 400


# ---------------------------------------------------------------------------------------------- CLI


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_plan_workflow_through_the_cli(world, active, monkeypatch):
    monkeypatch.setenv("BANGDAI_LANGUAGE", "en")
    due = (TODAY + dt.timedelta(days=60)).isoformat()
    pk = str(active.pairing.pk)
    with pytest.raises(CommandError, match="Permission denied"):
        run(
            "plans",
            "create",
            "--pairing",
            pk,
            "--goal",
            f"party_building|规范|记录完整|{due}",
            "--as",
            "shangshu",
        )
    with pytest.raises(CommandError, match="Goal 1: the due date is before"):
        run(
            "plans",
            "create",
            "--pairing",
            pk,
            "--goal",
            "party_building|规范|记录完整|2000-01-01",
            "--as",
            "mentor",
        )
    out = run(
        "plans",
        "create",
        "--pairing",
        pk,
        "--goal",
        f"party_building|规范|记录完整|{due}",
        "--submit",
        "--as",
        "mentor",
    )
    plan = MentoringPlan.objects.get()
    assert out.strip() == f"plan {plan.pk} submitted: submitted (revision 1)"
    with pytest.raises(CommandError, match="Say what the mentor should change"):
        run("plans", "return", str(plan.pk), "--as", "shangshu")
    assert "approved" in run("plans", "approve", str(plan.pk), "--as", "shangshu")
    shown = json.loads(run("plans", "show", str(plan.pk), "--json", "--as", "apprentice"))[0]
    assert shown["status"] == "approved" and shown["goals"][0]["description"] == "规范"
    goal_id = str(shown["goals"][0]["id"])
    assert "met on" in run("plans", "goal", str(plan.pk), "--goal", goal_id, "--as", "mentor")
    out = run("plans", "revise", str(plan.pk), "--goal", f"{goal_id}|party_building|规范|记录完整|{due}",
              "--goal", f"ideals_rooting|扎根|驻村200天|{due}", "--comment", "加目标", "--as", "mentor")  # fmt: skip
    assert "revised: submitted (revision 2)" in out
    assert PlanGoal.objects.get(pk=goal_id).achieved_on == TODAY
    listed = json.loads(run("plans", "list", "--json", "--as", "auditor"))
    assert [r["id"] for r in listed] == [plan.pk]
    assert json.loads(run("plans", "list", "--json", "--as", "deqing")) == []
    with pytest.raises(CommandError, match="not found"):
        run("plans", "show", str(plan.pk), "--as", "deqing")
    assert json.loads(run("plans", "overdue", "--json", "--as", "anji")) == []


# ---------------------------------------------------------------------------------------------- query counts


def count_queries(client, url, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_lists_take_the_same_queries_for_one_plan_or_many(client, world):
    """No query per row: the list page, its export and the API list read a page of plans in a fixed number."""
    first = running_pairing(world, started_days_ago=40)
    draft(world, first)
    client.force_login(world.county_admin_a)
    api = api_as(world.county_admin_a)
    urls = [
        ("/plans/", None),
        ("/plans/", {"export": "csv"}),
        ("/api/plans/", None),
        ("/api/plans/overdue/", None),
    ]
    count_queries(client, "/plans/")  # warm up the session and the region switcher
    before = [count_queries(api if u.startswith("/api/") else client, u, p) for u, p in urls]
    for _ in range(2):  # each in a programme of its own, so each row has other rules
        more = running_pairing(
            world, started_days_ago=50, mentor_person=PersonFactory(), apprentice_person=PersonFactory()
        )
        services.create(
            actor=User.objects.get(person=more.mentor.person), pairing=more.pairing, goals=[goal(), goal()]
        )
    after = [count_queries(api if u.startswith("/api/") else client, u, p) for u, p in urls]
    assert Pairing.objects.count() == 3
    assert after == before


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_in_threads(threads_db):
    from .conftest import make_world
    from .test_concurrency import _race

    world = make_world()
    active = running_pairing(world)
    plan = draft(world, active)
    services.submit(actor=world.mentor, plan=fresh(plan))
    results = _race(
        [
            lambda: services.approve(actor=world.township_a, plan=fresh(plan)),
            lambda: services.return_plan(actor=world.county_admin_a, plan=fresh(plan), comment="再改"),
        ]
    )
    decided = [r for r in results if isinstance(r, MentoringPlan)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(decided) == 1 and len(refused) == 1, results
    assert fresh(plan).status == decided[0].status
    assert PlanEvent.objects.filter(plan=plan, action__in=["approve", "return"]).count() == 1
    assert PlanRevision.objects.get(plan=plan, number=1).decision == decided[0].status
