"""The ledger's writes: record, correct, confirm, withdraw and check activities; write 复盘 reviews.

Every refusal is decided before anything is written: a wrong file, a date in the future or before the pairing
began, a second confirmation leave the database and the file storage as they were. State changes are
compare-and-set updates (``UPDATE … WHERE status = …``), so two clicks at once make one change and one event,
on SQLite and PostgreSQL alike.
"""

import datetime as dt
import io
import uuid
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from bangdai.core.choices import ContentArea, Method
from bangdai.core.uploads import CleanFile, clean_upload
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing
from bangdai.pairings.services import party_of
from bangdai.regions.choices import Level
from bangdai.regions.models import Region

from .choices import VERDICT_ACTIONS, ActivityAction, ActivityStatus, EvidenceKind, Side, Verification
from .models import Activity, ActivityEvent, Evidence, Review

MAX_FILES = 9  # evidence files attached to one activity
MIN_MINUTES, MAX_MINUTES = 5, 720
MAX_SUMMARY = 2000
MAX_PROBLEMS, MAX_PROBLEM_LENGTH = 20, 200
MAX_REVIEW_TEXT = 4000
THUMBNAIL_EDGE = 480

# The fields a correction may change (the pairing, the author and the device location are facts of the entry).
EDITABLE = (
    "occurred_on",
    "duration_min",
    "method",
    "content_areas",
    "place",
    "on_site",
    "summary",
    "problems_solved",
)


def _event(activity, actor, action, note="", changes=None) -> ActivityEvent:
    return ActivityEvent.objects.create(
        activity=activity, actor=actor, action=action, note=note, changes=changes or {}
    )


# ---------------------------------------------------------------------------------------------------------------
# Checks shared by recording and correcting


def _clean_fields(pairing: Pairing, data: dict) -> dict:
    """The activity's fields checked against the pairing; every problem at once, keyed by field."""
    errors: dict[str, list[str]] = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    today = timezone.localdate()
    occurred_on = data.get("occurred_on")
    if not isinstance(occurred_on, dt.date):
        refuse("occurred_on", _("Enter the date of the activity."))
    elif occurred_on > today:
        refuse("occurred_on", _("An activity cannot be dated in the future."))
    elif pairing.start_date and occurred_on < pairing.start_date:
        refuse(
            "occurred_on",
            _("The pairing began on %(date)s; an activity cannot be dated before it.")
            % {"date": pairing.start_date.isoformat()},
        )
    minutes = data.get("duration_min")
    if not isinstance(minutes, int) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        refuse(
            "duration_min",
            _("The duration is a whole number of minutes from %(low)d to %(high)d.")
            % {"low": MIN_MINUTES, "high": MAX_MINUTES},
        )
    if data.get("method") not in Method.values:
        refuse("method", _("Choose a mentoring method."))
    areas = list(dict.fromkeys(data.get("content_areas") or []))
    if not areas:
        refuse("content_areas", _("Choose at least one content area."))
    elif any(a not in ContentArea.values for a in areas):
        refuse("content_areas", _("Unknown content area."))
    place = data.get("place")
    if not isinstance(place, Region):
        refuse("place", _("Choose the place of the activity."))
    else:
        low, high = pairing.programme.region.subtree_range
        if place.valid_to is not None:
            refuse("place", _("%(name)s no longer exists.") % {"name": place.name})
        elif place.depth < Level.TOWNSHIP or not low <= place.path < high:
            refuse(
                "place",
                _("The place is a village or township within %(region)s.")
                % {"region": pairing.programme.region.name},
            )
    summary = (data.get("summary") or "").strip()
    if not summary:
        refuse("summary", _("Say in a sentence or two what was done."))
    elif len(summary) > MAX_SUMMARY:
        refuse("summary", _("At most %(n)d characters.") % {"n": MAX_SUMMARY})
    problems = [p.strip() for p in data.get("problems_solved") or [] if p and p.strip()]
    if len(problems) > MAX_PROBLEMS:
        refuse("problems_solved", _("At most %(n)d problems.") % {"n": MAX_PROBLEMS})
    if any(len(p) > MAX_PROBLEM_LENGTH for p in problems):
        refuse("problems_solved", _("Each problem in at most %(n)d characters.") % {"n": MAX_PROBLEM_LENGTH})
    if errors:
        raise ValidationError(errors)
    on_site = data.get("on_site")
    return {
        "occurred_on": occurred_on,
        "duration_min": minutes,
        "method": data["method"],
        "content_areas": areas,
        "place": place,
        "on_site": place.depth == Level.VILLAGE if on_site is None else bool(on_site),
        "summary": summary,
        "problems_solved": problems,
    }


