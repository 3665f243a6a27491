"""Reads of the ledger: who may take which step, the quick form's defaults, the to-confirm lists, and the
figures other parts build on (month figures per pairing and per region, silent pairings).

The figure functions are aggregate queries (one grouped query each, no per-pairing loop), meant for the
compliance pages and the nightly job at province scale; they take querysets the caller has already scoped.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone

from bangdai.core.api.fields import without_private
from bangdai.core.choices import Method
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.pairings.services import party_of
from bangdai.regions.choices import Level
from bangdai.regions.models import PATH_STEP, Region, subtree_q

from .choices import ActivityStatus, Side, Standing
from .models import Activity, Evidence, Review
from .services import correction_needs_note

# ---------------------------------------------------------------------------------------------------------------
# Rights and the steps to offer

PARTY_ACTIONS = {"confirm"}
AUTHOR_ACTIONS = {"correct", "withdraw"}
CHECKER_ACTIONS = {"verify"}
ACTIONS = PARTY_ACTIONS | AUTHOR_ACTIONS | CHECKER_ACTIONS


def may(user, activity: Activity, action: str) -> bool:
    """Whether the user's place allows the step at all (the service still checks the entry's state)."""
    if action in PARTY_ACTIONS:
        return party_of(user, activity.pairing) is not None
    if action in AUTHOR_ACTIONS:
        return activity.logged_by_id == user.pk
    if action in CHECKER_ACTIONS:
        return user.scope.edits(activity.region.path)
    return False


def available_actions(user, activity: Activity, today: dt.date | None = None) -> set[str]:
    """The steps to offer this user on this entry now."""
    today = today or timezone.localdate()
    actions = set()
    open_ = activity.status == ActivityStatus.RECORDED
    if (
        open_
        and not activity.is_overdue(today)
        and activity.logged_by_id != user.pk
        and party_of(user, activity.pairing) == activity.counterpart
    ):
        actions.add("confirm")
    if activity.logged_by_id == user.pk and activity.status != ActivityStatus.WITHDRAWN:
        actions.add("correct")
        if open_:
            actions.add("withdraw")
    if activity.status != ActivityStatus.WITHDRAWN and may(user, activity, "verify"):
        actions.add("verify")
    return actions


def needs_note(activity: Activity) -> bool:
    """Whether a correction of this entry must say what changed and why (it was confirmed or checked)."""
    return correction_needs_note(activity)


def standing(activity: Activity, today: dt.date | None = None) -> Standing:
    """Where the entry stands with the counterpart; "unconfirmed" is computed from the window, never stored."""
    if activity.status == ActivityStatus.WITHDRAWN:
        return Standing.WITHDRAWN
    if activity.status == ActivityStatus.CONFIRMED:
        return Standing.CONFIRMED
    if activity.is_overdue(today or timezone.localdate()):
        return Standing.UNCONFIRMED
    return Standing.AWAITING


# ---------------------------------------------------------------------------------------------------------------
# Lists


def with_details(queryset: QuerySet) -> QuerySet:
    """Entries with what a list or a timeline shows: the pairing's people, the place, the attached files."""
    members = PairingMentor.objects.select_related("mentor__person").defer(*without_private("mentor__person"))
    return (
        queryset.select_related(
            "pairing__apprentice__person", "pairing__programme", "place", "region", "logged_by"
        )
        .defer(*without_private("pairing__apprentice__person"))
        .prefetch_related(
            Prefetch("pairing__members", queryset=members),
            Prefetch("evidence", queryset=Evidence.objects.shown(), to_attr="files"),
        )
    )


def own_pairings_q(person_id: int) -> Q:
    return Q(apprentice__person_id=person_id) | Q(
        pk__in=PairingMentor.objects.filter(mentor__person_id=person_id).values("pairing_id")
    )


def own_pairings(user) -> QuerySet[Pairing]:
    """Pairings in which the user is the mentor or the apprentice and that have begun (they have a ledger)."""
    if not user.person_id:
        return Pairing.objects.none()
    return (
        Pairing.objects.visible_to(user)
        .filter(own_pairings_q(user.person_id), start_date__isnull=False)
        .select_related("apprentice__person", "programme", "region")
        .defer(*without_private("apprentice__person"))
        .prefetch_related(
            Prefetch(
                "members",
                queryset=PairingMentor.objects.select_related("mentor__person").defer(
                    *without_private("mentor__person")
                ),
            )
        )
        .order_by("-start_date", "-pk")
    )


