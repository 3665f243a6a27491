"""The assignment workflow: issue, submit (again, before the review), review and score, withdraw.

ISSUED → SUBMITTED (→ SUBMITTED again) → REVIEWED; ISSUED or SUBMITTED → WITHDRAWN. Only the pairing's mentors
issue, review and withdraw; only its apprentice submits. Every change is a compare-and-set on the status (and on
the number of submissions), so two reviews at once make one review, and a review never scores an answer the
mentor has not seen. Files are checked (``core.uploads.clean_upload``) before anything is written: one bad file
refuses the whole submission and nothing is stored.
"""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangdai.core.choices import ContentArea
from bangdai.core.uploads import CleanFile, clean_upload
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.pairings.services import party_of

from .choices import OPEN_STATES, AssignmentAction, AssignmentStatus
from .models import Assignment, AssignmentEvent, Submission, SubmissionFile

S = AssignmentStatus
MAX_FILES = 10
MAX_TEXT = 20_000


def is_mentor(user, pairing: Pairing) -> bool:
    return party_of(user, pairing) == "mentor"


def is_apprentice(user, pairing: Pairing) -> bool:
    return party_of(user, pairing) == "apprentice"


def _check_mentor(actor, pairing: Pairing) -> None:
    if not is_mentor(actor, pairing):
        raise PermissionDenied(_("Only the pairing's mentor sets, reviews and withdraws its assignments."))


def _check_running(pairing: Pairing) -> None:
    if pairing.status not in RUNNING_STATES:
        raise ValidationError(
            _("This pairing is not running (now “%(status)s”).") % {"status": pairing.get_status_display()}
        )


def state_refusal(status: str, step: str) -> str:
    """Why ``step`` (submit, review, withdraw) cannot be taken on an assignment in ``status``."""
    if status == S.WITHDRAWN:
        return {
            "submit": _("This assignment was withdrawn by the mentor; it takes no submissions."),
            "review": _("This assignment was withdrawn; it cannot be reviewed."),
            "withdraw": _("This assignment is already withdrawn."),
        }[step]
    if status == S.REVIEWED:
        return {
            "submit": _("This assignment has already been reviewed; it takes no more submissions."),
            "review": _("This assignment has already been reviewed."),
            "withdraw": _("This assignment has been reviewed; it can no longer be withdrawn."),
        }[step]
    return _("Nothing has been submitted yet; there is nothing to review.")


def _event(assignment, actor, action, before, after, comment="") -> AssignmentEvent:
    return AssignmentEvent.objects.create(
        assignment=assignment,
        actor=actor,
        action=action,
        from_status=before,
        to_status=after,
        comment=comment,
    )


def _cas(assignment: Assignment, step: str, sources, count: int | None = None, **changes) -> None:
    """Change the assignment only if it is still in ``sources`` (and has ``count`` submissions)."""
    match = {"pk": assignment.pk, "status__in": list(sources)}
    if count is not None:
        match["submission_count"] = count
    changes["updated_at"] = timezone.now()
    if Assignment.objects.filter(**match).update(**changes) == 1:
        for key, value in changes.items():
            setattr(assignment, key, value)
        return
    assignment.refresh_from_db()
    if assignment.status not in sources:
        raise ValidationError(state_refusal(assignment.status, step))
    if step == "submit":
        raise ValidationError(
            _("Another submission arrived at the same moment; nothing was changed. Try again.")
        )
    raise ValidationError(
        _("The apprentice has just submitted again; read the latest submission first. Nothing was changed.")
    )


@transaction.atomic
def issue(
    *, actor, pairing: Pairing, title: str, brief: str, content_area: str, due_on: dt.date | None
) -> Assignment:
    """The mentor sets the apprentice an assignment with a due date."""
    _check_mentor(actor, pairing)
    _check_running(pairing)
    errors: dict[str, str] = {}
    title, brief = (title or "").strip(), (brief or "").strip()
    if not title:
        errors["title"] = _("Give the assignment a title.")
    elif len(title) > 100:
        errors["title"] = _("The title is longer than 100 characters.")
    if not brief:
        errors["brief"] = _("Say what the apprentice should do.")
    elif len(brief) > 5000:
        errors["brief"] = _("The brief is longer than 5000 characters.")
    if content_area not in ContentArea.values:
        errors["content_area"] = _("Choose one of the five content areas.")
    today = timezone.localdate()
    if due_on is None:
        errors["due_on"] = _("Give a due date.")
    elif due_on < today:
        errors["due_on"] = _("The due date cannot be in the past.")
    elif pairing.planned_end_date and due_on > pairing.planned_end_date:
        errors["due_on"] = _("The due date is after the pairing's planned end (%(end)s).") % {
            "end": pairing.planned_end_date.isoformat()
        }
    if errors:
        raise ValidationError(errors)
    assignment = Assignment.objects.create(
        pairing=pairing,
        title=title,
        brief=brief,
        content_area=content_area,
        due_on=due_on,
        issued_by=actor,
    )
    _event(assignment, actor, AssignmentAction.ISSUE, "", S.ISSUED)
    return assignment


