"""Teaching sites and open classes: registering sites, scheduling classes, enrolment, assignment and attendance.

Seats are a counter on the class (``OpenClass.enrolled_count``) taken with a compare-and-set
(``UPDATE … SET enrolled_count = enrolled_count + 1 WHERE id = ? AND enrolled_count < capacity``) and backed by a
check constraint, so concurrent enrolments never over-fill a class on SQLite or PostgreSQL; one seat per cadre
is a partial unique index. A check-in is a compare-and-set on the enrolment (``attended_at IS NULL``), so a
second scan changes nothing. Every refusal is a ValidationError or PermissionDenied with a translated message,
raised before anything is written or inside the transaction that it rolls back.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.apprentices.models import Apprentice
from bangdai.core.choices import ContentArea, Method
from bangdai.core.uploads import clean_upload
from bangdai.matching import engine
from bangdai.matching.problem import MatchError, MentorIn, Problem, Rules, Weights
from bangdai.matching.selectors import apprentice_input, places
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.programmes.services import check_open
from bangdai.regions.choices import Level
from bangdai.regions.models import subtree_bounds, subtree_q

from . import rules
from .choices import (
    AssignmentStatus,
    CheckInMethod,
    ClassStatus,
    EnrolmentSource,
    EnrolmentStatus,
    SiteLevel,
    SiteStatus,
    TeachingAction,
)
from .models import (
    ACTIVE_APPRENTICE,
    AssignmentRow,
    ClassAssignment,
    ClassMaterial,
    Enrolment,
    OpenClass,
    TeachingEvent,
    TeachingSite,
)

CHECKIN_OPENS_BEFORE = dt.timedelta(minutes=30)  # apprentices arrive early; the code works from then
LIST_GRACE = dt.timedelta(days=3)  # the host may complete the check list up to three days after the class
MAX_CLASS_LENGTH = dt.timedelta(hours=12)  # one session, not a course of several days
MAX_CAPACITY = 500
MAX_COURSES = 50
MAX_MATERIALS = 20
CHECKIN_SALT = "bangdai.teaching.checkin"
# Assignment by the matching engine: nearness and the topics an apprentice needs decide; the criteria of
# mentor-apprentice matching that make no sense for a class (tier, locality, balance, continuity) weigh nothing.
ASSIGN_WEIGHTS = Weights(distance=60, coverage=40, tier_fit=0, locality=0, balance=0, continuity=0)
ASSIGN_MAX_DISTANCE_KM = 50


def _event(actor, action, *, site=None, open_class=None, reason="") -> TeachingEvent:
    return TeachingEvent.objects.create(
        site=site, open_class=open_class, actor=actor, action=action, reason=reason
    )


def _time(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def covers(root_path: str, path: str) -> bool:
    low, high = subtree_bounds(root_path)
    return low <= path < high


# ---------------------------------------------------------------------------------------------- teaching sites


def _areas(values, field: str, errors: dict, empty_message: str) -> list[str]:
    values = list(dict.fromkeys(values or []))
    if not values:
        errors[field] = empty_message
    elif set(values) - set(ContentArea.values):
        errors[field] = _("Choose content areas from the list.")
    return values


def _courses(values: Iterable[str], errors: dict) -> list[str]:
    courses = list(dict.fromkeys(c.strip() for c in values or [] if c and c.strip()))
    if len(courses) > MAX_COURSES:
        errors["courses"] = _("At most %(n)d courses.") % {"n": MAX_COURSES}
    elif any(len(c) > 100 for c in courses):
        errors["courses"] = _("A course title has at most 100 characters.")
    return courses


def _capacity(value, limit: int, field: str, errors: dict) -> None:
    if not isinstance(value, int) or not 1 <= value <= limit:
        errors[field] = _("Enter a number of seats from 1 to %(limit)d.") % {"limit": limit}


def _site_fields(actor, data: dict, site: TeachingSite | None) -> dict:
    """Check a site's fields; returns them cleaned or raises ValidationError with every problem."""
    errors: dict[str, str] = {}
    village = data["village"]
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the site a name.")
    if village.depth != Level.VILLAGE or village.valid_to is not None:
        errors["village"] = _("Choose a current village or community as the host village.")
    themes = _areas(data.get("themes"), "themes", errors, _("Choose at least one theme."))
    courses = _courses(data.get("courses"), errors)
    capacity = data.get("capacity_per_session")
    _capacity(capacity, MAX_CAPACITY, "capacity_per_session", errors)
    level = data.get("level")
    if level not in SiteLevel.values:
        errors["level"] = _("Choose the site's level.")
    elif "village" not in errors and level not in rules.site_levels(actor, village):
        errors["level"] = _(
            "A %(level)s site is designated by the organisation department of that level."
        ) % {"level": SiteLevel(level).label}
    hosts = list(dict.fromkeys(data.get("host_mentors") or []))
    for mentor in hosts:
        if mentor.status != MentorStatus.ACTIVE:
            errors["host_mentors"] = _("%(name)s is not an appointed mentor.") % {"name": mentor}
    if site is not None and "capacity_per_session" not in errors:
        larger = site.classes.upcoming().filter(capacity__gt=capacity).order_by("starts_at").first()
        if larger is not None:
            errors["capacity_per_session"] = _(
                "The upcoming class “%(title)s” has %(n)d seats; lower its capacity first."
            ) % {"title": larger.title, "n": larger.capacity}
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "village": village,
        "themes": themes,
        "courses": courses,
        "capacity_per_session": capacity,
        "level": level,
        "academy": (data.get("academy") or "").strip(),
        "description": (data.get("description") or "").strip(),
        "host_mentors": hosts,
    }