def recordable_pairings(user) -> QuerySet[Pairing]:
    """Running pairings in which the user is the mentor or the apprentice: the quick form's choices."""
    return own_pairings(user).filter(status__in=RUNNING_STATES)


def _counterpart_q(person_id: int) -> Q:
    """Entries whose counterpart is this cadre: a mentor's entries in their apprenticeships, and vice versa."""
    return Q(pairing__apprentice__person_id=person_id, logged_as=Side.MENTOR) | Q(
        pairing__in=PairingMentor.objects.filter(mentor__person_id=person_id).values("pairing_id"),
        logged_as=Side.APPRENTICE,
    )


def awaiting_my_confirmation(user, today: dt.date | None = None) -> QuerySet[Activity]:
    """Entries the other side recorded that the user may still confirm (inside the window)."""
    if not user.person_id:
        return Activity.objects.none()
    return (
        Activity.objects.visible_to(user)
        .awaiting(today)
        .filter(_counterpart_q(user.person_id))
        .exclude(logged_by=user)
        .order_by("confirm_due", "occurred_on", "pk")
    )


def awaiting_counterpart(user) -> QuerySet[Activity]:
    """The user's own entries not confirmed yet (inside the window, or flagged unconfirmed after it)."""
    return (
        Activity.objects.visible_to(user)
        .filter(logged_by=user, status=ActivityStatus.RECORDED)
        .order_by("confirm_due", "pk")
    )


def missed_confirmations(user, today: dt.date | None = None) -> QuerySet[Activity]:
    """Entries the user should have confirmed but did not in time: now flagged unconfirmed."""
    if not user.person_id:
        return Activity.objects.none()
    return (
        Activity.objects.visible_to(user)
        .overdue(today)
        .filter(_counterpart_q(user.person_id))
        .order_by("-confirm_due", "-pk")
    )


# ---------------------------------------------------------------------------------------------------------------
# The quick form's defaults


def default_method(user, side: str | None = None) -> str:
    """The method of the user's last entry; a first entry starts from the commonest method for the side."""
    last = (
        Activity.objects.filter(logged_by=user)
        .order_by("-created_at", "-pk")
        .values_list("method", flat=True)
    )
    found = last.first()
    if found:
        return found
    return Method.HEART_TO_HEART_TALK if side == Side.APPRENTICE else Method.DIAGNOSTIC_VISIT


def default_areas(user, pairing: Pairing) -> list[str]:
    """The content areas of the user's last entry in this pairing, else the apprentice's diagnosed needs."""
    last = (
        Activity.objects.filter(logged_by=user, pairing=pairing)
        .order_by("-created_at", "-pk")
        .values_list("content_areas", flat=True)
        .first()
    )
    return list(last or pairing.apprentice.needs or [])


def place_choices(pairing: Pairing) -> list[Region]:
    """Places offered for an activity: the apprentice's workplace, the mentors' home villages, then the
    apprentice's township and its villages (the service accepts any village or township of the programme)."""
    first = [pairing.region_id, *(m.mentor.region_id for m in pairing.members.all())]
    region = pairing.region
    township_path = region.path[: PATH_STEP * Level.TOWNSHIP] if region.depth >= Level.TOWNSHIP else None
    q = Q(pk__in=first)
    if township_path:
        q |= subtree_q(township_path) & Q(depth__in=(Level.TOWNSHIP, Level.VILLAGE))
    regions = {r.pk: r for r in Region.objects.current().filter(q).order_by("path")}
    ordered = [regions[pk] for pk in dict.fromkeys(first) if pk in regions]
    return ordered + [r for pk, r in regions.items() if pk not in set(first)]


# ---------------------------------------------------------------------------------------------------------------
# A pairing's ledger and an entry's history


