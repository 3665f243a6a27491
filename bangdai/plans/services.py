"""The plan workflow: draft, submit, approve or return, revise; goals marked as met.

DRAFT → SUBMITTED → APPROVED; SUBMITTED → RETURNED → (edit) → SUBMITTED; APPROVED → (revise) → SUBMITTED.
Only the pairing's mentors draft, edit, submit, revise and mark goals; only the editors of the pairing's region
(the township committee, the organisation department) approve or return; everyone else who sees the pairing
reads. Every submission keeps a revision as it was. Every state change is a compare-and-set on the plan's status
and writes one event, so two reviewers deciding at once make one decision.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangdai.core.choices import ContentArea
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.pairings.services import party_of
from bangdai.programmes.versions import policy_of

from .choices import EDITABLE_STATES, Decision, PlanAction, PlanStatus
from .models import MentoringPlan, PlanEvent, PlanGoal, PlanRevision

S = PlanStatus
MAX_GOALS = 30
# The activity rules copied into the plan when it is submitted (the domain's required_frequencies).
FREQUENCY_RULES = ("activities_per_month", "onsite_per_month", "talks_per_quarter", "assignments_per_quarter")


@dataclass(frozen=True)
class GoalData:
    """One goal as the mentor wrote it; ``id`` names an existing goal of the plan to keep (with its progress)."""

    content_area: str
    description: str
    measurable_target: str
    due_on: dt.date | None
    id: int | None = None


# ---------------------------------------------------------------------------------------------- guards


def is_mentor(user, pairing: Pairing) -> bool:
    return party_of(user, pairing) == "mentor"


def is_reviewer(user, pairing: Pairing) -> bool:
    """The township committee or the organisation department of the pairing's region (not its own mentor)."""
    return user.scope.edits(pairing.region.path) and not is_mentor(user, pairing)


def _check_mentor(actor, pairing: Pairing) -> None:
    if not is_mentor(actor, pairing):
        raise PermissionDenied(_("Only the pairing's mentor drafts and changes its plan."))


def _check_reviewer(actor, pairing: Pairing) -> None:
    if is_mentor(actor, pairing):
        raise PermissionDenied(
            _("You drafted this plan as its mentor; another member of the committee decides on it.")
        )
    if not actor.scope.edits(pairing.region.path):
        raise PermissionDenied(
            _(
                "Only the township committee or the organisation department of the pairing's region decides on plans."
            )
        )


def check_running(pairing: Pairing) -> None:
    if pairing.status not in RUNNING_STATES:
        raise ValidationError(
            _("This pairing is not running (now “%(status)s”); its plan cannot be changed.")
            % {"status": pairing.get_status_display()}
        )


def state_refusal(status: str) -> str:
    return {
        S.DRAFT: _("This plan has not been submitted yet."),
        S.SUBMITTED: _("This plan is waiting for a decision; it cannot be changed until then."),
        S.APPROVED: _("This plan is already approved."),
        S.RETURNED: _("This plan was returned to the mentor; it is decided on once it is submitted again."),
    }[status]


def why_not_editable(plan: MentoringPlan) -> str:
    """Why the mentor cannot open the goals editor now (the pairing has ended, or the plan awaits a decision)."""
    try:
        check_running(plan.pairing)
    except ValidationError as error:
        return error.messages[0]
    return state_refusal(plan.status)


def _require(plan: MentoringPlan, states: Sequence[str]) -> None:
    if plan.status not in states:
        raise ValidationError(state_refusal(plan.status))


def _cas(plan: MentoringPlan, source: str, **changes) -> None:
    """Change the plan only if it is still in ``source``; otherwise someone else got there first."""
    changes["updated_at"] = timezone.now()
    if MentoringPlan.objects.filter(pk=plan.pk, status=source).update(**changes) != 1:
        plan.refresh_from_db()
        raise ValidationError(
            _("This plan has just been changed by someone else (now “%(status)s”); nothing was changed.")
            % {"status": plan.get_status_display()}
        )
    for key, value in changes.items():
        setattr(plan, key, value)


def _event(plan, actor, action, before="", after="", comment="", revision=None) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan,
        actor=actor,
        action=action,
        from_status=before,
        to_status=after,
        comment=comment,
        revision=revision,
    )


# ---------------------------------------------------------------------------------------------- goals


