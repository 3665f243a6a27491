"""Reads about assignments: overdue work and reviews, statistics per pairing and per apprentice, the page's steps."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.programmes.versions import PolicyBook, days_after, older_than_rule, policy_of

from . import services
from .choices import OPEN_STATES, AssignmentStatus, Flag
from .models import Assignment

S = AssignmentStatus


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of a local day, as an aware datetime (to compare with the DateTimeFields)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def assignments_overdue(assignments, today: dt.date):
    """Assignments past their due date (``due_on`` before ``today``) with nothing submitted yet."""
    return assignments.filter(status=S.ISSUED, due_on__lt=today)


def reviews_overdue(assignments, today: dt.date):
    """Submitted assignments the mentor has not reviewed within the pairing's ``review_within_days``.

    The clock runs from the latest submission (a resubmission restarts it); the rule is the one of the programme
    rules version the pairing was made under. ``assignments`` is any Assignment queryset (scope it first).
    """
    submitted = assignments.filter(status=S.SUBMITTED)
    late = older_than_rule(
        submitted, "review_within_days", "submitted_at", today, pairing="pairing__", bound=start_of
    )
    return submitted.filter(late)


def review_due_on(assignment: Assignment, book: PolicyBook | None = None) -> dt.date | None:
    """The day the latest submission should be reviewed by (``book`` shares the policies across many rows)."""
    if assignment.submitted_at is None:
        return None
    submitted_on = timezone.localtime(assignment.submitted_at).date()
    policy = book[assignment.pairing] if book is not None else policy_of(assignment.pairing)
    return days_after(submitted_on, policy.review_within_days)


def flags(assignment: Assignment, today: dt.date, book: PolicyBook | None = None) -> list[str]:
    """The computed conditions of one assignment on ``today`` (Flag values)."""
    if assignment.status == S.ISSUED and assignment.due_on < today:
        return [Flag.OVERDUE]
    if assignment.status == S.SUBMITTED:
        due = review_due_on(assignment, book)
        if due is not None and due < today:
            return [Flag.REVIEW_OVERDUE]
    return []


def is_late(assignment: Assignment) -> bool:
    """First submitted after the due date."""
    first = assignment.first_submitted_at
    return first is not None and timezone.localtime(first).date() > assignment.due_on


@dataclass(frozen=True)
class AssignmentStats:
    """Assignments issued in a period and what became of them by its end (withdrawn ones only in ``withdrawn``)."""

    issued: int = 0
    submitted: int = 0
    reviewed: int = 0
    overdue: int = 0  # past due by the period's end and still not submitted then
    late: int = 0  # first submitted after the due date
    withdrawn: int = 0
    mean_score: float | None = None


def _stats(assignments, group: str, start: dt.date, end: dt.date) -> dict[int, AssignmentStats]:
    """Assignments issued from ``start`` to ``end`` (both included, local dates), counted by ``group``."""
    after = start_of(end + dt.timedelta(days=1))
    live = ~Q(status=S.WITHDRAWN)
    submitted = live & Q(first_submitted_at__lt=after)
    reviewed = live & Q(status=S.REVIEWED, reviewed_at__lt=after)
    rows = (
        assignments.filter(issued_at__gte=start_of(start), issued_at__lt=after)
        .order_by()
        .values(group)
        .annotate(
            issued=Count("pk", filter=live),
            submitted=Count("pk", filter=submitted),
            reviewed=Count("pk", filter=reviewed),
            overdue=Count(
                "pk",
                filter=live
                & Q(due_on__lt=end)
                & (Q(first_submitted_at__isnull=True) | Q(first_submitted_at__gte=after)),
            ),
            late=Count("pk", filter=submitted & Q(first_submitted_at__date__gt=F("due_on"))),
            withdrawn=Count("pk", filter=Q(status=S.WITHDRAWN)),
            mean_score=Avg("score", filter=reviewed),
        )
    )
    return {
        row.pop(group): AssignmentStats(
            **{**row, "mean_score": None if row["mean_score"] is None else round(float(row["mean_score"]), 1)}
        )
        for row in rows
    }


def assignment_stats(pairings, start: dt.date, end: dt.date) -> dict[int, AssignmentStats]:
    """Per pairing id: the assignments issued from ``start`` to ``end`` and what became of them by ``end``.

    ``pairings`` is a Pairing queryset (scope it with ``visible_to``) or a list of ids; pairings without
    assignments in the period are absent (use ``.get(pk, AssignmentStats())``). One grouped query.
    """
    return _stats(Assignment.objects.filter(pairing__in=pairings), "pairing_id", start, end)


def apprentice_assignment_stats(apprentices, start: dt.date, end: dt.date) -> dict[int, AssignmentStats]:
    """The same, per apprentice id, over all of each apprentice's pairings (for the growth file)."""
    return _stats(
        Assignment.objects.filter(pairing__apprentice__in=apprentices), "pairing__apprentice_id", start, end
    )


def apprentice_assignments(apprentice, user):
    """An apprentice's assignments over all their pairings the user may see, newest first (the growth file)."""
    return (
        Assignment.objects.visible_to(user)
        .filter(pairing__apprentice=apprentice)
        .select_related("pairing")
        .order_by("-issued_at", "-pk")
    )


def mentor_pairings(user):
    """The running pairings in which the user is a mentor: where they may set assignments."""
    if not user.is_authenticated or not user.person_id:
        return Pairing.objects.none()
    return (
        Pairing.objects.visible_to(user)
        .filter(status__in=RUNNING_STATES, members__mentor__person_id=user.person_id)
        .select_related("apprentice__person", "region")
        .distinct()
        .order_by("apprentice__person__name", "pk")
    )


# Steps of the assignment page and who may take them (the service checks the state again).
STEP_STATES = {"submit": OPEN_STATES, "review": (S.SUBMITTED,), "withdraw": OPEN_STATES}


def may(user, assignment: Assignment, step: str) -> bool:
    """Whether the user's part in the pairing allows the step at all (403 otherwise)."""
    if step == "submit":
        return services.is_apprentice(user, assignment.pairing)
    if step in ("review", "withdraw"):
        return services.is_mentor(user, assignment.pairing)
    return False


def available_steps(user, assignment: Assignment) -> set[str]:
    steps = {
        s for s, states in STEP_STATES.items() if assignment.status in states and may(user, assignment, s)
    }
    if assignment.pairing.status not in RUNNING_STATES:
        steps.discard("submit")
    return steps
