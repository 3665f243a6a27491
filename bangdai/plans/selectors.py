"""Reads about plans: deadlines, overdue plans, progress per pairing, and who may take which step."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from bangdai.core.choices import ContentArea
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.programmes.versions import days_after, older_than_rule, policy_of

from . import services
from .choices import EDITABLE_STATES, HANDED_IN_STATES, PlanStatus
from .models import MentoringPlan, PlanGoal

S = PlanStatus


def plan_due_on(pairing: Pairing) -> dt.date | None:
    """The day the pairing's plan is due: its start plus the ``plan_due_days`` of the rules it runs under."""
    return days_after(pairing.start_date, policy_of(pairing).plan_due_days)


def plans_overdue(pairings, today: dt.date):
    """The pairings of ``pairings`` whose plan is overdue on ``today``.

    A plan is overdue when the pairing is running (active or extended), its deadline (``start_date`` plus the
    ``plan_due_days`` of the programme rules version the pairing was made under) is before ``today``, and it
    has no plan that is submitted or approved now: no plan at all, a draft, or a plan returned to the mentor
    and not yet submitted again. ``pairings`` is any Pairing queryset (scope it with ``visible_to`` first);
    the result is a queryset of the same pairings, still filterable and countable in the database.
    """
    running = pairings.filter(status__in=RUNNING_STATES, start_date__isnull=False)
    late = older_than_rule(running, "plan_due_days", "start_date", today)
    return running.filter(late).exclude(plan__status__in=HANDED_IN_STATES)


@dataclass(frozen=True)
class PlanProgress:
    """A pairing's plan: its state and how many of its goals are met."""

    status: str
    met: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.met / self.total) if self.total else 0


def plan_progress(pairings) -> dict[int, PlanProgress]:
    """Goals met and in all of each pairing's plan, by pairing id, in one query (pairings without a plan are absent).

    ``pairings`` is a Pairing queryset or a list of pairing ids. The goals counted are the plan's current ones
    (while a revision awaits a decision, the revised goals).
    """
    rows = (
        MentoringPlan.objects.filter(pairing__in=pairings)
        .values("pairing_id", "status")
        .annotate(total=Count("goals"), met=Count("goals", filter=Q(goals__achieved_on__isnull=False)))
        .order_by()
    )
    return {r["pairing_id"]: PlanProgress(r["status"], r["met"], r["total"]) for r in rows}


def _goal_count(met: bool):
    goals = PlanGoal.objects.filter(plan__pairing=OuterRef("pk"))
    if met:
        goals = goals.filter(achieved_on__isnull=False)
    counted = goals.order_by().values("plan__pairing").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_goal_counts(pairings):
    """Pairings annotated with ``goals_total`` and ``goals_met`` of their plan (0 without one), for lists."""
    return pairings.annotate(goals_total=_goal_count(False), goals_met=_goal_count(True))


def goals_of(plan: MentoringPlan):
    return PlanGoal.objects.filter(plan=plan).select_related("achieved_by").order_by("position", "pk")


def revision_goals(revision) -> list[dict]:
    """A kept revision's goals for display: the content area's label and the due date as a date."""
    names = dict(ContentArea.choices)
    return [
        {
            **goal,
            "content_area_label": names.get(goal.get("content_area"), goal.get("content_area")),
            "due_on": dt.date.fromisoformat(goal["due_on"]) if goal.get("due_on") else None,
        }
        for goal in revision.goals
    ]


# Steps of the plan page and who may take them (the service checks the state again).
MENTOR_STEPS = {"edit", "submit", "revise", "goal"}
REVIEWER_STEPS = {"approve", "return"}
STEP_STATES = {
    "edit": EDITABLE_STATES,
    "submit": EDITABLE_STATES,
    "revise": (S.APPROVED,),
    "approve": (S.SUBMITTED,),
    "return": (S.SUBMITTED,),
}


def may(user, plan: MentoringPlan, step: str) -> bool:
    """Whether the user's part in the pairing allows the step at all (403 otherwise)."""
    if step in MENTOR_STEPS:
        return services.is_mentor(user, plan.pairing)
    if step in REVIEWER_STEPS:
        return services.is_reviewer(user, plan.pairing)
    return False


def available_steps(user, plan: MentoringPlan) -> set[str]:
    """The steps to offer the user now."""
    if plan.pairing.status not in RUNNING_STATES:
        return set()
    steps = {s for s, states in STEP_STATES.items() if plan.status in states and may(user, plan, s)}
    if plan.approved_revision is not None and may(user, plan, "goal"):
        steps.add("goal")
    return steps