def clean_goals(pairing: Pairing, goals: Sequence[GoalData]) -> list[GoalData]:
    """Check every goal at once; all the problems are reported together, numbered as the mentor sees them."""
    errors = []
    if len(goals) > MAX_GOALS:
        errors.append(_("A plan has at most %(n)d goals.") % {"n": MAX_GOALS})
    cleaned = []
    for n, goal in enumerate(goals, start=1):
        description, target = (goal.description or "").strip(), (goal.measurable_target or "").strip()
        if goal.content_area not in ContentArea.values:
            errors.append(_("Goal %(n)d: choose one of the five content areas.") % {"n": n})
        if not description:
            errors.append(_("Goal %(n)d: describe the goal.") % {"n": n})
        elif len(description) > 1000:
            errors.append(_("Goal %(n)d: the description is longer than 1000 characters.") % {"n": n})
        if not target:
            errors.append(_("Goal %(n)d: give a measurable target (how you will know it is met).") % {"n": n})
        elif len(target) > 200:
            errors.append(_("Goal %(n)d: the target is longer than 200 characters.") % {"n": n})
        if goal.due_on is None:
            errors.append(_("Goal %(n)d: give a due date.") % {"n": n})
        elif pairing.start_date and goal.due_on < pairing.start_date:
            errors.append(
                _("Goal %(n)d: the due date is before the pairing began (%(start)s).")
                % {"n": n, "start": pairing.start_date.isoformat()}
            )
        elif pairing.planned_end_date and goal.due_on > pairing.planned_end_date:
            errors.append(
                _("Goal %(n)d: the due date is after the pairing's planned end (%(end)s).")
                % {"n": n, "end": pairing.planned_end_date.isoformat()}
            )
        cleaned.append(
            GoalData(goal.content_area, description, target, goal.due_on, int(goal.id) if goal.id else None)
        )
    if errors:
        raise ValidationError({"goals": errors})
    return cleaned


def _write_goals(plan: MentoringPlan, goals: Sequence[GoalData]) -> None:
    """Make the plan's goals these: named ones are updated (keeping whether they are met), others added, the rest removed."""
    existing = {g.pk: g for g in plan.goals.all()}
    unknown = [g.id for g in goals if g.id is not None and g.id not in existing]
    if unknown:
        raise ValidationError({"goals": _("A goal named in the request is not one of this plan's goals.")})
    kept, added = [], []
    for position, goal in enumerate(goals):
        values = {
            "position": position,
            "content_area": goal.content_area,
            "description": goal.description,
            "measurable_target": goal.measurable_target,
            "due_on": goal.due_on,
        }
        if goal.id is not None:
            row = existing[goal.id]
            for name, value in values.items():
                setattr(row, name, value)
            kept.append(row)
        else:
            added.append(PlanGoal(plan=plan, **values))
    PlanGoal.objects.filter(plan=plan).exclude(pk__in=[g.pk for g in kept]).delete()
    PlanGoal.objects.bulk_update(
        kept, ["position", "content_area", "description", "measurable_target", "due_on"]
    )
    PlanGoal.objects.bulk_create(added)


def snapshot(plan: MentoringPlan) -> list[dict]:
    return [
        {
            "content_area": g.content_area,
            "description": g.description,
            "measurable_target": g.measurable_target,
            "due_on": g.due_on.isoformat(),
        }
        for g in plan.goals.order_by("position", "pk")
    ]


def _keep_revision(plan: MentoringPlan, actor, comment: str, at) -> PlanRevision:
    return PlanRevision.objects.create(
        plan=plan,
        number=plan.revision,
        summary=plan.summary,
        goals=snapshot(plan),
        submitted_by=actor,
        submitted_at=at,
        comment=comment,
    )


def _frequencies(pairing: Pairing) -> dict:
    policy = policy_of(pairing)
    return {name: getattr(policy, name) for name in FREQUENCY_RULES}


# ---------------------------------------------------------------------------------------------- steps


@transaction.atomic
def create(*, actor, pairing: Pairing, summary: str = "", goals: Sequence[GoalData] = ()) -> MentoringPlan:
    """The mentor starts the pairing's plan as a draft (one plan per pairing)."""
    _check_mentor(actor, pairing)
    check_running(pairing)
    goals = clean_goals(pairing, goals)
    if any(g.id for g in goals):
        raise ValidationError({"goals": _("A new plan has no goals to keep yet.")})
    try:
        with transaction.atomic():
            plan = MentoringPlan.objects.create(pairing=pairing, summary=summary.strip(), drafted_by=actor)
    except IntegrityError:
        raise ValidationError(_("This pairing already has a plan; open it to change it.")) from None
    _write_goals(plan, goals)
    _event(plan, actor, PlanAction.CREATE, "", S.DRAFT)
    return plan


@transaction.atomic
def save_draft(*, actor, plan: MentoringPlan, summary: str, goals: Sequence[GoalData]) -> MentoringPlan:
    """The mentor changes a draft or a returned plan; it stays as it is until submitted."""
    pairing = plan.pairing
    _check_mentor(actor, pairing)
    check_running(pairing)
    _require(plan, EDITABLE_STATES)
    goals = clean_goals(pairing, goals)
    _cas(plan, plan.status, summary=summary.strip())
    _write_goals(plan, goals)
    _event(plan, actor, PlanAction.EDIT, plan.status, plan.status)
    return plan


