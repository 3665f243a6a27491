"""Mentor nomination, vetting, publicity, appointment and later states: each a guarded, recorded transition."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangdai.accounts.choices import Role
from bangdai.core.batches import Outcome, bulk_insert, existing_person_ids
from bangdai.core.choices import ContentArea
from bangdai.programmes.models import Programme
from bangdai.programmes.services import check_open

from .choices import REVIEW_STATES, MentorAction, MentorStatus, MentorTier, MentorTitle, NominationSource
from .models import Mentor, MentorEvent, PublicityObjection

S = MentorStatus


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    label: str
    # Township committees may give the unit recommendation; every later step is the organisation department's.
    roles: frozenset = frozenset({Role.ORG_ADMIN})
    needs_reason: bool = False


TRANSITIONS = {
    t.action: t
    for t in (
        Transition(
            MentorAction.RECOMMEND,
            (S.SUBMITTED,),
            S.UNIT_RECOMMENDED,
            gettext_lazy("Recommend"),
            roles=frozenset({Role.ORG_ADMIN, Role.TOWNSHIP}),
        ),
        Transition(MentorAction.VET, (S.UNIT_RECOMMENDED,), S.VETTING, gettext_lazy("Start vetting")),
        Transition(MentorAction.REVIEW, (S.VETTING,), S.COLLECTIVE_REVIEW, gettext_lazy("Pass vetting")),
        Transition(
            MentorAction.PUBLICISE, (S.COLLECTIVE_REVIEW,), S.PUBLICITY, gettext_lazy("Approve and publicise")
        ),
        Transition(MentorAction.APPOINT, (S.PUBLICITY,), S.ACTIVE, gettext_lazy("Appoint")),
        Transition(MentorAction.REJECT, REVIEW_STATES, S.REJECTED, gettext_lazy("Reject"), needs_reason=True),
        Transition(
            MentorAction.SUSPEND, (S.ACTIVE,), S.SUSPENDED, gettext_lazy("Suspend"), needs_reason=True
        ),
        Transition(MentorAction.RESUME, (S.SUSPENDED,), S.ACTIVE, gettext_lazy("Resume")),
        Transition(MentorAction.EXPIRE, (S.ACTIVE, S.SUSPENDED), S.EXPIRED, gettext_lazy("End of term")),
        Transition(MentorAction.RENEW, (S.EXPIRED,), S.ACTIVE, gettext_lazy("Renew")),
        Transition(
            MentorAction.RETIRE,
            (S.ACTIVE, S.SUSPENDED, S.EXPIRED),
            S.RETIRED,
            gettext_lazy("Retire"),
            needs_reason=True,
        ),
        Transition(
            MentorAction.DISMISS,
            (S.ACTIVE, S.SUSPENDED),
            S.DISMISSED,
            gettext_lazy("Dismiss"),
            needs_reason=True,
        ),
    )
}


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date after ``days`` working days (Monday to Friday) counted from ``start`` inclusive."""
    day, left = start, days
    while True:
        if day.weekday() < 5:
            left -= 1
            if left <= 0:
                return day
        day += dt.timedelta(days=1)


def _clean_profile(data: dict) -> dict:
    errors = {}
    if data.get("tier") not in MentorTier.values:
        errors["tier"] = _("Choose a tier.")
    for key, choices in (("titles", MentorTitle), ("expertise", ContentArea)):
        values, known = data.get(key) or [], choices.values  # ``values`` builds a new list on every access
        if any(v not in known for v in values):
            errors[key] = _("Unknown value.")
        else:
            data[key] = sorted(set(values), key=known.index)
    data["specialties"] = [s.strip() for s in data.get("specialties") or [] if s and s.strip()][:20]
    if MentorTitle.QIANMING_HAO_ZHISHU in data.get("titles", []):
        batch = data.get("qianming_batch")
        if batch not in (1, 2, 3):
            errors["qianming_batch"] = _("千名好支书 came in batches 1 to 3.")
    else:
        data["qianming_batch"] = None
    if errors:
        raise ValidationError(errors)
    return data


def _event(mentor, actor, action, before="", after="", reason=""):
    return MentorEvent.objects.create(
        mentor=mentor, actor=actor, action=action, from_status=before, to_status=after, reason=reason
    )