def pairing_activities(user, pairing: Pairing) -> QuerySet[Activity]:
    """Every entry of the pairing (withdrawn ones too, marked), newest first."""
    return with_details(
        Activity.objects.visible_to(user)
        .filter(pairing=pairing)
        .order_by("-occurred_on", "-created_at", "-pk")
    )


def pairing_reviews(user, pairing: Pairing) -> QuerySet[Review]:
    return (
        Review.objects.visible_to(user)
        .filter(pairing=pairing)
        .select_related("written_by")
        .prefetch_related(Prefetch("activities", queryset=Activity.objects.order_by("occurred_on", "pk")))
    )


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


def describe_changes(changes: dict) -> list[Change]:
    """A correction's recorded changes in field order (templates label and format them)."""
    order = ["occurred_on", "duration_min", "method", "content_areas", "place", "on_site", "summary"]
    order += ["problems_solved", "added_files", "removed_files"]
    rows = []
    for field in order:
        if field not in changes:
            continue
        value = changes[field]
        if field in ("added_files", "removed_files"):
            rows.append(Change(field, None, value))
        else:
            rows.append(Change(field, value[0], value[1]))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Figures for compliance, dashboards and the growth file


@dataclass(frozen=True)
class MonthFigures:
    """What happened in one month: counted entries (withdrawn ones excluded)."""

    month: dt.date  # the first day of the month
    activities: int = 0
    on_site: int = 0
    talks: int = 0  # 谈心谈话
    confirmed: int = 0
    awaiting: int = 0  # not confirmed yet, still inside the window
    overdue: int = 0  # not confirmed within the window: flagged unconfirmed
    minutes: int = 0

    @property
    def confirmed_share(self) -> float | None:
        """Confirmed entries over all entries of the month (those still inside their window count as not yet)."""
        return self.confirmed / self.activities if self.activities else None

    @property
    def settled_confirmed_share(self) -> float | None:
        """Confirmed over the entries whose window has closed or that were confirmed (ignores pending ones)."""
        settled = self.confirmed + self.overdue
        return self.confirmed / settled if settled else None


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def months_back(day: dt.date, n: int) -> dt.date:
    """The first day of the month ``n - 1`` months before ``day``'s: the start of an n-month window."""
    month = month_start(day)
    for _step in range(n - 1):
        month = month_start(month - dt.timedelta(days=1))
    return month


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first``'s to ``last``'s, inclusive."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def _month_aggregates(today: dt.date) -> dict:
    recorded = Q(status=ActivityStatus.RECORDED)
    return {
        "activities": Count("pk"),
        "on_site": Count("pk", filter=Q(on_site=True)),
        "talks": Count("pk", filter=Q(method=Method.HEART_TO_HEART_TALK)),
        "confirmed": Count("pk", filter=Q(status=ActivityStatus.CONFIRMED)),
        "awaiting": Count("pk", filter=recorded & Q(confirm_due__gte=today)),
        "overdue": Count("pk", filter=recorded & Q(confirm_due__lt=today)),
        "minutes": Coalesce(Sum("duration_min"), 0, output_field=IntegerField()),
    }


FIGURES = ("activities", "on_site", "talks", "confirmed", "awaiting", "overdue", "minutes")


def _period(queryset, first: dt.date, last: dt.date):
    return queryset.counted().filter(occurred_on__gte=month_start(first), occurred_on__lt=next_month(last))


def pairing_months(
    pairings, first: dt.date, last: dt.date, *, today: dt.date | None = None
) -> dict[int, dict[dt.date, MonthFigures]]:
    """Month figures of each pairing from ``first``'s month to ``last``'s, in one grouped query.

    ``pairings`` is a Pairing queryset (already scoped by the caller) or an iterable of pairing ids. The result
    maps pairing id → month (first day) → MonthFigures; months without entries are absent (use ``MonthFigures``'s
    zero default, or :func:`pairing_month_series` for a complete series).
    """
    today = today or timezone.localdate()
    ids = pairings.values("pk") if isinstance(pairings, QuerySet) else list(pairings)
    rows = (
        _period(Activity.objects.filter(pairing_id__in=ids), first, last)
        .annotate(month=TruncMonth("occurred_on"))
        .order_by()
        .values("pairing_id", "month")
        .annotate(**_month_aggregates(today))
    )
    result: dict[int, dict[dt.date, MonthFigures]] = {}
    for row in rows:
        month = _as_date(row["month"])
        result.setdefault(row["pairing_id"], {})[month] = MonthFigures(
            month=month, **{k: row[k] for k in FIGURES}
        )
    return result


