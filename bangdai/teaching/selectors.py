"""Reads about teaching sites and open classes: a class's phase, what a user may do with it, the personal lists,
the classes an apprentice attended (for the growth file) and the open classes each mentor gave in a year (for
compliance: D2 asks at least four a year of provincial and municipal mentors)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.apprentices.models import Apprentice
from bangdai.core.api.fields import without_private
from bangdai.core.choices import ContentArea, labels
from bangdai.mentors.choices import MentorTier
from bangdai.mentors.models import Mentor

from . import rules, services
from .choices import ClassPhase, ClassStatus, EnrolmentStatus
from .models import ACTIVE_APPRENTICE, Enrolment, OpenClass, programme_reach_q

# D2 default: provincial and municipal mentors give at least four open classes a year. A programme's rules may
# set ``open_classes_per_year``; until they carry that field, this default applies.
DEFAULT_OPEN_CLASSES_PER_YEAR = 4
TARGET_TIERS = (MentorTier.PROVINCIAL, MentorTier.MUNICIPAL)


def phase(open_class: OpenClass, now=None) -> str:
    now = now or timezone.now()
    if open_class.status == ClassStatus.CANCELLED:
        return ClassPhase.CANCELLED
    opens, closes = services.checkin_window(open_class)
    if now > closes:
        return ClassPhase.ENDED
    if now >= opens:
        return ClassPhase.CHECK_IN
    return ClassPhase.UPCOMING


def classes_for_lists(queryset):
    """Classes with their mentor, site and village; the mentor's ID number and phone are not loaded (decrypted)."""
    return queryset.select_related("mentor__person", "site", "village").defer(
        *without_private("mentor__person")
    )


def site_classes(user, site, now=None):
    """The site's classes the user may see, upcoming first, then the last ten held."""
    now = now or timezone.now()
    visible = classes_for_lists(OpenClass.objects.visible_to(user).filter(site=site))
    upcoming = list(visible.filter(ends_at__gte=now).order_by("starts_at", "pk"))
    past = list(visible.filter(ends_at__lt=now).order_by("-starts_at", "-pk")[:10])
    return upcoming, past


@dataclass
class ClassView:
    """What the signed-in user sees and may do on a class's page."""

    phase: str
    host: bool  # the class's mentor
    organiser: bool  # township committee or organisation department over the village
    own_enrolment: Enrolment | None
    can_enrol: bool
    enrol_blocker: str = ""  # why an apprentice cannot enrol (shown instead of the button)

    @property
    def manages(self) -> bool:
        return self.host or self.organiser

    @property
    def sees_roster(self) -> bool:
        return self.manages


def own_enrolment(user, open_class: OpenClass) -> Enrolment | None:
    """The user's own seat in the class, if their cadre holds one."""
    if not user.person_id:
        return None
    return (
        open_class.enrolments.filter(person_id=user.person_id, status=EnrolmentStatus.ENROLLED)
        .select_related("person")
        .first()
    )


def class_view(user, open_class: OpenClass, now=None) -> ClassView:
    now = now or timezone.now()
    current = phase(open_class, now)
    own = own_enrolment(user, open_class)
    can_enrol, blocker = False, ""
    eligible = (
        own is None
        and open_class.mentor.person_id != user.person_id
        and services.enrolling_apprentice(user.person_id, open_class) is not None
    )
    if eligible:
        if open_class.status != ClassStatus.SCHEDULED or open_class.starts_at <= now:
            blocker = "closed"
        elif not open_class.free_seats:
            blocker = "full"
        else:
            can_enrol = True
    return ClassView(
        phase=current,
        host=rules.is_host(user, open_class),
        organiser=rules.organises(user, open_class),
        own_enrolment=own,
        can_enrol=can_enrol,
        enrol_blocker=blocker,
    )


def roster(open_class: OpenClass):
    """The class's enrolled apprentices for the check list, in name order."""
    return (
        open_class.enrolments.filter(status=EnrolmentStatus.ENROLLED)
        .select_related("person", "apprentice__region", "checked_in_by")
        .order_by("person__name", "pk")
    )