def _nomination(
    actor, programme: Programme, person, region=None, self_nomination: bool = False, **profile
) -> Mentor:
    """The checks of a nomination, in order, and the mentor it would create (not saved)."""
    region = region or person.region
    if self_nomination:
        if actor.person_id != person.pk:
            raise PermissionDenied(_("A self-nomination is made by the cadre themselves."))
    elif not actor.scope.edits(person.region.path):
        raise PermissionDenied(_("You cannot nominate a cadre outside your jurisdiction."))
    low, high = programme.region.subtree_range
    if not low <= region.path < high:
        raise ValidationError(
            {"region": _("The mentor's home region must lie inside the programme's region.")}
        )
    profile = _clean_profile(profile)
    capacity = profile.pop("capacity", None) or programme.policy.capacity_for(profile["tier"])
    return Mentor(
        programme=programme,
        person=person,
        region=region,
        capacity=capacity,
        nominated_via=NominationSource.SELF_NOMINATED
        if self_nomination
        else NominationSource.ORG_RECOMMENDED,
        **profile,
    )


def _in_pool_error() -> ValidationError:
    return ValidationError({"person": _("This cadre is already in the programme's mentor pool.")})


def _nominate_event(mentor: Mentor, actor) -> MentorEvent:
    return MentorEvent(
        mentor=mentor,
        actor=actor,
        action=MentorAction.NOMINATE,
        from_status="",
        to_status=S.SUBMITTED,
        reason=mentor.nomination_statement,
    )


@transaction.atomic
def nominate(
    *, actor, programme: Programme, person, region=None, self_nomination: bool = False, **profile
) -> Mentor:
    """Enter a cadre into the programme's pool: an organisation's recommendation or the cadre's own application."""
    check_open(programme)
    mentor = _nomination(actor, programme, person, region, self_nomination, **profile)
    try:
        with transaction.atomic():
            mentor.save(force_insert=True)
    except IntegrityError:
        raise _in_pool_error() from None
    _nominate_event(mentor, actor).save()
    return mentor


@transaction.atomic
def nominate_many(*, actor, programme: Programme, items: Sequence[dict]) -> Outcome[Mentor]:
    """Nominate many cadres: each item (``person`` and ``nominate``'s other arguments) checked as ``nominate``
    checks it; the valid ones written in bulk with their nomination events.

    An invalid item does not stop the others: its error is in the outcome. A caller that wants all or nothing
    rolls back when ``outcome.failed``.
    """
    outcome: Outcome[Mentor] = Outcome.sized(len(items))
    try:
        check_open(programme)
    except ValidationError as error:
        for i in range(len(items)):
            outcome.fail(i, error)
        return outcome
    taken = existing_person_ids(
        Mentor.objects.filter(programme=programme), {item["person"].pk for item in items}
    )
    pending: list[tuple[int, Mentor]] = []
    for i, item in enumerate(items):
        try:
            mentor = _nomination(actor, programme, **item)
            if mentor.person_id in taken:
                raise _in_pool_error()
        except (ValidationError, PermissionDenied) as error:
            outcome.fail(i, error)
            continue
        taken.add(mentor.person_id)
        pending.append((i, mentor))

    def refuse(inserting: list[Mentor]) -> list:
        # Another writer nominated some of these cadres meanwhile: refuse those, keep the rest.
        raced = existing_person_ids(
            Mentor.objects.filter(programme=programme), {m.person_id for m in inserting}
        )
        return [_in_pool_error() if m.person_id in raced else None for m in inserting]

    written = bulk_insert(Mentor, pending, outcome, refuse)
    MentorEvent.objects.bulk_create([_nominate_event(m, actor) for m in written], batch_size=1000)
    return outcome


def allowed_actions(actor, mentor: Mentor) -> list[Transition]:
    """The transitions this actor may take on this mentor now."""
    return [t for t in TRANSITIONS.values() if mentor.status in t.sources and _may(actor, mentor, t)]


def _may(actor, mentor: Mentor, transition: Transition) -> bool:
    return actor.scope.governs(mentor.region.path, transition.roles)