def _clean_location(lng, lat, accuracy_m) -> dict:
    if lng is None and lat is None:
        return {"lng": None, "lat": None, "accuracy_m": None}
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise ValidationError(
            {"lng": _("The device location needs both a longitude and a latitude.")}
        ) from None
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValidationError({"lng": _("The device location is not a valid position.")})
    if accuracy_m is not None:
        try:
            accuracy_m = max(0, round(float(accuracy_m)))
        except (TypeError, ValueError):
            accuracy_m = None
    return {"lng": round(lng, 6), "lat": round(lat, 6), "accuracy_m": accuracy_m}


def _clean_files(files: Iterable, attached: int) -> list[CleanFile]:
    """Every uploaded file checked and cleaned (photos re-encoded without metadata); all refusals at once."""
    files = list(files or [])
    if attached + len(files) > MAX_FILES:
        raise ValidationError(
            {
                "files": _("At most %(n)d files per activity (%(have)d attached already).")
                % {"n": MAX_FILES, "have": attached}
            }
        )
    cleaned, messages = [], []
    for upload in files:
        try:
            cleaned.append(clean_upload(upload, getattr(upload, "name", "") or "file"))
        except ValidationError as error:
            messages.extend(error.messages)
    if messages:
        raise ValidationError({"files": messages})
    return cleaned


def _thumbnail(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=78, optimize=True)
    return out.getvalue()


@contextmanager
def _files_kept_only_on_success():
    """File names written to storage inside the block; they are deleted again if the block fails."""
    written: list = []
    try:
        yield written
    except BaseException:
        for field in written:
            field.storage.delete(field.name)
        raise


def _store(activity: Activity, cleaned: Sequence[CleanFile], actor, written: list) -> list[Evidence]:
    stored = []
    for clean in cleaned:
        stem = uuid.uuid4().hex
        evidence = Evidence(
            activity=activity,
            name=clean.name[:100],
            kind=EvidenceKind.IMAGE if clean.kind == "image" else EvidenceKind.DOCUMENT,
            content_type=clean.content_type,
            size=len(clean.content),
            width=clean.width,
            height=clean.height,
            added_by=actor,
        )
        extension = clean.name.rsplit(".", 1)[-1]
        evidence.file.save(f"{stem}.{extension}", ContentFile(clean.content), save=False)
        written.append(evidence.file)
        if evidence.is_image:
            evidence.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(_thumbnail(clean.content)), save=False)
            written.append(evidence.thumbnail)
        evidence.save()
        stored.append(evidence)
    return stored


def _gather(errors: dict, check, *args, **kwargs):
    """Run one check; its refusals join ``errors`` (field → messages) so the user sees them all at once."""
    try:
        return check(*args, **kwargs)
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
        return None


def _require_party(actor, pairing: Pairing, message: str) -> str:
    side = party_of(actor, pairing)
    if side is None:
        raise PermissionDenied(message)
    return side


# ---------------------------------------------------------------------------------------------------------------
# Recording


def record_activity(
    *,
    actor,
    pairing: Pairing,
    occurred_on: dt.date,
    duration_min: int,
    method: str,
    content_areas: Sequence[str],
    summary: str,
    place: Region | None = None,
    on_site: bool | None = None,
    problems_solved: Sequence[str] = (),
    files: Iterable = (),
    lng: float | None = None,
    lat: float | None = None,
    accuracy_m: float | None = None,
) -> Activity:
    """The mentor or the apprentice records an activity of their running pairing; the other side confirms it.

    ``place`` defaults to the pairing's region and ``on_site`` to "the place is a village". The counterpart's
    window (the programme's ``confirm_within_days``) is fixed now, so a later rule change does not move it.
    """
    side = _require_party(
        actor, pairing, _("Only the mentor and the apprentice of this pairing record its activities.")
    )
    if pairing.status not in RUNNING_STATES:
        raise ValidationError(
            {
                "pairing": _("Activities are recorded for a running pairing; this one is “%(status)s”.")
                % {"status": pairing.get_status_display()}
            }
        )
    errors: dict[str, list[str]] = {}
    data = {
        "occurred_on": occurred_on,
        "duration_min": duration_min,
        "method": method,
        "content_areas": content_areas,
        "place": place or pairing.region,
        "on_site": on_site,
        "summary": summary,
        "problems_solved": problems_solved,
    }
    fields = _gather(errors, _clean_fields, pairing, data)
    location = _gather(errors, _clean_location, lng, lat, accuracy_m)
    cleaned = _gather(errors, _clean_files, files, attached=0)
    if errors:
        raise ValidationError(errors)
    confirm_due = timezone.localdate() + dt.timedelta(days=pairing.programme.policy.confirm_within_days)
    with transaction.atomic(), _files_kept_only_on_success() as written:
        activity = Activity.objects.create(
            pairing=pairing,
            region_id=pairing.region_id,
            logged_by=actor,
            logged_as=side,
            confirm_due=confirm_due,
            **fields,
            **location,
        )
        _store(activity, cleaned, actor, written)
        _event(activity, actor, ActivityAction.RECORD)
    return activity