def enrollable_apprentices(user, open_class: OpenClass):
    """Apprentices an organiser may enrol: active, in their editing scope, without a seat in the class."""
    seated = open_class.enrolments.filter(status=EnrolmentStatus.ENROLLED).values("person_id")
    return (
        Apprentice.objects.visible_to(user)
        .filter(user.scope.governed_q("region__path", roles=EDITING_ROLES), status__in=ACTIVE_APPRENTICE)
        .exclude(person_id__in=seated)
        .exclude(person_id=open_class.mentor.person_id)
        .select_related("person", "region", "programme")
        .order_by("person__name", "pk")
    )


def schedulable_mentors(user):
    """Mentors for whom the user may schedule a class: their own appointed mentor records, and the appointed
    mentors the user governs as an editor."""
    q = Q(pk__in=[])
    if user.person_id:
        q |= Q(person_id=user.person_id)
    if user.scope.has_role(*EDITING_ROLES):
        q |= user.scope.governed_q("region__path", roles=EDITING_ROLES)
    return (
        Mentor.objects.visible_to(user)
        .appointed()
        .filter(q)
        .select_related("person", "region", "programme__region")
        .order_by("person__name", "pk")
    )


def assignable_classes(user, now=None):
    """Upcoming classes with a free seat in villages the user edits: the choices of an assignment."""
    now = now or timezone.now()
    return classes_for_lists(
        OpenClass.objects.visible_to(user)
        .upcoming(now)
        .filter(user.scope.governed_q("village__path", roles=EDITING_ROLES), enrolled_count__lt=F("capacity"))
        .order_by("starts_at", "pk")
    )


# ---------------------------------------------------------------------------------------------- personal lists


@dataclass
class Desk:
    """A cadre's open classes: those they give, their seats, and those open to them."""

    giving: list = field(default_factory=list)
    given: list = field(default_factory=list)
    seats: list = field(default_factory=list)
    attended: list = field(default_factory=list)
    open_to_me: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.giving or self.given or self.seats or self.attended or self.open_to_me)


def desk(user, now=None) -> Desk:
    now = now or timezone.now()
    result = Desk()
    person = user.person_id
    if not person:
        return result
    mine = classes_for_lists(OpenClass.objects.filter(mentor__person_id=person))
    result.giving = list(mine.scheduled().filter(ends_at__gte=now).order_by("starts_at", "pk"))
    result.given = list(mine.filter(ends_at__lt=now).order_by("-starts_at", "-pk")[:10])
    seats = (
        Enrolment.objects.filter(person_id=person, status=EnrolmentStatus.ENROLLED)
        .select_related("open_class__mentor__person", "open_class__site", "open_class__village")
        .order_by("open_class__starts_at", "pk")
    )
    result.seats = [
        e for e in seats if e.open_class.ends_at >= now and e.open_class.status == ClassStatus.SCHEDULED
    ]
    result.attended = [e for e in seats if e.attended_at is not None][-10:]
    if Apprentice.objects.filter(person_id=person, status__in=ACTIVE_APPRENTICE).exists():
        seated = Enrolment.objects.filter(open_class=OuterRef("pk"), person_id=person, status="enrolled")
        result.open_to_me = list(
            classes_for_lists(
                OpenClass.objects.upcoming(now)
                .filter(programme_reach_q(person, "village__path"))
                .exclude(Exists(seated))
                .exclude(mentor__person_id=person)
                .order_by("starts_at", "pk")[:30]
            )
        )
    return result


# ---------------------------------------------------------------------------------------------- growth file


def classes_attended(apprentice: Apprentice, user=None):
    """Open classes the apprentice's cadre checked in to, newest first (any programme they enrolled through);
    with ``user``, only the classes that user may see."""
    attended = Enrolment.objects.filter(
        open_class=OuterRef("pk"),
        person_id=apprentice.person_id,
        status=EnrolmentStatus.ENROLLED,
        attended_at__isnull=False,
    )
    classes = OpenClass.objects.filter(Exists(attended))
    if user is not None:
        classes = classes.filter(pk__in=OpenClass.objects.visible_to(user).values("pk"))
    return classes_for_lists(classes).order_by("-starts_at", "-pk")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a growth file's timeline."""

    at: dt.datetime
    kind: str  # "open_class"
    title: str
    detail: str  # mentor · place · content areas
    url: str