@transaction.atomic
def submit(*, actor, plan: MentoringPlan, comment: str = "") -> MentoringPlan:
    """The mentor hands the plan in for a decision; the revision is kept as submitted."""
    pairing = plan.pairing
    _check_mentor(actor, pairing)
    check_running(pairing)
    _require(plan, EDITABLE_STATES)
    if not plan.goals.exists():
        raise ValidationError({"goals": _("Add at least one goal before submitting the plan.")})
    before, now = plan.status, timezone.now()
    _cas(
        plan,
        before,
        status=S.SUBMITTED,
        revision=plan.revision + 1,
        submitted_at=now,
        first_submitted_at=plan.first_submitted_at or now,
        required_frequencies=_frequencies(pairing),
    )
    _keep_revision(plan, actor, comment.strip(), now)
    _event(plan, actor, PlanAction.SUBMIT, before, S.SUBMITTED, comment.strip(), plan.revision)
    return plan


@transaction.atomic
def revise(
    *, actor, plan: MentoringPlan, summary: str, goals: Sequence[GoalData], comment: str
) -> MentoringPlan:
    """The mentor changes an approved plan: a new revision, submitted for a decision at once."""
    pairing = plan.pairing
    _check_mentor(actor, pairing)
    check_running(pairing)
    _require(plan, (S.APPROVED,))
    goals = clean_goals(pairing, goals)
    if not goals:
        raise ValidationError({"goals": _("Add at least one goal before submitting the plan.")})
    if not comment.strip():
        raise ValidationError({"comment": _("Say what changes in this revision and why.")})
    now = timezone.now()
    _cas(
        plan,
        S.APPROVED,
        status=S.SUBMITTED,
        summary=summary.strip(),
        revision=plan.revision + 1,
        submitted_at=now,
        required_frequencies=_frequencies(pairing),
    )
    _write_goals(plan, goals)
    _keep_revision(plan, actor, comment.strip(), now)
    _event(plan, actor, PlanAction.REVISE, S.APPROVED, S.SUBMITTED, comment.strip(), plan.revision)
    return plan


def _decide(actor, plan: MentoringPlan, decision: str, comment: str, **changes) -> MentoringPlan:
    pairing = plan.pairing
    _check_reviewer(actor, pairing)
    check_running(pairing)
    _require(plan, (S.SUBMITTED,))
    after = S.APPROVED if decision == Decision.APPROVED else S.RETURNED
    _cas(plan, S.SUBMITTED, status=after, **changes)
    PlanRevision.objects.filter(plan=plan, number=plan.revision).update(
        decision=decision, decided_by=actor, decided_at=timezone.now(), decision_comment=comment
    )
    action = PlanAction.APPROVE if decision == Decision.APPROVED else PlanAction.RETURN
    _event(plan, actor, action, S.SUBMITTED, after, comment, plan.revision)
    return plan


@transaction.atomic
def approve(*, actor, plan: MentoringPlan, comment: str = "") -> MentoringPlan:
    """The township committee or the department approves the submitted revision."""
    return _decide(
        actor,
        plan,
        Decision.APPROVED,
        comment.strip(),
        approved_at=timezone.now(),
        approved_by=actor,
        approved_revision=plan.revision,
    )


@transaction.atomic
def return_plan(*, actor, plan: MentoringPlan, comment: str) -> MentoringPlan:
    """The township committee or the department sends the submitted revision back with comments."""
    if not comment.strip():
        raise ValidationError({"comment": _("Say what the mentor should change.")})
    return _decide(actor, plan, Decision.RETURNED, comment.strip())


@transaction.atomic
def set_goal_met(*, actor, goal: PlanGoal, met: bool, on: dt.date | None = None, note: str = "") -> PlanGoal:
    """The mentor marks a goal of an approved plan as met (with when and how), or reopens it."""
    plan = MentoringPlan.objects.select_related("pairing__region").get(pk=goal.plan_id)
    pairing = plan.pairing
    _check_mentor(actor, pairing)
    check_running(pairing)
    if plan.approved_revision is None:
        raise ValidationError(_("Goals are marked as met once the plan has been approved."))
    today = timezone.localdate()
    if met:
        on = on or today
        if on > today:
            raise ValidationError({"on": _("The date a goal was met cannot be in the future.")})
        if pairing.start_date and on < pairing.start_date:
            raise ValidationError({"on": _("The date is before the pairing began.")})
        changed = PlanGoal.objects.filter(pk=goal.pk, achieved_on__isnull=True).update(
            achieved_on=on, achieved_note=note.strip()[:500], achieved_by=actor
        )
        if not changed:
            raise ValidationError(_("This goal is already marked as met."))
    else:
        changed = PlanGoal.objects.filter(pk=goal.pk, achieved_on__isnull=False).update(
            achieved_on=None, achieved_note="", achieved_by=None
        )
        if not changed:
            raise ValidationError(_("This goal is not marked as met."))
    goal.refresh_from_db()
    action = PlanAction.ACHIEVE if met else PlanAction.REOPEN
    comment = goal.description if not note.strip() else f"{goal.description}\n{note.strip()}"
    _event(plan, actor, action, plan.status, plan.status, comment, plan.revision or None)
    return goal
