"""The pairing workflow: propose, confirm, sign the 拜师帖, extend, graduate, terminate and re-pair.

Capacity is a compare-and-set on ``Mentor.load`` (``UPDATE … WHERE load < capacity``), which holds on SQLite
(where ``select_for_update`` does nothing) and PostgreSQL alike; one open pairing per apprentice is a partial
unique index. Every state change is a compare-and-set on the pairing's status and writes one event.
"""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from bangdai.apprentices.choices import ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.programmes.services import check_open

from .choices import OPEN_STATES, RUNNING_STATES, PairingAction, PairingMode, PairingStatus
from .models import ConflictDeclaration, Pairing, PairingEvent, PairingMentor

P = PairingStatus


def _event(pairing, actor, action, before="", after="", reason=""):
    return PairingEvent.objects.create(
        pairing=pairing, actor=actor, action=action, from_status=before, to_status=after, reason=reason
    )


def _months_later(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _cas(pairing: Pairing, sources, **changes) -> None:
    """Change the pairing only if it is still in one of ``sources``; otherwise someone else got there first."""
    updated = Pairing.objects.filter(pk=pairing.pk, status__in=list(sources)).update(
        **changes, updated_at=timezone.now()
    )
    if updated != 1:
        pairing.refresh_from_db()
        raise ValidationError(
            _("This pairing has just been changed by someone else (now “%(status)s”); nothing was changed.")
            % {"status": pairing.get_status_display()}
        )
    for key, value in changes.items():
        setattr(pairing, key, value)


def _take_place(mentor: Mentor) -> None:
    taken = Mentor.objects.filter(pk=mentor.pk, status=MentorStatus.ACTIVE, load__lt=F("capacity")).update(
        load=F("load") + 1
    )
    if not taken:
        mentor.refresh_from_db()
        if mentor.status != MentorStatus.ACTIVE:
            raise ValidationError({"mentors": _("%(name)s is not an appointed mentor.") % {"name": mentor}})
        raise ValidationError(
            {
                "mentors": _("%(name)s has no free place left (%(load)d of %(capacity)d taken).")
                % {"name": mentor, "load": mentor.load, "capacity": mentor.capacity}
            }
        )


def _release_places(pairing: Pairing) -> None:
    ids = list(pairing.members.values_list("mentor_id", flat=True))
    Mentor.objects.filter(pk__in=ids, load__gt=0).update(load=F("load") - 1)


def conflicts(mentors: Sequence[Mentor], apprentice: Apprentice) -> list[ConflictDeclaration]:
    return list(
        ConflictDeclaration.objects.filter(
            mentor_person__in=[m.person_id for m in mentors], apprentice_person=apprentice.person_id
        )
    )


def _check_proposal(actor, apprentice: Apprentice, mentors: Sequence[Mentor]) -> None:
    if not actor.scope.edits(apprentice.region.path):
        raise PermissionDenied(_("You cannot pair an apprentice outside your jurisdiction."))
    check_open(apprentice.programme)
    errors = []
    if not mentors:
        errors.append(_("Choose at least one mentor."))
    policy = apprentice.programme.policy
    if len(mentors) > policy.max_mentors_per_apprentice:
        errors.append(
            _("This programme allows at most %(n)d mentor(s) per apprentice.")
            % {"n": policy.max_mentors_per_apprentice}
        )
    if len({m.pk for m in mentors}) != len(mentors):
        errors.append(_("A mentor is listed twice."))
    for mentor in mentors:
        if mentor.programme_id != apprentice.programme_id:
            errors.append(_("%(name)s is not in this programme's mentor pool.") % {"name": mentor})
        if mentor.person_id == apprentice.person_id:
            errors.append(_("A cadre cannot be their own mentor."))
    for conflict in conflicts(mentors, apprentice):
        errors.append(
            _("%(mentor)s and %(apprentice)s have a declared conflict of interest: %(kind)s.")
            % {
                "mentor": conflict.mentor_person,
                "apprentice": conflict.apprentice_person,
                "kind": conflict.get_kind_display(),
            }
        )
    if apprentice.status in (ApprenticeStatus.GRADUATED, ApprenticeStatus.EXITED):
        errors.append(_("%(name)s is no longer in the registry.") % {"name": apprentice})
    if errors:
        raise ValidationError({"mentors": errors})


@transaction.atomic
def propose(
    *, actor, apprentice: Apprentice, mentors: Sequence[Mentor], note: str = "", replaces=None
) -> Pairing:
    """Propose a pairing; each mentor's place is taken at once, so a proposal can never over-fill a mentor."""
    mentors = list(mentors)
    _check_proposal(actor, apprentice, mentors)
    for mentor in sorted(mentors, key=lambda m: m.pk):  # a fixed order: two proposals never deadlock
        _take_place(mentor)
    policy = apprentice.programme.policy
    try:
        with transaction.atomic():
            pairing = Pairing.objects.create(
                programme=apprentice.programme,
                apprentice=apprentice,
                region=apprentice.region,
                mode=PairingMode.MANY_TO_ONE if len(mentors) > 1 else PairingMode.ONE_TO_ONE,
                rules_version=apprentice.programme.current_rules().version,
                term_months=policy.term_months,
                note=note,
                replaces=replaces,
                proposed_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            {"apprentice": _("%(name)s already has an open pairing.") % {"name": apprentice}}
        ) from None
    PairingMentor.objects.bulk_create(
        [PairingMentor(pairing=pairing, mentor=m, is_primary=i == 0) for i, m in enumerate(mentors)]
    )
    Apprentice.objects.filter(pk=apprentice.pk).update(status=ApprenticeStatus.PAIRED)
    _event(pairing, actor, PairingAction.REPAIR if replaces else PairingAction.PROPOSE, "", P.PROPOSED, note)
    return pairing


def party_of(actor, pairing: Pairing) -> str | None:
    """'apprentice', 'mentor' or None: which side of the pairing the actor is."""
    if not actor.person_id:
        return None
    if pairing.apprentice.person_id == actor.person_id:
        return "apprentice"
    if pairing.members.filter(mentor__person_id=actor.person_id).exists():
        return "mentor"
    return None


def needs_confirmation_from(actor, pairing: Pairing) -> bool:
    side = party_of(actor, pairing)
    if pairing.status != P.PROPOSED or side is None:
        return False
    if side == "apprentice":
        return pairing.apprentice_confirmed_at is None
    return pairing.members.filter(mentor__person_id=actor.person_id, confirmed_at__isnull=True).exists()


@transaction.atomic
def confirm(*, actor, pairing: Pairing) -> Pairing:
    """The mentor or the apprentice accepts the proposal in their own workspace; both make it confirmed."""
    side = party_of(actor, pairing)
    if side is None:
        raise PermissionDenied(_("Only the mentor and the apprentice confirm a pairing."))
    # Lock the pairing row (PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), so the two
    # parties confirming at the same moment still see each other and the pairing becomes confirmed exactly once.
    pairing = Pairing.objects.select_for_update().select_related("apprentice").get(pk=pairing.pk)
    if pairing.status != P.PROPOSED:
        raise ValidationError(_("This pairing is not waiting for confirmation."))
    now = timezone.now()
    if side == "apprentice":
        done = Pairing.objects.filter(
            pk=pairing.pk, status=P.PROPOSED, apprentice_confirmed_at__isnull=True
        ).update(apprentice_confirmed_at=now)
    else:
        done = PairingMentor.objects.filter(
            pairing=pairing, mentor__person_id=actor.person_id, confirmed_at__isnull=True
        ).update(confirmed_at=now)
    if not done:
        raise ValidationError(_("You have already confirmed this pairing."))
    _event(pairing, actor, PairingAction.CONFIRM, P.PROPOSED, P.PROPOSED)
    pairing.refresh_from_db()
    both = pairing.apprentice_confirmed_at and not pairing.members.filter(confirmed_at__isnull=True).exists()
    if both and Pairing.objects.filter(pk=pairing.pk, status=P.PROPOSED).update(status=P.CONFIRMED):
        pairing.status = P.CONFIRMED
        _event(pairing, actor, PairingAction.CONFIRMED, P.PROPOSED, P.CONFIRMED)
    return pairing


@transaction.atomic
def decline(*, actor, pairing: Pairing, reason: str) -> Pairing:
    """The mentor or the apprentice declines a proposal; the places it held are freed."""
    if party_of(actor, pairing) is None and not actor.scope.edits(pairing.region.path):
        raise PermissionDenied(_("You may not decline this pairing."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    _cas(pairing, (P.PROPOSED,), status=P.DECLINED, end_reason=reason.strip(), ended_on=timezone.localdate())
    _release_places(pairing)
    Apprentice.objects.filter(pk=pairing.apprentice_id).update(status=ApprenticeStatus.ELIGIBLE)
    _event(pairing, actor, PairingAction.DECLINE, P.PROPOSED, P.DECLINED, reason.strip())
    return pairing


def default_pledge_text(pairing: Pairing) -> str:
    mentors = "、".join(m.person.name for m in pairing.mentors.select_related("person"))
    return (
        f"尊敬的{mentors}导师：\n"
        f"我自愿拜您为师，在{pairing.term_months}个月的帮带期内，虚心求教、勤学苦练、扎根基层，"
        "在思想情怀、群众工作、基层党建、富民强村、基层治理五个方面向您学习，按时完成布置的作业，"
        "如实记录帮带台账，接受组织的师徒捆绑考核，不负组织培养和导师厚望。"
    )


@transaction.atomic
def sign_pledge(
    *,
    actor,
    pairing: Pairing,
    signed_on: dt.date,
    ceremony_place: str,
    witnesses: Sequence[str],
    text: str = "",
) -> Pairing:
    """Record the signed 拜师帖 and the ceremony; the pairing becomes active from that day."""
    if not actor.scope.edits(pairing.region.path):
        raise PermissionDenied(_("The township committee or the organisation department records the 拜师帖."))
    errors = {}
    if signed_on > timezone.localdate():
        errors["signed_on"] = _("The signing date cannot be in the future.")
    if not ceremony_place.strip():
        errors["ceremony_place"] = _("Where was the ceremony held?")
    witnesses = [w.strip() for w in witnesses if w and w.strip()]
    if not witnesses:
        errors["witnesses"] = _("Name at least one witness.")
    if errors:
        raise ValidationError(errors)
    _cas(
        pairing,
        (P.CONFIRMED,),
        status=P.ACTIVE,
        pledge_signed_on=signed_on,
        ceremony_place=ceremony_place.strip(),
        witnesses=witnesses,
        pledge_text=text.strip() or default_pledge_text(pairing),
        start_date=signed_on,
        planned_end_date=_months_later(signed_on, pairing.term_months),
    )
    _event(pairing, actor, PairingAction.SIGN, P.CONFIRMED, P.ACTIVE)
    return pairing


@transaction.atomic
def extend(*, actor, pairing: Pairing, months: int, reason: str) -> Pairing:
    """Extend a running pairing within the programme's longest term."""
    if not actor.scope.edits(pairing.region.path):
        raise PermissionDenied(_("You may not extend this pairing."))
    limit = pairing.programme.policy.max_term_months
    if months < 1 or pairing.term_months + months > limit:
        raise ValidationError(
            {
                "months": _("A pairing lasts at most %(limit)d months in all (now %(term)d).")
                % {"limit": limit, "term": pairing.term_months}
            }
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    if pairing.status not in RUNNING_STATES:  # not started: there is no start date to extend from
        raise ValidationError(_("Only a running pairing can be extended."))
    before = pairing.status
    _cas(
        pairing,
        RUNNING_STATES,
        status=P.EXTENDED,
        term_months=pairing.term_months + months,
        planned_end_date=_months_later(pairing.start_date, pairing.term_months + months),
    )
    _event(pairing, actor, PairingAction.EXTEND, before, P.EXTENDED, reason.strip())
    return pairing


@transaction.atomic
def complete(*, actor, pairing: Pairing, note: str = "") -> Pairing:
    """The apprentice graduates (出师): the pairing ends and the mentor's place is freed."""
    if not actor.scope.edits(pairing.region.path):
        raise PermissionDenied(_("You may not close this pairing."))
    before = pairing.status
    _cas(pairing, RUNNING_STATES, status=P.COMPLETED, ended_on=timezone.localdate(), end_reason=note.strip())
    _release_places(pairing)
    Apprentice.objects.filter(pk=pairing.apprentice_id).update(status=ApprenticeStatus.GRADUATED)
    _event(pairing, actor, PairingAction.COMPLETE, before, P.COMPLETED, note.strip())
    return pairing


def _terminate(actor, pairing: Pairing, reason: str, apprentice_status=ApprenticeStatus.ELIGIBLE) -> None:
    before = pairing.status
    _cas(pairing, OPEN_STATES, status=P.TERMINATED, ended_on=timezone.localdate(), end_reason=reason)
    _release_places(pairing)
    Apprentice.objects.filter(pk=pairing.apprentice_id).update(status=apprentice_status)
    _event(pairing, actor, PairingAction.TERMINATE, before, P.TERMINATED, reason)


@transaction.atomic
def terminate(*, actor, pairing: Pairing, reason: str) -> Pairing:
    """End an open pairing early, with a reason; the apprentice goes back to awaiting a mentor."""
    if not actor.scope.edits(pairing.region.path):
        raise PermissionDenied(_("You may not end this pairing."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    _terminate(actor, pairing, reason.strip())
    return pairing


@transaction.atomic
def repair(*, actor, pairing: Pairing, mentors: Sequence[Mentor], reason: str) -> Pairing:
    """Re-pair a transferred apprentice in one step: end the old pairing and propose the new one, linked."""
    if not actor.scope.edits(pairing.region.path):
        raise PermissionDenied(_("You may not change this pairing."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason.")})
    _terminate(actor, pairing, reason.strip())
    apprentice = Apprentice.objects.get(pk=pairing.apprentice_id)
    return propose(actor=actor, apprentice=apprentice, mentors=mentors, note=reason.strip(), replaces=pairing)


def end_pairings_of_mentor(*, actor, mentor: Mentor, reason: str) -> int:
    """Terminate every open pairing of a dismissed or retired mentor; their apprentices await a new mentor."""
    pairings = list(Pairing.objects.open().filter(members__mentor=mentor))
    for pairing in pairings:
        _terminate(actor, pairing, reason or _("The mentor left the pool."))
    return len(pairings)


@transaction.atomic
def declare_conflict(
    *, actor, mentor_person, apprentice_person, kind: str, note: str = ""
) -> ConflictDeclaration:
    if not (actor.scope.edits(mentor_person.region.path) or actor.scope.edits(apprentice_person.region.path)):
        raise PermissionDenied(_("You may not declare conflicts for these cadres."))
    if mentor_person.pk == apprentice_person.pk:
        raise ValidationError(_("Choose two different cadres."))
    declaration, _created = ConflictDeclaration.objects.get_or_create(
        mentor_person=mentor_person,
        apprentice_person=apprentice_person,
        defaults={"kind": kind, "note": note, "declared_by": actor},
    )
    return declaration