def timeline_entries(apprentice: Apprentice, user=None) -> list[TimelineEntry]:
    """The open classes the apprentice attended, as growth-file timeline entries (newest first)."""
    entries = []
    for open_class in classes_attended(apprentice, user):
        where = open_class.site.name if open_class.site_id else open_class.village.name
        entries.append(
            TimelineEntry(
                at=open_class.starts_at,
                kind="open_class",
                title=open_class.title,
                detail=" · ".join(
                    part
                    for part in (
                        open_class.mentor.person.name,
                        where,
                        labels(ContentArea, open_class.content_areas),
                    )
                    if part
                ),
                url=reverse("teaching:class_detail", args=[open_class.pk]),
            )
        )
    return entries


# ---------------------------------------------------------------------------------------------- compliance


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


@dataclass(frozen=True)
class ClassCount:
    """A mentor's open classes in one year."""

    mentor_id: int
    given: int  # held (ended, not cancelled) with at least one attendee checked in
    unattended: int  # held, but nobody's attendance was recorded
    scheduled: int  # not yet ended
    cancelled: int
    target: int | None  # D2 target for provincial and municipal mentors, None for other tiers

    @property
    def shortfall(self) -> int:
        return max((self.target or 0) - self.given, 0)

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.given >= self.target


def open_classes_target(mentor: Mentor, policies: dict | None = None) -> int | None:
    """The mentor's yearly open-class target under their programme's rules (None below the municipal tier)."""
    if mentor.tier not in TARGET_TIERS:
        return None
    policies = {} if policies is None else policies
    if mentor.programme_id not in policies:
        policies[mentor.programme_id] = mentor.programme.policy
    return getattr(policies[mentor.programme_id], "open_classes_per_year", DEFAULT_OPEN_CLASSES_PER_YEAR)


def open_class_counts(year: int, mentors=None, now=None) -> dict[int, ClassCount]:
    """Open classes per mentor (record) in a calendar year, in two grouped queries; ``mentors`` is a queryset or
    a list of mentors (every mentor with a class when None)."""
    now = now or timezone.now()
    low, high = year_bounds(year)
    classes = OpenClass.objects.filter(starts_at__gte=low, starts_at__lt=high)
    if mentors is not None:
        classes = classes.filter(mentor__in=mentors)
    attended = Enrolment.objects.filter(
        open_class=OuterRef("pk"), status=EnrolmentStatus.ENROLLED, attended_at__isnull=False
    )
    held = Q(status=ClassStatus.SCHEDULED, ends_at__lt=now)
    rows = (
        classes.annotate(attended=Exists(attended))
        .values("mentor_id")
        .annotate(
            given=Count("pk", filter=held & Q(attended=True)),
            unattended=Count("pk", filter=held & Q(attended=False)),
            scheduled=Count("pk", filter=Q(status=ClassStatus.SCHEDULED, ends_at__gte=now)),
            cancelled=Count("pk", filter=Q(status=ClassStatus.CANCELLED)),
        )
    )
    counts = {row["mentor_id"]: row for row in rows}
    if mentors is None:
        mentor_list = Mentor.objects.filter(pk__in=counts)
    elif hasattr(mentors, "model"):
        mentor_list = mentors
    else:
        mentor_list = list(mentors)
    result, policies = {}, {}
    for mentor in (
        mentor_list.select_related("programme") if hasattr(mentor_list, "select_related") else mentor_list
    ):
        row = counts.get(mentor.pk, {})
        result[mentor.pk] = ClassCount(
            mentor_id=mentor.pk,
            given=row.get("given", 0),
            unattended=row.get("unattended", 0),
            scheduled=row.get("scheduled", 0),
            cancelled=row.get("cancelled", 0),
            target=open_classes_target(mentor, policies),
        )
    return result


def mentors_behind(year: int, mentors, now=None) -> list[ClassCount]:
    """Provincial and municipal mentors below the year's open-class target, furthest behind first."""
    counts = open_class_counts(year, mentors.filter(tier__in=TARGET_TIERS), now)
    return sorted(
        (c for c in counts.values() if c.meets_target is False), key=lambda c: (-c.shortfall, c.mentor_id)
    )