SITE_FIELDS = (
    "name",
    "village",
    "themes",
    "courses",
    "capacity_per_session",
    "level",
    "academy",
    "description",
)


def _save_site(site: TeachingSite, values: dict) -> TeachingSite:
    hosts = values.pop("host_mentors")
    for key, value in values.items():
        setattr(site, key, value)
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError:
        raise ValidationError(
            {"name": _("%(village)s already has a teaching site of this name.") % {"village": site.village}}
        ) from None
    site.host_mentors.set(hosts)
    return site


@transaction.atomic
def register_site(*, actor, village, **data) -> TeachingSite:
    """An organisation department registers a teaching site in a village of its region."""
    if not rules.manages_site(actor, village):
        raise PermissionDenied(_("You cannot register a teaching site outside your jurisdiction."))
    values = _site_fields(actor, {**data, "village": village}, None)
    site = _save_site(TeachingSite(created_by=actor), values)
    _event(actor, TeachingAction.SITE_REGISTERED, site=site)
    return site


@transaction.atomic
def update_site(*, actor, site: TeachingSite, **data) -> TeachingSite:
    """Change a site's details; moving it to another village needs rights over both."""
    village = data.get("village") or site.village
    if not (rules.manages_site(actor, site.village) and rules.manages_site(actor, village)):
        raise PermissionDenied(_("You may not change this teaching site."))
    site = TeachingSite.objects.select_for_update().select_related("village").get(pk=site.pk)
    current = {f: getattr(site, f) for f in SITE_FIELDS}
    current["host_mentors"] = list(site.host_mentors.all())
    values = _site_fields(actor, {**current, **data, "village": village}, site)
    changed = [f for f in SITE_FIELDS if values[f] != current[f]]
    if {m.pk for m in current["host_mentors"]} != {m.pk for m in values["host_mentors"]}:
        changed.append("host_mentors")
    site = _save_site(site, values)
    if changed:
        names = [str(TeachingSite._meta.get_field(f).verbose_name) for f in changed]
        _event(actor, TeachingAction.SITE_CHANGED, site=site, reason="、".join(names))
    return site


def _site_cas(site: TeachingSite, source: str, target: str) -> None:
    if not TeachingSite.objects.filter(pk=site.pk, status=source).update(
        status=target, updated_at=timezone.now()
    ):
        site.refresh_from_db()
        raise ValidationError(
            _("This site is already “%(status)s”; nothing was changed.")
            % {"status": site.get_status_display()}
        )
    site.status = target