# ---------------------------------------------------------------------------------------------------------------
# Correcting


def _shown(activity: Activity, field: str):
    """A field's value as the history keeps it: codes for choices, the place's name, ISO dates."""
    value = getattr(activity, field)
    if field == "place":
        return value.name
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def correction_needs_note(activity: Activity) -> bool:
    """Once confirmed or checked, an entry changes only with a note saying what was corrected and why."""
    return activity.status == ActivityStatus.CONFIRMED or activity.verification != Verification.UNREVIEWED


def correct_activity(
    *,
    actor,
    activity: Activity,
    note: str = "",
    files: Iterable = (),
    remove_evidence: Sequence[int] = (),
    **changes,
) -> Activity:
    """The author corrects an entry: freely until it is confirmed, afterwards only with a correction note.

    The history keeps every changed field (before and after), the files added and removed, and the note.
    """
    if activity.logged_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who recorded an activity corrects it."))
    if activity.status == ActivityStatus.WITHDRAWN:
        raise ValidationError(_("A withdrawn activity cannot be corrected."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(
            _("These fields cannot be corrected: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if correction_needs_note(activity) and not note:
        errors["note"] = [_("This activity has been confirmed or checked; say what you corrected and why.")]
    current = {field: getattr(activity, field) for field in EDITABLE}
    current["place"] = activity.place
    merged = {**current, **{k: v for k, v in changes.items() if v is not None or k == "on_site"}}
    fields = _gather(errors, _clean_fields, activity.pairing, merged)
    attached = {e.pk: e for e in activity.evidence.shown()}
    removing = [attached[pk] for pk in dict.fromkeys(remove_evidence) if pk in attached]
    if len(removing) != len(set(remove_evidence)):
        errors.setdefault("remove_evidence", []).append(_("That file is not attached to this activity."))
    cleaned = _gather(errors, _clean_files, files, attached=len(attached) - len(removing))
    if errors:
        raise ValidationError(errors)

    before = {field: _shown(activity, field) for field in EDITABLE}
    after = {field: _shown(Activity(**fields), field) for field in EDITABLE}
    diff = {field: [before[field], after[field]] for field in EDITABLE if before[field] != after[field]}
    if removing:
        diff["removed_files"] = [e.name for e in removing]
    if cleaned:
        diff["added_files"] = [c.name for c in cleaned]
    if not diff:
        raise ValidationError(_("Nothing has changed."))

    with transaction.atomic(), _files_kept_only_on_success() as written:
        updated = Activity.objects.filter(
            pk=activity.pk, revision=activity.revision, status=activity.status
        ).update(**fields, revision=F("revision") + 1, updated_at=timezone.now())
        if not updated:
            raise ValidationError(
                _("This activity has just been changed (now “%(status)s”); nothing was corrected. Reload it.")
                % {"status": Activity.objects.get(pk=activity.pk).get_status_display()}
            )
        _store(activity, cleaned, actor, written)
        if removing:
            Evidence.objects.filter(pk__in=[e.pk for e in removing]).update(removed_at=timezone.now())
        _event(activity, actor, ActivityAction.CORRECT, note, diff)
    activity.refresh_from_db()
    return activity


# ---------------------------------------------------------------------------------------------------------------
# Confirming, withdrawing, checking


def confirm_activity(*, actor, activity: Activity) -> Activity:
    """The counterpart confirms the entry within the programme's window; once only."""
    side = _require_party(
        actor, activity.pairing, _("Only the other party of the pairing confirms an activity.")
    )
    if activity.logged_by_id == actor.pk:
        raise ValidationError(_("You recorded this activity yourself; the other party confirms it."))
    if side == activity.logged_as:
        raise ValidationError(
            _("A mentor's entry is confirmed by the apprentice.")
            if side == Side.MENTOR
            else _("An apprentice's entry is confirmed by the mentor.")
        )
    _refuse_unless_open(activity)
    if activity.is_overdue():
        raise ValidationError(
            _(
                "The window for confirming closed on %(date)s; the activity stays unconfirmed. "
                "The township committee or the organisation department can still check it."
            )
            % {"date": activity.confirm_due.isoformat()}
        )
    now = timezone.now()
    with transaction.atomic():
        done = Activity.objects.filter(pk=activity.pk, status=ActivityStatus.RECORDED).update(
            status=ActivityStatus.CONFIRMED, confirmed_at=now, confirmed_by=actor, updated_at=now
        )
        if not done:
            activity.refresh_from_db()
            _refuse_unless_open(activity)
        _event(activity, actor, ActivityAction.CONFIRM)
    activity.refresh_from_db()
    return activity


def _refuse_unless_open(activity: Activity) -> None:
    if activity.status == ActivityStatus.CONFIRMED:
        who = activity.confirmed_by or _("(no account)")
        raise ValidationError(
            _("This activity was already confirmed on %(date)s by %(name)s; nothing was changed.")
            % {"date": timezone.localdate(activity.confirmed_at).isoformat(), "name": who}
        )
    if activity.status == ActivityStatus.WITHDRAWN:
        raise ValidationError(_("This activity has been withdrawn by its author."))


def withdraw_activity(*, actor, activity: Activity, reason: str) -> Activity:
    """The author withdraws an entry made in error, before it is confirmed; it stays in the history."""
    if activity.logged_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who recorded an activity withdraws it."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    with transaction.atomic():
        done = Activity.objects.filter(pk=activity.pk, status=ActivityStatus.RECORDED).update(
            status=ActivityStatus.WITHDRAWN, updated_at=timezone.now()
        )
        if not done:
            activity.refresh_from_db()
            if activity.status == ActivityStatus.CONFIRMED:
                raise ValidationError(
                    _("A confirmed activity cannot be withdrawn; correct it with a note instead.")
                )
            _refuse_unless_open(activity)
        _event(activity, actor, ActivityAction.WITHDRAW, reason)
    activity.refresh_from_db()
    return activity


def verify_activity(*, actor, activity: Activity, verdict: str, note: str = "") -> Activity:
    """The township committee or the organisation department of the region marks an entry verified or questionable."""
    if not actor.scope.edits(activity.region.path):
        raise PermissionDenied(_("The township committee or the organisation department checks the ledger."))
    if verdict not in VERDICT_ACTIONS:
        raise ValidationError({"verdict": _("Choose verified or questionable.")})
    note = (note or "").strip()
    if verdict == Verification.QUESTIONABLE and not note:
        raise ValidationError({"note": _("Say what is questionable, so the parties can answer it.")})
    if activity.status == ActivityStatus.WITHDRAWN:
        raise ValidationError(_("This activity has been withdrawn by its author."))
    if activity.verification == verdict:
        raise ValidationError(
            _("This activity is already marked “%(verdict)s”; nothing was changed.")
            % {"verdict": activity.get_verification_display()}
        )
    now = timezone.now()
    with transaction.atomic():
        done = Activity.objects.filter(pk=activity.pk, verification=activity.verification).update(
            verification=verdict, verification_note=note, verified_by=actor, verified_at=now, updated_at=now
        )
        if not done:
            raise ValidationError(
                _("Someone has just checked this activity; reload it to see their verdict.")
            )
        _event(activity, actor, VERDICT_ACTIONS[verdict], note)
    activity.refresh_from_db()
    return activity


# ---------------------------------------------------------------------------------------------------------------
# 复盘 reviews


def write_review(
    *, actor, pairing: Pairing, activities: Sequence[Activity], lessons: str, next_steps: str
) -> Review:
    """The mentor writes a 复盘: lessons and next steps over activities of the same pairing."""
    side = _require_party(actor, pairing, _("The mentor of this pairing writes its 复盘 reviews."))
    if side != Side.MENTOR:
        raise PermissionDenied(_("The mentor of this pairing writes its 复盘 reviews."))
    if pairing.status not in RUNNING_STATES:
        raise ValidationError(_("Reviews are written for a running pairing."))
    errors: dict[str, list[str]] = {}
    activities = list({a.pk: a for a in activities}.values())
    if not activities:
        errors["activities"] = [_("Choose the activities this review looks back on.")]
    elif any(a.pairing_id != pairing.pk for a in activities):
        errors["activities"] = [_("A review covers activities of its own pairing only.")]
    elif any(a.status == ActivityStatus.WITHDRAWN for a in activities):
        errors["activities"] = [_("A withdrawn activity cannot be reviewed.")]
    for field, text in (("lessons", lessons), ("next_steps", next_steps)):
        text = (text or "").strip()
        if not text:
            errors[field] = [_("This field is required.")]
        elif len(text) > MAX_REVIEW_TEXT:
            errors[field] = [_("At most %(n)d characters.") % {"n": MAX_REVIEW_TEXT}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = Review.objects.create(
            pairing=pairing, written_by=actor, lessons=lessons.strip(), next_steps=next_steps.strip()
        )
        review.activities.set(activities)
        ActivityEvent.objects.bulk_create(
            [
                ActivityEvent(
                    activity=a, actor=actor, action=ActivityAction.REVIEW, changes={"review": review.pk}
                )
                for a in activities
            ]
        )
    return review
