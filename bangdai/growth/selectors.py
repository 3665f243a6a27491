"""Reads of the growth file (成长档案): who may open an apprentice's file, its timeline gathered from the pairings,
plans, ledger, assignments, open classes and alliances, its summary figures, and the printed document.

Each section is read through its own app's ``visible_to`` chokepoint: the apprentice and the governing roles of
the apprentice's region see every pairing's records; a mentor sees those of their own pairings with the apprentice
(never another mentor's ledger). Alliance work is the apprentice's village's own (its memberships and the joint
activities it took part in) and is part of the file for whoever may open it; its alliance is linked only for
readers who may open the alliance.

The timeline costs a fixed number of queries however long it is: one light query per source lists each entry's
date and id, and only the entries of the page asked for are then fetched, a query or two per source.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bangdai.alliances.models import Alliance, AllianceMember, JointActivity
from bangdai.apprentices.models import Apprentice
from bangdai.assignments.choices import AssignmentStatus
from bangdai.assignments.selectors import AssignmentStats, apprentice_assignments, assignment_stats
from bangdai.core.api.fields import without_private
from bangdai.core.choices import ContentArea, labels
from bangdai.documents.selectors import organisation_department, place_names
from bangdai.ledger.models import Activity, Review
from bangdai.ledger.selectors import MonthFigures, months_between, pairing_months, standing, with_details
from bangdai.pairings.choices import PairingAction, PairingStatus
from bangdai.pairings.models import Pairing, PairingEvent, PairingMentor
from bangdai.plans.choices import PlanAction
from bangdai.plans.models import MentoringPlan, PlanEvent, PlanGoal
from bangdai.plans.selectors import PlanProgress, plan_progress
from bangdai.regions.choices import Level
from bangdai.teaching.selectors import classes_attended

from .choices import KIND_OF, Kind, Source

# Assignments issued since this day count in the figures (none is older).
EPOCH = dt.date(2000, 1, 1)
# Steps of a pairing and of a plan that make the apprentice's history (a one-sided confirmation or a saved
# draft does not).
PAIRING_STEPS = (
    PairingAction.PROPOSE,
    PairingAction.CONFIRMED,
    PairingAction.DECLINE,
    PairingAction.SIGN,
    PairingAction.EXTEND,
    PairingAction.COMPLETE,
    PairingAction.TERMINATE,
    PairingAction.REPAIR,
)
PLAN_STEPS = (PlanAction.SUBMIT, PlanAction.APPROVE, PlanAction.RETURN, PlanAction.REVISE)
# Within one day, entries stand in this order (the first listed is the latest).
SOURCE_ORDER = [
    Source.PAIRING_EVENT,
    Source.PLAN_EVENT,
    Source.GOAL_MET,
    Source.REVIEW,
    Source.ASSIGNMENT,
    Source.OPEN_CLASS,
    Source.JOINT_ACTIVITY,
    Source.JOINED,
    Source.LEFT,
    Source.ACTIVITY,
]
NOON = dt.time(12, 0)
PER_PAGE = 30


# ---------------------------------------------------------------------------------------------------------------
# Who may open a growth file


def growth_files(user) -> QuerySet[Apprentice]:
    """Apprentices whose growth file the user may open (the rest are 404).

    The apprentice records the user sees (``Apprentice.visible_to``: the governing roles of the apprentice's
    region, and the cadre's own records), plus the apprentices the user's cadre mentors or has mentored: every
    pairing they are a mentor of, current or former, except a proposal that was declined.
    """
    visible = Apprentice.objects.visible_to(user)
    person = user.scope.person_id if user.is_authenticated else None
    if not person or user.scope.superuser:
        return visible
    mentored = (
        PairingMentor.objects.filter(mentor__person_id=person)
        .exclude(pairing__status=PairingStatus.DECLINED)
        .values("pairing__apprentice_id")
    )
    return Apprentice.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=mentored))


def open_file(user, pk) -> Apprentice | None:
    """The apprentice ``pk`` if the user may open their growth file, with what the file's header shows."""
    return (
        growth_files(user)
        .select_related("person", "programme__region", "region")
        .defer(*without_private("person"))
        .filter(pk=pk)
        .first()
    )


# ---------------------------------------------------------------------------------------------------------------
# The file: the pairings the reader sees and the list of every entry


@dataclass(frozen=True)
class Key:
    """One entry of the timeline before it is fetched: where it comes from and when it happened."""

    source: str
    pk: int
    on: dt.date
    at: dt.datetime | None = None  # the moment, when the record has one (orders entries of one day)

    @property
    def kind(self) -> str:
        return KIND_OF[self.source]

    @property
    def order(self) -> tuple:
        moment = timezone.localtime(self.at).time() if self.at else NOON
        return (self.on, moment, -SOURCE_ORDER.index(self.source), self.pk)


@dataclass
class GrowthFile:
    """An apprentice's file as one reader sees it."""

    user: object
    apprentice: Apprentice
    pairings: list[Pairing]  # newest first, with their mentors
    keys: list[Key]  # every entry, newest first
    today: dt.date

    @property
    def pairing_ids(self) -> list[int]:
        return [p.pk for p in self.pairings]

    @property
    def mentors(self) -> list:
        """The mentors of the pairings shown, each once, the earliest pairing's first."""
        seen, result = set(), []
        for pairing in reversed(self.pairings):
            for member in pairing.members.all():
                if member.mentor.person_id not in seen:
                    seen.add(member.mentor.person_id)
                    result.append(member.mentor)
        return result

    @property
    def sees_everything(self) -> bool:
        """Whether the reader sees every pairing's records (not only their own as a mentor)."""
        return Apprentice.objects.visible_to(self.user).filter(pk=self.apprentice.pk).exists()


def growth_file(user, apprentice: Apprentice, today: dt.date | None = None) -> GrowthFile:
    """The apprentice's pairings the user may see and the keys of every entry (three queries and one per source)."""
    members = PairingMentor.objects.select_related("mentor__person", "mentor__region").defer(
        *without_private("mentor__person")
    )
    pairings = list(
        Pairing.objects.visible_to(user)
        .filter(apprentice=apprentice)
        .select_related("programme")
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("-created_at", "-pk")
    )
    file = GrowthFile(user, apprentice, pairings, [], today or timezone.localdate())
    file.keys = sorted(_keys(file), key=lambda k: k.order, reverse=True)
    return file


def open_growth_file(user, pk) -> GrowthFile | None:
    """The growth file of apprentice ``pk`` as the user sees it, or None when they may not open it (a 404)."""
    apprentice = open_file(user, pk)
    return growth_file(user, apprentice) if apprentice is not None else None


def _local(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def _visible_plans(file: GrowthFile):
    return MentoringPlan.objects.visible_to(file.user).filter(pairing_id__in=file.pairing_ids)


def _apprentice_village(apprentice: Apprentice) -> int | None:
    return apprentice.region_id if apprentice.region.depth == Level.VILLAGE else None


def _keys(file: GrowthFile) -> list[Key]:
    user, apprentice, ids = file.user, file.apprentice, file.pairing_ids
    keys: list[Key] = []
    for pk, at, action, signed_on in PairingEvent.objects.filter(
        pairing_id__in=ids, action__in=PAIRING_STEPS
    ).values_list("pk", "at", "action", "pairing__pledge_signed_on"):
        # The 拜师帖 is dated by the ceremony, which may precede the day it was recorded.
        on = signed_on if action == PairingAction.SIGN and signed_on else _local(at)
        keys.append(Key(Source.PAIRING_EVENT, pk, on, at))
    plans = _visible_plans(file)
    keys += [
        Key(Source.PLAN_EVENT, pk, _local(at), at)
        for pk, at in PlanEvent.objects.filter(plan__in=plans, action__in=PLAN_STEPS).values_list("pk", "at")
    ]
    keys += [
        Key(Source.GOAL_MET, pk, on)
        for pk, on in PlanGoal.objects.filter(plan__in=plans, achieved_on__isnull=False).values_list(
            "pk", "achieved_on"
        )
    ]
    keys += [
        Key(Source.ACTIVITY, pk, on, at)
        for pk, on, at in Activity.objects.visible_to(user)
        .counted()
        .filter(pairing_id__in=ids)
        .values_list("pk", "occurred_on", "created_at")
    ]
    keys += [
        Key(Source.REVIEW, pk, _local(at), at)
        for pk, at in Review.objects.visible_to(user)
        .filter(pairing_id__in=ids)
        .values_list("pk", "created_at")
    ]
    keys += [
        Key(Source.ASSIGNMENT, pk, _local(at), at)
        for pk, at in apprentice_assignments(apprentice, user)
        .filter(pairing_id__in=ids)
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .values_list("pk", "issued_at")
    ]
    keys += [
        Key(Source.OPEN_CLASS, pk, _local(at), at)
        for pk, at in classes_attended(apprentice, user).values_list("pk", "starts_at")
    ]
    village = _apprentice_village(apprentice)
    if village is not None:
        keys += [
            Key(Source.JOINT_ACTIVITY, pk, on, at)
            for pk, on, at in JointActivity.objects.filter(villages=village).values_list(
                "pk", "occurred_on", "created_at"
            )
        ]
        for pk, joined, left in AllianceMember.objects.filter(village_id=village).values_list(
            "pk", "joined_on", "left_on"
        ):
            keys.append(Key(Source.JOINED, pk, joined))
            if left:
                keys.append(Key(Source.LEFT, pk, left))
    return keys


# ---------------------------------------------------------------------------------------------------------------
# Entries


@dataclass(frozen=True)
class Entry:
    """One line of the timeline, ready to show: what happened, to whom and where, and the record's page."""

    source: str
    pk: int
    on: dt.date
    title: str
    detail: str = ""  # who, where, which areas: one line
    text: str = ""  # a summary, lessons, comments
    url: str = ""  # the record's page, when the reader may open it
    status: str = ""  # a state value (its badge colour)
    status_label: str = ""
    score: int | None = None
    record: object = field(default=None, compare=False, repr=False)  # for the templates (badges, thumbnails)

    @property
    def kind(self) -> str:
        return KIND_OF[self.source]

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    @property
    def source_label(self) -> str:
        return str(Source(self.source).label)


def _names(people) -> str:
    return "、".join(p.name for p in people)


def _mentor_names(pairing: Pairing) -> str:
    return _names(m.mentor.person for m in pairing.members.all())


def _join(*parts) -> str:
    return " · ".join(str(p) for p in parts if p)


def _pairing_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    pairings = {p.pk: p for p in file.pairings}
    entries = []
    for event in PairingEvent.objects.filter(pk__in=ids):
        pairing = pairings[event.pairing_id]
        on = (
            pairing.pledge_signed_on
            if event.action == PairingAction.SIGN and pairing.pledge_signed_on
            else None
        )
        entries.append(
            Entry(
                Source.PAIRING_EVENT,
                event.pk,
                on or _local(event.at),
                title=event.get_action_display(),
                detail=_join(_mentor_names(pairing), pairing.programme.name),
                text=event.reason,
                url=reverse("pairings:detail", args=[pairing.pk]),
                status=event.to_status,
                status_label=event.get_to_status_display() if event.to_status else "",
                record=event,
            )
        )
    return entries


def _plan_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    entries = []
    for event in PlanEvent.objects.filter(pk__in=ids):
        revision = _("revision %(n)d") % {"n": event.revision} if event.revision else ""
        entries.append(
            Entry(
                Source.PLAN_EVENT,
                event.pk,
                _local(event.at),
                title=event.get_action_display(),
                detail=revision,
                text=event.comment,
                url=reverse("plans:detail", args=[event.plan_id]),
                status=event.to_status,
                status_label=event.get_to_status_display() if event.to_status else "",
                record=event,
            )
        )
    return entries


def _goal_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    return [
        Entry(
            Source.GOAL_MET,
            goal.pk,
            goal.achieved_on,
            title=_("Goal met: %(goal)s") % {"goal": goal.description},
            detail=_join(goal.get_content_area_display(), goal.measurable_target),
            text=goal.achieved_note,
            url=reverse("plans:detail", args=[goal.plan_id]),
            record=goal,
        )
        for goal in PlanGoal.objects.filter(pk__in=ids)
    ]


def _activity_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    entries = []
    for activity in with_details(Activity.objects.filter(pk__in=ids)):
        minutes, where = activity.duration_min, standing(activity, file.today)
        entries.append(
            Entry(
                Source.ACTIVITY,
                activity.pk,
                activity.occurred_on,
                title=activity.get_method_display(),
                detail=_join(
                    _("%(n)d min") % {"n": minutes},
                    activity.place.name,
                    _("on site") if activity.on_site else "",
                    labels(ContentArea, activity.content_areas),
                ),
                text=activity.summary,
                url=reverse("ledger:detail", args=[activity.pk]),
                status=where.value,
                status_label=str(where.label),
                record=activity,
            )
        )
    return entries


def _author(user) -> str:
    """Who wrote a record: their cadre's name, else the account's name."""
    if user is None:
        return ""
    return user.person.name if user.person_id else str(user)


def _review_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    reviews = (
        Review.objects.filter(pk__in=ids)
        .select_related("written_by__person")
        .defer(*without_private("written_by__person"))
        .annotate(n=Count("activities"))
    )
    return [
        Entry(
            Source.REVIEW,
            review.pk,
            _local(review.created_at),
            title=_("复盘 review"),
            detail=_join(_author(review.written_by), _("%(n)d activities reviewed") % {"n": review.n}),
            text=review.lessons,
            url=reverse("ledger:review", args=[review.pk]),
            record=review,
        )
        for review in reviews
    ]


def _assignment_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    entries = []
    for assignment in apprentice_assignments(file.apprentice, file.user).filter(pk__in=ids):
        entries.append(
            Entry(
                Source.ASSIGNMENT,
                assignment.pk,
                _local(assignment.issued_at),
                title=assignment.title,
                detail=_join(
                    assignment.get_content_area_display(),
                    _("due %(date)s") % {"date": assignment.due_on.isoformat()},
                ),
                text=assignment.feedback if assignment.status == AssignmentStatus.REVIEWED else "",
                url=reverse("assignments:detail", args=[assignment.pk]),
                status=assignment.status,
                status_label=assignment.get_status_display(),
                score=assignment.score,
                record=assignment,
            )
        )
    return entries


def _class_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    entries = []
    for open_class in classes_attended(file.apprentice, file.user).filter(pk__in=ids):
        where = open_class.site.name if open_class.site_id else open_class.village.name
        entries.append(
            Entry(
                Source.OPEN_CLASS,
                open_class.pk,
                _local(open_class.starts_at),
                title=open_class.title,
                detail=_join(
                    open_class.mentor.person.name, where, labels(ContentArea, open_class.content_areas)
                ),
                text=open_class.description,
                url=reverse("teaching:class_detail", args=[open_class.pk]),
                status="attended",
                status_label=_("Attended"),
                record=open_class,
            )
        )
    return entries


def _alliance_urls(user, alliance_ids) -> dict[int, str]:
    visible = Alliance.objects.visible_to(user).filter(pk__in=set(alliance_ids)).values_list("pk", flat=True)
    return {pk: reverse("alliances:detail", args=[pk]) for pk in visible}


def _joint_entries(file: GrowthFile, ids: list[int]) -> list[Entry]:
    activities = list(
        JointActivity.objects.filter(pk__in=ids).select_related("alliance").prefetch_related("villages")
    )
    urls = _alliance_urls(file.user, [a.alliance_id for a in activities])
    return [
        Entry(
            Source.JOINT_ACTIVITY,
            activity.pk,
            activity.occurred_on,
            title=activity.title,
            detail=_join(activity.alliance.name, _names(activity.villages.all())),
            text=activity.summary,
            url=urls.get(activity.alliance_id, ""),
            record=activity,
        )
        for activity in activities
    ]


def _membership_entries(file: GrowthFile, keys: list[Key]) -> list[Entry]:
    members = {
        m.pk: m
        for m in AllianceMember.objects.filter(pk__in={k.pk for k in keys}).select_related(
            "alliance__hub", "village"
        )
    }
    urls = _alliance_urls(file.user, [m.alliance_id for m in members.values()])
    entries = []
    for key in keys:
        member = members[key.pk]
        alliance = member.alliance
        if key.source == Source.JOINED:
            title = _("%(village)s joined the alliance %(name)s") % {
                "village": member.village.name,
                "name": alliance.name,
            }
        else:
            title = _("%(village)s left the alliance %(name)s") % {
                "village": member.village.name,
                "name": alliance.name,
            }
        hub = _("hub village") if member.is_hub else _("hub: %(name)s") % {"name": alliance.hub.name}
        entries.append(
            Entry(
                key.source,
                member.pk,
                key.on,
                title=title,
                detail=_join(hub, alliance.theme),
                text=alliance.goals if key.source == Source.JOINED else "",
                url=urls.get(alliance.pk, ""),
                record=member,
            )
        )
    return entries


FETCHERS = {
    Source.PAIRING_EVENT: _pairing_entries,
    Source.PLAN_EVENT: _plan_entries,
    Source.GOAL_MET: _goal_entries,
    Source.ACTIVITY: _activity_entries,
    Source.REVIEW: _review_entries,
    Source.ASSIGNMENT: _assignment_entries,
    Source.OPEN_CLASS: _class_entries,
    Source.JOINT_ACTIVITY: _joint_entries,
}


def entries(file: GrowthFile, keys: list[Key]) -> list[Entry]:
    """The entries of ``keys``, in their order: a query or two for each source among them."""
    by_source: dict[str, list[Key]] = {}
    for key in keys:
        by_source.setdefault(key.source, []).append(key)
    found: dict[tuple[str, int], Entry] = {}
    memberships = [k for s in (Source.JOINED, Source.LEFT) for k in by_source.get(s, [])]
    if memberships:
        found.update({(e.source, e.pk): e for e in _membership_entries(file, memberships)})
    for source, fetch in FETCHERS.items():
        if source in by_source:
            found.update({(e.source, e.pk): e for e in fetch(file, [k.pk for k in by_source[source]])})
    return [found[(k.source, k.pk)] for k in keys if (k.source, k.pk) in found]


# ---------------------------------------------------------------------------------------------------------------
# Filtering and pages


def filtered(keys: list[Key], kinds=(), year: int | None = None) -> list[Key]:
    """The keys of the chosen kinds (all when none is chosen) in the chosen year (all years when None)."""
    chosen = set(kinds or ())
    return [k for k in keys if (not chosen or k.kind in chosen) and (year is None or k.on.year == year)]


def years(keys: list[Key]) -> list[int]:
    """The years with entries, latest first."""
    return sorted({k.on.year for k in keys}, reverse=True)


def kind_counts(keys: list[Key]) -> dict[str, int]:
    """Entries of each kind, every kind present (zero when it has none)."""
    counts = Counter(k.kind for k in keys)
    return {kind: counts.get(kind, 0) for kind in Kind.values}


@dataclass
class TimelinePage:
    """One page of the (filtered) timeline; ``rows`` pair each entry with whether it opens a new month."""

    page: Page
    rows: list[tuple[Entry, bool]]
    total: int


def timeline_page(
    file: GrowthFile, kinds=(), year=None, number=1, per_page: int = PER_PAGE, *, strict: bool = False
) -> TimelinePage:
    """A page of the timeline, newest first; the month of the entry before the page decides the first header.

    A page number out of range gives the last page, or with ``strict`` raises ``InvalidPage`` (the API's 404).
    """
    keys = filtered(file.keys, kinds, year)
    paginator = Paginator(keys, per_page)
    page = paginator.page(number) if strict else paginator.get_page(number)
    start = page.start_index() - 1 if keys else 0
    previous = keys[start - 1].on if start > 0 else None
    rows = []
    for entry in entries(file, list(page.object_list)):
        month = (entry.on.year, entry.on.month)
        rows.append((entry, previous is None or month != (previous.year, previous.month)))
        previous = entry.on
    return TimelinePage(page=page, rows=rows, total=len(keys))


# ---------------------------------------------------------------------------------------------------------------
# Summary figures


@dataclass(frozen=True)
class Summary:
    """The figures at the top of the file, over the records the reader sees."""

    months: int  # whole months mentored, over every pairing that began
    since: dt.date | None  # the earliest start
    activities: int
    minutes: int
    on_site: int
    talks: int
    reviews: int
    assignments: AssignmentStats
    classes: int
    goals_met: int
    goals_total: int
    joint_activities: int
    month_series: tuple[MonthFigures, ...] = ()  # activities per month since the first pairing began
    plans: dict[int, PlanProgress] = field(default_factory=dict)  # each shown pairing's plan, by pairing id

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def on_site_percent(self) -> int | None:
        return round(100 * self.on_site / self.activities) if self.activities else None

    @property
    def goals_percent(self) -> int | None:
        return round(100 * self.goals_met / self.goals_total) if self.goals_total else None

    @property
    def busiest_month(self) -> int:
        return max((m.activities for m in self.month_series), default=0)


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from ``start`` to ``end`` (12 from 2026-03-05 to 2027-03-05, 11 to 2027-03-04)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def _pairing_end(pairing: Pairing, today: dt.date) -> dt.date:
    return min(pairing.ended_on or today, today)


def combined_stats(stats: list[AssignmentStats]) -> AssignmentStats:
    """Several pairings' assignment figures as one; the mean score weighs each pairing's by its reviewed count."""
    total = {name: sum(getattr(s, name) for s in stats) for name in ("issued", "submitted", "reviewed")}
    total |= {name: sum(getattr(s, name) for s in stats) for name in ("overdue", "late", "withdrawn")}
    scored = [(s.mean_score, s.reviewed) for s in stats if s.mean_score is not None and s.reviewed]
    weight = sum(n for _mean, n in scored)
    mean = round(sum(m * n for m, n in scored) / weight, 1) if weight else None
    return AssignmentStats(**total, mean_score=mean)


def summary(file: GrowthFile) -> Summary:
    """The file's figures: three grouped queries (ledger months, assignments, plans) on top of the file's keys."""
    today = file.today
    started = [p for p in file.pairings if p.start_date]
    since = min((p.start_date for p in started), default=None)
    months = sum(whole_months(p.start_date, _pairing_end(p, today)) for p in started)
    series: list[MonthFigures] = []
    if since is not None and since <= today:
        by_pairing = pairing_months([p.pk for p in started], since, today, today=today)
        totals: dict[dt.date, Counter] = {}
        for per_month in by_pairing.values():
            for month, figures in per_month.items():
                totals.setdefault(month, Counter()).update(
                    {k: getattr(figures, k) for k in ("activities", "on_site", "talks", "minutes")}
                )
        series = [MonthFigures(month=m, **totals.get(m, {})) for m in months_between(since, today)]
    stats = assignment_stats(file.pairing_ids, EPOCH, today) if file.pairings else {}
    progress: dict[int, PlanProgress] = plan_progress(file.pairing_ids)
    counted = Counter(k.source for k in file.keys)
    return Summary(
        months=months,
        since=since,
        activities=sum(m.activities for m in series),
        minutes=sum(m.minutes for m in series),
        on_site=sum(m.on_site for m in series),
        talks=sum(m.talks for m in series),
        reviews=counted[Source.REVIEW],
        assignments=combined_stats(list(stats.values())),
        classes=counted[Source.OPEN_CLASS],
        goals_met=sum(p.met for p in progress.values()),
        goals_total=sum(p.total for p in progress.values()),
        joint_activities=counted[Source.JOINT_ACTIVITY],
        month_series=tuple(series),
        plans=progress,
    )


def plan_rows(file: GrowthFile, figures: Summary) -> list[tuple[Pairing, PlanProgress]]:
    """Each shown pairing that has a plan, with the plan's state and goals met."""
    return [(p, figures.plans[p.pk]) for p in file.pairings if p.pk in figures.plans]


# ---------------------------------------------------------------------------------------------------------------
# The printed document


@dataclass
class Section:
    kind: str
    title: str
    entries: list[Entry]
    number: int = 0


@dataclass
class PlanSheet:
    pairing: Pairing
    plan: MentoringPlan
    goals: list[PlanGoal]


@dataclass
class Document:
    """Everything the printed growth file shows, oldest entries first in each section.

    Chapters: 1 the figures, 2 the pairings (with their steps when pairings are among the chosen kinds), 3 the
    plans with their goals and their steps (when plans are among the chosen kinds), then one per other kind.
    """

    file: GrowthFile
    summary: Summary
    sections: list[Section]
    plans: list[PlanSheet] | None  # None when plans are not among the chosen kinds
    plan_entries: list[Entry]
    pairing_entries: list[Entry]
    printed_on: dt.date
    place: str = ""
    organiser: str = ""
    scope: str = ""  # the chosen kinds and year, when the document is a selection


def document(file: GrowthFile, kinds=(), year=None) -> Document:
    """The printed file: the summary, the pairings, the plans with their goals, and a chapter per kind."""
    chosen = [k for k in Kind.values if not kinds or k in kinds]
    ordered = entries(file, list(reversed(filtered(file.keys, kinds, year))))
    by_kind: dict[str, list[Entry]] = {kind: [] for kind in chosen}
    for entry in ordered:
        by_kind[entry.kind].append(entry)
    plans = None
    if Kind.PLAN in chosen:
        pairings = {p.pk: p for p in file.pairings}
        goals = Prefetch("goals", queryset=PlanGoal.objects.order_by("position", "pk"))
        plans = [
            PlanSheet(pairings[plan.pairing_id], plan, list(plan.goals.all()))
            for plan in _visible_plans(file).prefetch_related(goals)
        ]
        plans.sort(key=lambda sheet: file.pairing_ids.index(sheet.pairing.pk), reverse=True)
    first = 4 if plans is not None else 3
    sections = [
        Section(kind, str(Kind(kind).label), by_kind[kind], number)
        for number, kind in enumerate((k for k in chosen if k not in (Kind.PAIRING, Kind.PLAN)), start=first)
    ]
    apprentice = file.apprentice
    scope = ""
    if kinds or year:
        scope = "、".join(str(Kind(k).label) for k in chosen) if kinds else ""
        scope = f"{year} {scope}".strip() if year else scope
    return Document(
        file=file,
        summary=summary(file),
        sections=sections,
        plans=plans,
        plan_entries=by_kind.get(Kind.PLAN, []),
        pairing_entries=by_kind.get(Kind.PAIRING, []),
        printed_on=file.today,
        place=place_names([apprentice.region]).get(apprentice.region_id, apprentice.region.name),
        organiser=organisation_department(apprentice.programme.region),
        scope=scope,
    )