@transaction.atomic
def close_site(*, actor, site: TeachingSite, reason: str) -> TeachingSite:
    """Stop using a site; its classes to come must be cancelled or moved first."""
    if not rules.manages_site(actor, site.village):
        raise PermissionDenied(_("You may not close this teaching site."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason.")})
    upcoming = site.classes.upcoming().count()
    if upcoming:
        raise ValidationError(
            _("%(n)d upcoming classes are scheduled at this site; cancel or move them first.")
            % {"n": upcoming}
        )
    _site_cas(site, SiteStatus.ACTIVE, SiteStatus.CLOSED)
    _event(actor, TeachingAction.SITE_CLOSED, site=site, reason=reason.strip())
    return site


@transaction.atomic
def reopen_site(*, actor, site: TeachingSite) -> TeachingSite:
    if not rules.manages_site(actor, site.village):
        raise PermissionDenied(_("You may not reopen this teaching site."))
    _site_cas(site, SiteStatus.CLOSED, SiteStatus.ACTIVE)
    _event(actor, TeachingAction.SITE_REOPENED, site=site)
    return site


# ---------------------------------------------------------------------------------------------- open classes


def _class_times(starts_at, ends_at, now, errors: dict) -> None:
    if starts_at is None or ends_at is None:
        errors["starts_at"] = _("Give the start and the end of the class.")
        return
    if starts_at <= now:
        errors["starts_at"] = _("The class must start in the future.")
    if ends_at <= starts_at:
        errors["ends_at"] = _("The class must end after it starts.")
    elif ends_at - starts_at > MAX_CLASS_LENGTH:
        errors["ends_at"] = _("A class lasts at most %(n)d hours.") % {"n": MAX_CLASS_LENGTH.seconds // 3600}


def _overlapping(queryset, starts_at, ends_at, exclude=None):
    found = queryset.scheduled().filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.order_by("starts_at").first()


def _class_fields(*, mentor, site, village, data: dict, now, open_class=None) -> dict:
    """Check a class's fields against its mentor, site and village; raises ValidationError with every problem."""
    errors: dict[str, str] = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = _("Give the class a title.")
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    _class_times(starts_at, ends_at, now, errors)
    areas = _areas(data.get("content_areas"), "content_areas", errors, _("Choose at least one content area."))
    method = data.get("method") or Method.ONSITE_TEACHING
    if method not in Method.values:
        errors["method"] = _("Choose a method from the list.")
    limit = site.capacity_per_session if site is not None else MAX_CAPACITY
    capacity = data.get("capacity")
    _capacity(capacity, limit, "capacity", errors)
    if open_class is not None and "capacity" not in errors and capacity < open_class.enrolled_count:
        errors["capacity"] = _(
            "%(n)d apprentices have enrolled already; the class needs at least as many seats."
        ) % {"n": open_class.enrolled_count}
    if "starts_at" not in errors and "ends_at" not in errors:
        clash = _overlapping(
            OpenClass.objects.filter(mentor__person_id=mentor.person_id), starts_at, ends_at, open_class
        )
        if clash is not None:
            errors["starts_at"] = _("%(mentor)s gives “%(title)s” at that time (%(start)s).") % {
                "mentor": mentor,
                "title": clash.title,
                "start": _time(clash.starts_at),
            }
        elif site is not None:
            clash = _overlapping(site.classes.all(), starts_at, ends_at, open_class)
            if clash is not None:
                errors["starts_at"] = _("The site holds “%(title)s” at that time (%(start)s).") % {
                    "title": clash.title,
                    "start": _time(clash.starts_at),
                }
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "content_areas": areas,
        "method": method,
        "capacity": capacity,
        "place": (data.get("place") or "").strip(),
        "description": (data.get("description") or "").strip(),
    }


def _where(mentor: Mentor, site: TeachingSite | None, village) -> object:
    """The class's village: the site's, or the one chosen; it must lie in the mentor's programme."""
    programme_path = mentor.programme.region.path
    if site is not None:
        if site.status != SiteStatus.ACTIVE:
            raise ValidationError({"site": _("The teaching site %(site)s is closed.") % {"site": site}})
        hosts = site.host_mentors.filter(pk=mentor.pk).exists()
        if not hosts and not covers(programme_path, site.village.path):
            raise ValidationError(
                {
                    "site": _("%(site)s lies outside the programme of %(mentor)s.")
                    % {"site": site, "mentor": mentor}
                }
            )
        return site.village
    if village is None:
        raise ValidationError(
            {"village": _("Choose a teaching site or the village where the class is held.")}
        )
    if village.depth != Level.VILLAGE or village.valid_to is not None:
        raise ValidationError({"village": _("Choose a current village or community.")})
    if not covers(programme_path, village.path):
        raise ValidationError(
            {
                "village": _("%(village)s lies outside the programme of %(mentor)s.")
                % {"village": village, "mentor": mentor}
            }
        )
    return village


@transaction.atomic
def schedule_class(
    *, actor, mentor: Mentor, site: TeachingSite | None = None, village=None, now=None, **data
):
    """A mentor (or an editor of the village, for a mentor) schedules an open class at a site or in a village."""
    now = now or timezone.now()
    if site is not None:
        site = TeachingSite.objects.select_for_update().select_related("village").get(pk=site.pk)
    own = bool(actor.person_id) and actor.person_id == mentor.person_id
    refused = _(
        "Only the mentor, or the township committee or organisation department of the village, "
        "schedules this class."
    )
    if not own and not actor.scope.has_role(*EDITING_ROLES):
        raise PermissionDenied(refused)
    where = _where(mentor, site, village)
    if not own and not actor.scope.edits(where.path):
        raise PermissionDenied(refused)
    if mentor.status != MentorStatus.ACTIVE:
        raise ValidationError({"mentor": _("%(name)s is not an appointed mentor.") % {"name": mentor}})
    check_open(mentor.programme)
    values = _class_fields(mentor=mentor, site=site, village=where, data=data, now=now)
    open_class = OpenClass.objects.create(mentor=mentor, site=site, village=where, created_by=actor, **values)
    _event(actor, TeachingAction.CLASS_SCHEDULED, open_class=open_class)
    return open_class


def _manages(actor, open_class: OpenClass, message: str) -> None:
    if not rules.manages_class(actor, open_class):
        raise PermissionDenied(message)


@transaction.atomic
def update_class(*, actor, open_class: OpenClass, now=None, **data) -> OpenClass:
    """Change a class that has not begun; its seats never drop below those taken."""
    now = now or timezone.now()
    _manages(actor, open_class, _("You may not change this class."))
    open_class = (
        OpenClass.objects.select_for_update(of=("self",))
        .select_related("site", "mentor__programme")
        .get(pk=open_class.pk)
    )
    if open_class.status != ClassStatus.SCHEDULED:
        raise ValidationError(_("This class was cancelled; it can no longer be changed."))
    if open_class.starts_at <= now:
        raise ValidationError(_("This class has begun; it can no longer be changed."))
    fields = ("title", "starts_at", "ends_at", "content_areas", "method", "capacity", "place", "description")
    current = {f: getattr(open_class, f) for f in fields}
    values = _class_fields(
        mentor=open_class.mentor,
        site=open_class.site,
        village=open_class.village,
        data={**current, **{k: v for k, v in data.items() if k in fields}},
        now=now,
        open_class=open_class,
    )
    changed = [f for f in fields if values[f] != current[f]]
    if not changed:
        return open_class
    # The seat count is checked in the same statement, so an enrolment landing meanwhile is never lost.
    if not OpenClass.objects.filter(pk=open_class.pk, enrolled_count__lte=values["capacity"]).update(
        **values, updated_at=now
    ):
        raise ValidationError(
            {"capacity": _("More apprentices have enrolled meanwhile; raise the capacity.")}
        )
    for key, value in values.items():
        setattr(open_class, key, value)
    names = [str(OpenClass._meta.get_field(f).verbose_name) for f in changed]
    _event(actor, TeachingAction.CLASS_CHANGED, open_class=open_class, reason="、".join(names))
    return open_class


@transaction.atomic
def cancel_class(*, actor, open_class: OpenClass, reason: str, now=None) -> OpenClass:
    """Call off a class that has not ended; its enrolments are kept as they were."""
    now = now or timezone.now()
    _manages(actor, open_class, _("You may not cancel this class."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason.")})
    if open_class.ends_at <= now:
        raise ValidationError(_("This class has ended; it can no longer be cancelled."))
    if not OpenClass.objects.filter(pk=open_class.pk, status=ClassStatus.SCHEDULED).update(
        status=ClassStatus.CANCELLED, cancel_reason=reason.strip(), updated_at=now
    ):
        raise ValidationError(_("This class was cancelled already; nothing was changed."))
    open_class.status, open_class.cancel_reason = ClassStatus.CANCELLED, reason.strip()
    _event(actor, TeachingAction.CLASS_CANCELLED, open_class=open_class, reason=reason.strip())
    return open_class


@transaction.atomic
def add_material(*, actor, open_class: OpenClass, file, name: str = "") -> ClassMaterial:
    """Attach a handout (PDF) or photo; the file is checked and re-encoded before anything is stored."""
    _manages(actor, open_class, _("You may not add materials to this class."))
    if open_class.status != ClassStatus.SCHEDULED:
        raise ValidationError({"file": _("This class was cancelled.")})
    if open_class.materials.count() >= MAX_MATERIALS:
        raise ValidationError({"file": _("A class has at most %(n)d materials.") % {"n": MAX_MATERIALS}})
    try:
        clean = clean_upload(file, name)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    material = ClassMaterial(
        open_class=open_class,
        name=clean.name,
        content_type=clean.content_type,
        size=len(clean.content),
        uploaded_by=actor,
    )
    material.file.save(clean.name, ContentFile(clean.content), save=False)
    material.save()
    _event(actor, TeachingAction.MATERIAL_ADDED, open_class=open_class, reason=clean.name)
    return material


def remove_material(*, actor, material: ClassMaterial) -> None:
    open_class = material.open_class
    _manages(actor, open_class, _("You may not remove materials of this class."))
    with transaction.atomic():
        name = material.name
        stored = material.file.name
        material.delete()
        _event(actor, TeachingAction.MATERIAL_REMOVED, open_class=open_class, reason=name)
        # The file goes only once the row is gone for good.
        transaction.on_commit(lambda: material.file.storage.delete(stored))


# ---------------------------------------------------------------------------------------------- enrolment


def enrolling_apprentice(person_id: int | None, open_class: OpenClass) -> Apprentice | None:
    """The cadre's active apprentice record through which they may enrol themselves: one of a programme whose
    region covers the class's village, the class's own programme first."""
    if not person_id:
        return None
    candidates = [
        a
        for a in Apprentice.objects.filter(person_id=person_id, status__in=ACTIVE_APPRENTICE).select_related(
            "programme__region", "person", "region"
        )
        if covers(a.programme.region.path, open_class.village.path)
    ]
    candidates.sort(key=lambda a: (a.programme_id != open_class.mentor.programme_id, a.pk))
    return candidates[0] if candidates else None


def _take_seat(open_class: OpenClass) -> None:
    taken = OpenClass.objects.filter(
        pk=open_class.pk, status=ClassStatus.SCHEDULED, enrolled_count__lt=F("capacity")
    ).update(enrolled_count=F("enrolled_count") + 1)
    if not taken:
        open_class.refresh_from_db()
        if open_class.status != ClassStatus.SCHEDULED:
            raise ValidationError(_("This class was cancelled."))
        raise ValidationError(
            _("The class is full (%(taken)d of %(capacity)d seats taken).")
            % {"taken": open_class.enrolled_count, "capacity": open_class.capacity}
        )


def _seat(actor, open_class: OpenClass, apprentice: Apprentice, source: str) -> Enrolment:
    _take_seat(open_class)
    try:
        with transaction.atomic():
            return Enrolment.objects.create(
                open_class=open_class,
                apprentice=apprentice,
                person_id=apprentice.person_id,
                source=source,
                enrolled_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            _("%(name)s is enrolled in this class already.") % {"name": apprentice.person.name}
        ) from None


def _open_for_enrolment(open_class: OpenClass, until: dt.datetime, now) -> None:
    if open_class.status != ClassStatus.SCHEDULED:
        raise ValidationError(_("This class was cancelled."))
    if now >= until:
        raise ValidationError(
            _("Enrolment has closed: the class began at %(start)s.") % {"start": _time(open_class.starts_at)}
        )


@transaction.atomic
def enrol_self(*, actor, open_class: OpenClass, now=None) -> Enrolment:
    """An apprentice of a programme covering the class's village takes a seat, before the class begins."""
    now = now or timezone.now()
    if not actor.person_id:
        raise PermissionDenied(_("Only apprentices enrol themselves in open classes."))
    apprentice = enrolling_apprentice(actor.person_id, open_class)
    if apprentice is None:
        raise ValidationError(_("You are not an apprentice of a programme this class is open to."))
    if open_class.mentor.person_id == actor.person_id:
        raise ValidationError(_("You teach this class."))
    _open_for_enrolment(open_class, open_class.starts_at, now)
    return _seat(actor, open_class, apprentice, EnrolmentSource.SELF)


@transaction.atomic
def enrol(
    *, actor, open_class: OpenClass, apprentices: Sequence[Apprentice], source=EnrolmentSource.ADMIN, now=None
) -> list[Enrolment]:
    """An organiser enrols apprentices of their choice: every one of them, or (with the reasons) none."""
    now = now or timezone.now()
    if not rules.organises(actor, open_class):
        raise PermissionDenied(_("Only the township committee or the organisation department enrols others."))
    if not apprentices:
        raise ValidationError({"apprentices": _("Choose at least one apprentice.")})
    _open_for_enrolment(open_class, open_class.ends_at, now)
    errors = []
    taken = set(
        open_class.enrolments.filter(status=EnrolmentStatus.ENROLLED).values_list("person_id", flat=True)
    )
    for apprentice in apprentices:
        name = apprentice.person.name
        if not actor.scope.edits(apprentice.region.path):
            raise PermissionDenied(_("You cannot enrol an apprentice outside your jurisdiction."))
        if apprentice.status not in ACTIVE_APPRENTICE:
            errors.append(_("%(name)s is no longer in the registry.") % {"name": name})
        elif apprentice.person_id == open_class.mentor.person_id:
            errors.append(_("%(name)s teaches this class.") % {"name": name})
        elif apprentice.person_id in taken:
            errors.append(_("%(name)s is enrolled in this class already.") % {"name": name})
        taken.add(apprentice.person_id)
    free = open_class.capacity - open_class.enrolled_count
    if not errors and len(apprentices) > free:
        errors.append(
            _("%(n)d apprentices chosen, but the class has %(free)d free seats.")
            % {"n": len(apprentices), "free": free}
        )
    if errors:
        raise ValidationError({"apprentices": errors})
    return [_seat(actor, open_class, a, source) for a in apprentices]


def own_seat(actor, open_class: OpenClass) -> Enrolment:
    """The actor's own seat in the class; only cadres hold seats."""
    if not actor.person_id:
        raise PermissionDenied(_("Only apprentices hold seats in open classes."))
    enrolment = (
        open_class.enrolments.select_related("person")
        .filter(person_id=actor.person_id, status=EnrolmentStatus.ENROLLED)
        .first()
    )
    if enrolment is None:
        raise ValidationError(_("You are not enrolled in this class."))
    return enrolment


@transaction.atomic
def withdraw(*, actor, enrolment: Enrolment, now=None) -> Enrolment:
    """The apprentice (or an organiser) gives the seat back before the class begins."""
    now = now or timezone.now()
    open_class = OpenClass.objects.select_related("village").get(pk=enrolment.open_class_id)
    if enrolment.person_id != actor.person_id and not rules.organises(actor, open_class):
        raise PermissionDenied(_("You may not withdraw this enrolment."))
    if open_class.starts_at <= now:
        raise ValidationError(_("The class has begun; the enrolment stays."))
    if not Enrolment.objects.filter(pk=enrolment.pk, status=EnrolmentStatus.ENROLLED).update(
        status=EnrolmentStatus.WITHDRAWN, withdrawn_at=now
    ):
        raise ValidationError(_("This enrolment was withdrawn already; nothing was changed."))
    OpenClass.objects.filter(pk=open_class.pk, enrolled_count__gt=0).update(
        enrolled_count=F("enrolled_count") - 1
    )
    enrolment.status, enrolment.withdrawn_at = EnrolmentStatus.WITHDRAWN, now
    return enrolment


# ---------------------------------------------------------------------------------------------- attendance


def checkin_token(open_class: OpenClass) -> str:
    """The signed token of a class's QR code: it names the class and cannot be forged or altered."""
    return signing.dumps(open_class.pk, salt=CHECKIN_SALT)


def class_id_from_token(token: str) -> int:
    try:
        value = signing.loads(token, salt=CHECKIN_SALT)
    except signing.BadSignature:
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(
            _("This check-in code is not valid. Scan the code shown at the class again."), code="bad_token"
        )
    return value


def checkin_window(open_class: OpenClass) -> tuple[dt.datetime, dt.datetime]:
    return open_class.starts_at - CHECKIN_OPENS_BEFORE, open_class.ends_at


def _in_window(open_class: OpenClass, now, grace=dt.timedelta(0)) -> None:
    if open_class.status != ClassStatus.SCHEDULED:
        raise ValidationError(_("This class was cancelled."), code="cancelled")
    opens, closes = checkin_window(open_class)
    if now < opens:
        raise ValidationError(_("Check-in opens at %(time)s.") % {"time": _time(opens)}, code="not_started")
    if now > closes + grace:
        raise ValidationError(
            _("This class ended at %(time)s; check-in is closed.") % {"time": _time(open_class.ends_at)},
            code="ended",
        )


def _mark(enrolment: Enrolment, actor, method: str, now) -> Enrolment:
    if not Enrolment.objects.filter(
        pk=enrolment.pk, status=EnrolmentStatus.ENROLLED, attended_at__isnull=True
    ).update(attended_at=now, check_in_method=method, checked_in_by=actor):
        enrolment.refresh_from_db()
        if enrolment.status != EnrolmentStatus.ENROLLED:
            raise ValidationError(_("This enrolment was withdrawn."))
        raise ValidationError(
            _("%(name)s checked in already at %(time)s.")
            % {"name": enrolment.person.name, "time": _time(enrolment.attended_at)},
            code="twice",
        )
    enrolment.attended_at, enrolment.check_in_method, enrolment.checked_in_by = now, method, actor
    return enrolment


@transaction.atomic
def check_in(*, actor, open_class: OpenClass, token: str, now=None) -> Enrolment:
    """An enrolled apprentice checks in by scanning the class's code, from shortly before it starts to its end."""
    now = now or timezone.now()
    if class_id_from_token(token) != open_class.pk:
        raise ValidationError(_("This check-in code belongs to another class."), code="bad_token")
    _in_window(open_class, now)
    enrolment = (
        Enrolment.objects.select_related("person")
        .filter(open_class=open_class, person_id=actor.person_id or 0, status=EnrolmentStatus.ENROLLED)
        .first()
    )
    if enrolment is None:
        raise ValidationError(_("You are not enrolled in this class."), code="not_enrolled")
    return _mark(enrolment, actor, CheckInMethod.SCAN, now)


def _list_window(actor, enrolment: Enrolment, now) -> OpenClass:
    open_class = enrolment.open_class
    _manages(actor, open_class, _("Only the class's mentor or its organisers keep the check list."))
    _in_window(open_class, now, grace=LIST_GRACE)
    return open_class


@transaction.atomic
def mark_present(*, actor, enrolment: Enrolment, now=None) -> Enrolment:
    """The host ticks an enrolled apprentice present on the check list."""
    now = now or timezone.now()
    _list_window(actor, enrolment, now)
    return _mark(enrolment, actor, CheckInMethod.LIST, now)


@transaction.atomic
def clear_attendance(*, actor, enrolment: Enrolment, now=None) -> Enrolment:
    """The host takes back a mark made by mistake; the change is recorded with the apprentice's name."""
    now = now or timezone.now()
    open_class = _list_window(actor, enrolment, now)
    if not Enrolment.objects.filter(pk=enrolment.pk, attended_at__isnull=False).update(
        attended_at=None, check_in_method="", checked_in_by=None
    ):
        raise ValidationError(_("%(name)s is not checked in.") % {"name": enrolment.person.name})
    enrolment.attended_at, enrolment.check_in_method, enrolment.checked_in_by = None, "", None
    _event(actor, TeachingAction.ATTENDANCE_CLEARED, open_class=open_class, reason=enrolment.person.name)
    return enrolment


# ---------------------------------------------------------------------------------------------- assignment


def _assignable(actor, classes: Sequence[OpenClass], now) -> None:
    errors = []
    if not classes:
        raise ValidationError({"classes": _("Choose at least one open class.")})
    for open_class in classes:
        if not rules.organises(actor, open_class):
            raise PermissionDenied(
                _("You may not seat apprentices in “%(title)s”.") % {"title": open_class.title}
            )
        if open_class.status != ClassStatus.SCHEDULED or open_class.starts_at <= now:
            errors.append(_("“%(title)s” is not an upcoming class.") % {"title": open_class.title})
        elif not open_class.free_seats:
            errors.append(_("“%(title)s” has no free seat.") % {"title": open_class.title})
    if errors:
        raise ValidationError({"classes": errors})


def assignment_candidates(area, classes: Sequence[OpenClass], programme=None):
    """Active apprentices working in the area who hold no seat in any of the classes yet."""
    seated = Enrolment.objects.filter(open_class__in=classes, status=EnrolmentStatus.ENROLLED).values(
        "person_id"
    )
    candidates = (
        Apprentice.objects.filter(subtree_q(area.path, "region__path"), status__in=ACTIVE_APPRENTICE)
        .exclude(person_id__in=seated)
        .select_related("region", "programme__region", "person")
        .order_by("pk")
    )
    if programme is not None:
        candidates = candidates.filter(programme=programme)
    # One candidate per cadre (a cadre may be an apprentice of two programmes): the lowest record id.
    seen, result = set(), []
    for apprentice in candidates:
        if apprentice.person_id not in seen:
            seen.add(apprentice.person_id)
            result.append(apprentice)
    return result


def _forbidden(candidates, classes, require_topic: bool) -> frozenset[tuple[int, int]]:
    """Pairs the rules of open classes exclude: a programme not covering the class's village, no topic in common
    (when required), or a class at the same time as one the cadre is seated in already."""
    busy = defaultdict(list)
    for person_id, starts_at, ends_at in Enrolment.objects.filter(
        person_id__in=[a.person_id for a in candidates],
        status=EnrolmentStatus.ENROLLED,
        open_class__status=ClassStatus.SCHEDULED,
    ).values_list("person_id", "open_class__starts_at", "open_class__ends_at"):
        busy[person_id].append((starts_at, ends_at))
    pairs = set()
    for apprentice in candidates:
        for open_class in classes:
            clash = any(
                s < open_class.ends_at and e > open_class.starts_at for s, e in busy[apprentice.person_id]
            )
            off_topic = (
                require_topic
                and apprentice.needs
                and not set(apprentice.needs) & set(open_class.content_areas)
            )
            if clash or off_topic or not covers(apprentice.programme.region.path, open_class.village.path):
                pairs.add((apprentice.pk, open_class.pk))
    return frozenset(pairs)


def build_assignment_problem(candidates, classes, *, max_distance_km: float, require_topic: bool) -> Problem:
    """Each class plays a mentor of the matching engine (its free seats the places, its content areas the
    expertise, its village the home) and each candidate an apprentice (needs, workplace)."""
    where = places({a.region for a in candidates} | {c.village for c in classes})
    return Problem(
        apprentices=tuple(apprentice_input(a, where[a.region_id]) for a in candidates),
        mentors=tuple(
            MentorIn(
                id=c.pk,
                person_id=c.mentor.person_id,
                tier=c.mentor.tier,
                titles=frozenset(),
                expertise=frozenset(c.content_areas),
                lng=where[c.village_id].lng or 0.0,
                lat=where[c.village_id].lat or 0.0,
                township=where[c.village_id].township,
                county=where[c.village_id].county,
                load=0,
                capacity=c.free_seats,
            )
            for c in classes
        ),
        weights=ASSIGN_WEIGHTS,
        rules=Rules(max_distance_km=float(max_distance_km)),
        forbidden=_forbidden(candidates, classes, require_topic),
    )


@transaction.atomic
def propose_assignment(
    *,
    actor,
    classes: Sequence[OpenClass],
    area,
    programme=None,
    max_distance_km: float = ASSIGN_MAX_DISTANCE_KM,
    require_topic: bool = True,
    now=None,
) -> ClassAssignment:
    """Seat the area's apprentices in the classes' free seats by distance and topic, optimally (min-cost flow);
    the proposal is kept for an organiser to confirm."""
    now = now or timezone.now()
    if not actor.scope.edits(area.path):
        raise PermissionDenied(_("You cannot seat apprentices of an area outside your jurisdiction."))
    classes = sorted({c.pk: c for c in classes}.values(), key=lambda c: c.pk)
    _assignable(actor, classes, now)
    if not 1 <= max_distance_km <= 500:
        raise ValidationError({"max_distance_km": _("From 1 to 500 km.")})
    candidates = assignment_candidates(area, classes, programme)
    problem = build_assignment_problem(
        candidates, classes, max_distance_km=max_distance_km, require_topic=require_topic
    )
    try:
        result = engine.solve(problem)
    except MatchError as error:
        if error.code == "no_apprentices":
            raise ValidationError(
                _("No apprentice of this area is waiting for a seat in these classes.")
            ) from None
        raise ValidationError(_("These classes have no free seat.")) from None
    if not result.pairs:
        raise ValidationError(
            _(
                "None of the %(n)d apprentices of this area fits these classes within the distance, topic, "
                "programme and time rules."
            )
            % {"n": len(candidates)}
        )
    summary = result.summary
    assignment = ClassAssignment.objects.create(
        region=area,
        programme=programme,
        created_by=actor,
        params={
            "max_distance_km": max_distance_km,
            "require_topic": require_topic,
            "weights": ASSIGN_WEIGHTS.as_dict(),
        },
        summary={
            "candidates": summary.apprentices,
            "seats": sum(c.free_seats for c in classes),
            "assigned": summary.paired,
            "unassigned": summary.unpaired,
            "mean_distance_km": round(summary.mean_distance_km, 2),
            "mean_score": round(summary.mean_score, 2),
            "objective": int(summary.objective),
        },
    )
    assignment.classes.set(classes)
    AssignmentRow.objects.bulk_create(
        [
            AssignmentRow(
                assignment=assignment,
                apprentice_id=p.apprentice_id,
                open_class_id=p.mentor_id,
                score=p.score,
                distance_km=round(p.distance_km, 2),
                coverage=p.breakdown["coverage"],
            )
            for p in result.pairs
        ]
        + [
            AssignmentRow(assignment=assignment, apprentice_id=u.apprentice_id, reason=u.reason)
            for u in result.unpaired
        ]
    )
    return assignment


def _decide(actor, assignment: ClassAssignment, target: str, now) -> None:
    if not actor.scope.edits(assignment.region.path):
        raise PermissionDenied(_("You may not decide on this assignment."))
    if not ClassAssignment.objects.filter(pk=assignment.pk, status=AssignmentStatus.PROPOSED).update(
        status=target, decided_by=actor, decided_at=now
    ):
        assignment.refresh_from_db()
        raise ValidationError(
            _("This assignment is already “%(status)s”; nothing was changed.")
            % {"status": assignment.get_status_display()}
        )
    assignment.status, assignment.decided_by, assignment.decided_at = target, actor, now


@transaction.atomic
def confirm_assignment(*, actor, assignment: ClassAssignment, now=None) -> ClassAssignment:
    """Enrol every proposed apprentice at once; if any seat no longer fits, nothing is enrolled."""
    now = now or timezone.now()
    _decide(actor, assignment, AssignmentStatus.CONFIRMED, now)
    rows = assignment.rows.filter(open_class__isnull=False).select_related(
        "apprentice__person", "apprentice__region", "open_class__village", "open_class__mentor"
    )
    by_class = defaultdict(list)
    for row in rows:
        by_class[row.open_class].append(row.apprentice)
    for open_class, apprentices in sorted(by_class.items(), key=lambda item: item[0].pk):
        open_class.refresh_from_db()
        try:
            enrol(
                actor=actor,
                open_class=open_class,
                apprentices=apprentices,
                source=EnrolmentSource.ASSIGNED,
                now=now,
            )
        except ValidationError as error:
            raise ValidationError(
                _("Nothing was enrolled. “%(title)s”: %(problem)s")
                % {"title": open_class.title, "problem": " ".join(error.messages)}
            ) from None
        _event(
            actor,
            TeachingAction.ASSIGNED,
            open_class=open_class,
            reason=_("%(n)d apprentices seated by assignment %(id)d.")
            % {"n": len(apprentices), "id": assignment.pk},
        )
    return assignment


@transaction.atomic
def discard_assignment(*, actor, assignment: ClassAssignment, now=None) -> ClassAssignment:
    _decide(actor, assignment, AssignmentStatus.DISCARDED, now or timezone.now())
    return assignment