@transaction.atomic
def transition(*, actor, mentor: Mentor, action: str, reason: str = "", on: dt.date | None = None) -> Mentor:
    """Move a mentor one step; a compare-and-set on the state makes two simultaneous clicks one transition."""
    step = TRANSITIONS.get(action)
    if step is None:
        raise ValidationError(_("Unknown action."))
    if not _may(actor, mentor, step):
        raise PermissionDenied(_("You may not take this step for this mentor."))
    if step.needs_reason and not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    today = on or timezone.localdate()
    before = mentor.status
    if before not in step.sources:
        raise ValidationError(
            _("This step was already taken or no longer applies (the mentor is now “%(status)s”).")
            % {"status": mentor.get_status_display()}
        )
    changes: dict = {"status": step.target, "status_reason": reason.strip()[:300]}
    policy = mentor.programme.policy
    if action == MentorAction.PUBLICISE:
        start = on or today
        changes["publicity_start"] = start
        changes["publicity_end"] = add_working_days(start, policy.publicity_working_days)
    elif action in (MentorAction.APPOINT, MentorAction.RENEW):
        if action == MentorAction.APPOINT:
            _check_publicity_over(mentor, today)
        changes["appointed_at"] = today
        changes["term_end"] = _years_later(today, policy.mentor_term_years)
        if not mentor.certificate_no:
            changes["certificate_no"] = certificate_number(mentor, today)
    updated = Mentor.objects.filter(pk=mentor.pk, status=before).update(**changes, updated_at=timezone.now())
    if updated != 1:
        mentor.refresh_from_db()
        raise ValidationError(
            _("Someone else has just moved this mentor on (now “%(status)s”); nothing was changed.")
            % {"status": mentor.get_status_display()}
        )
    for key, value in changes.items():
        setattr(mentor, key, value)
    _event(mentor, actor, action, before, step.target, reason.strip())
    if action in (MentorAction.DISMISS, MentorAction.RETIRE):
        from bangdai.pairings.services import end_pairings_of_mentor

        end_pairings_of_mentor(actor=actor, mentor=mentor, reason=reason)
    return mentor


def _check_publicity_over(mentor: Mentor, today: dt.date) -> None:
    if mentor.publicity_end and today < mentor.publicity_end:
        raise ValidationError(
            _("The publicity period runs until %(date)s; the mentor can be appointed after it ends.")
            % {"date": mentor.publicity_end.isoformat()}
        )
    if mentor.objections.filter(resolved_at__isnull=True).exists():
        raise ValidationError(_("An objection raised during publicity is not resolved yet."))


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def certificate_number(mentor: Mentor, day: dt.date) -> str:
    """聘书 number: organising region code, year and the mentor's number, unique by construction."""
    return f"{mentor.programme.region.code}-{day.year}-{mentor.pk:06d}"


@transaction.atomic
def record_objection(*, actor, mentor: Mentor, content: str, raised_by: str = "") -> PublicityObjection:
    """Record an objection received while the mentor is in publicity."""
    if not actor.scope.administers(mentor.region.path):
        raise PermissionDenied(_("You may not record objections for this mentor."))
    if mentor.status != S.PUBLICITY:
        raise ValidationError(_("Objections are recorded during the publicity period."))
    if not content.strip():
        raise ValidationError({"content": _("Describe the objection.")})
    objection = PublicityObjection.objects.create(
        mentor=mentor, content=content.strip(), raised_by=raised_by.strip(), recorded_by=actor
    )
    _event(mentor, actor, MentorAction.OBJECTION, mentor.status, mentor.status, content.strip())
    return objection


@transaction.atomic
def resolve_objection(*, actor, objection: PublicityObjection, resolution: str) -> PublicityObjection:
    if not actor.scope.administers(objection.mentor.region.path):
        raise PermissionDenied(_("You may not resolve objections for this mentor."))
    if not resolution.strip():
        raise ValidationError({"resolution": _("Say how the objection was resolved.")})
    updated = PublicityObjection.objects.filter(pk=objection.pk, resolved_at__isnull=True).update(
        resolution=resolution.strip(), resolved_at=timezone.now()
    )
    if not updated:
        raise ValidationError(_("This objection is already resolved."))
    objection.refresh_from_db()
    return objection


@transaction.atomic
def update_profile(*, actor, mentor: Mentor, **profile) -> Mentor:
    """Change a mentor's tier, titles, expertise, specialties or capacity (never below places taken)."""
    if not actor.scope.edits(mentor.region.path):
        raise PermissionDenied(_("You may not change this mentor."))
    current = {
        k: getattr(mentor, k) for k in ("tier", "titles", "qianming_batch", "expertise", "specialties")
    }
    profile = _clean_profile({**current, **profile})
    capacity = profile.pop("capacity", None)
    capacity_changed = capacity is not None and capacity != mentor.capacity
    if capacity_changed:
        if capacity < 1:
            raise ValidationError({"capacity": _("Capacity is at least 1.")})
        # Compare-and-set: a concurrent pairing may have just taken a place.
        if not Mentor.objects.filter(pk=mentor.pk, load__lte=capacity).update(capacity=capacity):
            raise ValidationError({"capacity": _("The mentor already has more apprentices than that.")})
        mentor.capacity = capacity
    changed = [key for key, value in profile.items() if getattr(mentor, key) != value]
    for key in changed:
        setattr(mentor, key, profile[key])
    if changed:
        mentor.save(update_fields=[*changed, "updated_at"])
    if changed or capacity_changed:
        _event(mentor, actor, MentorAction.EDIT, mentor.status, mentor.status)
    return mentor