def clean_files(files: Sequence) -> list[CleanFile]:
    """Check every file before anything is stored; every refusal is reported, and any refusal refuses them all."""
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("Attach at most %(n)d files.") % {"n": MAX_FILES}})
    cleaned, errors = [], []
    for file in files:
        try:
            cleaned.append(clean_upload(file, getattr(file, "name", "") or ""))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"files": errors})
    return cleaned


def _store(submission: Submission, files: Sequence[CleanFile]) -> None:
    stored = []
    try:
        for clean in files:
            row = SubmissionFile(
                submission=submission,
                name=clean.name[:100],
                content_type=clean.content_type,
                kind=clean.kind,
                size=len(clean.content),
                width=clean.width,
                height=clean.height,
            )
            row.file.save(clean.name, ContentFile(clean.content), save=False)
            stored.append(row.file.name)
            row.save()
    except Exception:
        for name in stored:  # the transaction rolls back; leave no file behind either
            SubmissionFile._meta.get_field("file").storage.delete(name)
        raise


@transaction.atomic
def submit(*, actor, assignment: Assignment, text: str = "", files: Sequence = ()) -> Submission:
    """The apprentice answers; a later answer before the review replaces the earlier one, which is kept."""
    pairing = assignment.pairing
    if not is_apprentice(actor, pairing):
        raise PermissionDenied(_("Only the apprentice submits an answer to their assignment."))
    _check_running(pairing)
    if assignment.status not in OPEN_STATES:
        raise ValidationError(state_refusal(assignment.status, "submit"))
    text = (text or "").strip()
    if not text and not files:
        raise ValidationError({"text": _("Write your answer or attach at least one file.")})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": _("The answer is longer than %(n)d characters.") % {"n": MAX_TEXT}})
    cleaned = clean_files(files)
    before, count, now = assignment.status, assignment.submission_count, timezone.now()
    _cas(
        assignment,
        "submit",
        OPEN_STATES,
        count,
        status=S.SUBMITTED,
        submission_count=count + 1,
        submitted_at=now,
        first_submitted_at=assignment.first_submitted_at or now,
    )
    Submission.objects.filter(assignment=assignment, superseded_at__isnull=True).update(superseded_at=now)
    submission = Submission.objects.create(
        assignment=assignment, number=count + 1, text=text, submitted_by=actor, submitted_at=now
    )
    _store(submission, cleaned)
    action = AssignmentAction.RESUBMIT if count else AssignmentAction.SUBMIT
    _event(assignment, actor, action, before, S.SUBMITTED)
    return submission


@transaction.atomic
def review(
    *, actor, assignment: Assignment, feedback: str, score, submission: int | None = None
) -> Assignment:
    """The mentor reviews the latest submission with feedback and a score from 0 to 100.

    ``submission`` is the number of the submission the mentor read (the pages send it): if the apprentice has
    submitted again since, the review is refused rather than scoring an answer the mentor has not seen.
    """
    _check_mentor(actor, assignment.pairing)
    errors: dict[str, str] = {}
    feedback = (feedback or "").strip()
    if not feedback:
        errors["feedback"] = _("Write your feedback for the apprentice.")
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        errors["score"] = _("The score is a whole number from 0 to 100.")
    if errors:
        raise ValidationError(errors)
    if assignment.status != S.SUBMITTED:
        raise ValidationError(state_refusal(assignment.status, "review"))
    count = assignment.submission_count if submission is None else submission
    _cas(
        assignment,
        "review",
        (S.SUBMITTED,),
        count,
        status=S.REVIEWED,
        feedback=feedback,
        score=score,
        reviewed_at=timezone.now(),
        reviewed_by=actor,
    )
    _event(assignment, actor, AssignmentAction.REVIEW, S.SUBMITTED, S.REVIEWED, f"{score} · {feedback}")
    return assignment


@transaction.atomic
def withdraw(*, actor, assignment: Assignment, reason: str) -> Assignment:
    """The mentor withdraws an assignment that has not been reviewed; whatever was submitted is kept."""
    _check_mentor(actor, assignment.pairing)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    if assignment.status not in OPEN_STATES:
        raise ValidationError(state_refusal(assignment.status, "withdraw"))
    before = assignment.status
    _cas(
        assignment,
        "withdraw",
        OPEN_STATES,
        status=S.WITHDRAWN,
        withdrawn_at=timezone.now(),
        withdraw_reason=reason,
    )
    _event(assignment, actor, AssignmentAction.WITHDRAW, before, S.WITHDRAWN, reason)
    return assignment