def pairing_month_series(
    pairing: Pairing, first: dt.date, last: dt.date, *, today: dt.date | None = None
) -> list[MonthFigures]:
    """Every month from ``first`` to ``last`` for one pairing, zeros included, oldest first."""
    found = pairing_months([pairing.pk], first, last, today=today).get(pairing.pk, {})
    return [found.get(m, MonthFigures(month=m)) for m in months_between(first, last)]


def pairing_month(pairing: Pairing, month: dt.date, *, today: dt.date | None = None) -> MonthFigures:
    """One pairing's figures for the month containing ``month``."""
    return pairing_month_series(pairing, month, month, today=today)[0]


def silent_pairings(
    pairings: QuerySet[Pairing], *, days: int, today: dt.date | None = None
) -> QuerySet[Pairing]:
    """Running pairings with no counted activity in the last ``days`` days (today included).

    A pairing that began less than ``days`` days ago is not silent yet. Each result carries ``last_activity``
    (the date of its latest counted entry, or None), so the silence can be shown as "since …".
    """
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=days)
    counted = Activity.objects.counted().filter(pairing=OuterRef("pk"))
    latest = counted.order_by("-occurred_on").values("occurred_on")[:1]
    return (
        pairings.filter(status__in=RUNNING_STATES, start_date__lte=cutoff)
        .exclude(Exists(counted.filter(occurred_on__gt=cutoff)))
        .annotate(last_activity=Subquery(latest))
    )


@dataclass(frozen=True)
class RegionMonth:
    """Figures of one month in a region (or in one child region of it, with ``region`` set to the child)."""

    region: Region
    figures: MonthFigures


def region_months(
    region: Region,
    first: dt.date,
    last: dt.date,
    *,
    by_child: bool = False,
    today: dt.date | None = None,
    activities: QuerySet[Activity] | None = None,
) -> list[RegionMonth]:
    """Month figures of the activities of pairings in ``region``'s subtree, from ``first`` to ``last``.

    One grouped query over the (region, date) index: the pairing's region is copied onto each entry, so the
    subtree is a range of region paths. With ``by_child``, one series per child region (townships of a county,
    counties of a city); months without entries are absent. The caller checks that the user may see ``region``
    and passes ``activities`` (e.g. ``Activity.objects.visible_to(user)``) when the user does not govern all of it.
    """
    today = today or timezone.localdate()
    low, high = region.subtree_range
    base = Activity.objects.all() if activities is None else activities
    queryset = _period(base.filter(region__path__gte=low, region__path__lt=high), first, last).annotate(
        month=TruncMonth("occurred_on")
    )
    if by_child:
        queryset = queryset.annotate(child=Substr("region__path", 1, len(region.path) + PATH_STEP))
        keys = ["child", "month"]
    else:
        keys = ["month"]
    rows = list(queryset.order_by().values(*keys).annotate(**_month_aggregates(today)))
    children = {}
    if by_child:
        paths = {row["child"] for row in rows}
        children = {r.path: r for r in Region.objects.filter(path__in=paths)}
    result = []
    for row in rows:
        month = _as_date(row["month"])
        owner = children.get(row["child"], region) if by_child else region
        result.append(RegionMonth(owner, MonthFigures(month=month, **{k: row[k] for k in FIGURES})))
    result.sort(key=lambda r: (r.region.path, r.figures.month))
    return result


def region_month_series(
    region: Region,
    first: dt.date,
    last: dt.date,
    *,
    today: dt.date | None = None,
    activities: QuerySet[Activity] | None = None,
) -> list[MonthFigures]:
    """Every month from ``first`` to ``last`` for the region's whole subtree, zeros included, oldest first."""
    rows = region_months(region, first, last, today=today, activities=activities)
    found = {r.figures.month: r.figures for r in rows}
    return [found.get(m, MonthFigures(month=m)) for m in months_between(first, last)]


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
