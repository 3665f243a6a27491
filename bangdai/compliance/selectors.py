"""Reads for compliance: many pairings' figures in a fixed number of grouped queries, judged by ``rules.evaluate``.

Fetch → compute: ``compliance_of(pairings)`` reads the running pairings of a (scoped) queryset, the rules each
runs under, their month figures (``ledger.selectors.pairing_months``), plans, assignment statistics and overdue
work, each in one grouped query whatever the number of pairings, and evaluates every pairing with the pure
``rules.evaluate``. The region pages add silent mentors and the month trends.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext

from bangdai.assignments.models import Assignment
from bangdai.assignments.selectors import assignment_stats, assignments_overdue, reviews_overdue
from bangdai.core.api.fields import without_private
from bangdai.ledger.selectors import MonthFigures, pairing_months, region_months, silent_pairings
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.plans.models import MentoringPlan
from bangdai.programmes.versions import policies
from bangdai.regions.models import PATH_STEP, Region, subtree_q

from .rules import (
    Assignments,
    Compliance,
    Figures,
    Light,
    Period,
    Plan,
    Rules,
    add_months,
    evaluate,
    month_end,
    month_start,
)

SILENT_DAYS = 30  # default "no activity in N days" of the silent-mentors list
SILENT_CHOICES = (14, 30, 60, 90)
TREND_MONTHS = 12
LIGHT_ORDER = {Light.RED: 0, Light.AMBER: 1, Light.GREEN: 2}


def running(pairings: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """The pairings compliance judges: active or extended, with a start date."""
    return pairings.filter(status__in=RUNNING_STATES, start_date__isnull=False)


def in_region(pairings: QuerySet[Pairing], region: Region) -> QuerySet[Pairing]:
    return pairings.filter(subtree_q(region.path, "region__path"))


def narrowed(pairings: QuerySet[Pairing], *, programme=None, q: str = "") -> QuerySet[Pairing]:
    """``pairings`` of one programme (if given) whose apprentice or a mentor has ``q`` in their name."""
    if programme:
        pairings = pairings.filter(programme=programme)
    q = (q or "").strip()
    if q:
        mentored = PairingMentor.objects.filter(mentor__person__name__contains=q).values("pairing_id")
        pairings = pairings.filter(Q(apprentice__person__name__contains=q) | Q(pk__in=mentored))
    return pairings


def with_people(pairings: QuerySet[Pairing]) -> QuerySet[Pairing]:
    """What a list shows: apprentice, region, programme, and the mentors (one prefetch)."""
    members = PairingMentor.objects.select_related("mentor__person").defer(*without_private("mentor__person"))
    return (
        pairings.select_related("apprentice__person", "region", "programme")
        .defer(*without_private("apprentice__person"))
        .prefetch_related(Prefetch("members", queryset=members))
    )


@dataclass(frozen=True)
class PairingRow:
    """What the compliance lists show of a pairing, read with ``values()``: no model instances at province scale."""

    pk: int
    programme_id: int
    rules_version: int
    start_date: dt.date
    apprentice: str
    region_code: str
    region_name: str
    programme: str
    mentors: tuple[str, ...] = ()


ROW_FIELDS = (
    "pk",
    "programme_id",
    "rules_version",
    "start_date",
    "apprentice__person__name",
    "region__code",
    "region__name",
    "programme__name",
)


def pairing_rows(pairings: QuerySet[Pairing]) -> list[PairingRow]:
    """The pairings as rows with their mentors' names (primary first), in two queries."""
    mentors: dict[int, list[str]] = defaultdict(list)
    members = (
        PairingMentor.objects.filter(pairing__in=pairings.values("pk"))
        .order_by("pairing_id", "-is_primary", "pk")
        .values_list("pairing_id", "mentor__person__name")
    )
    for pairing_id, name in members:
        mentors[pairing_id].append(name)
    return [
        PairingRow(*values, mentors=tuple(mentors.get(values[0], ())))
        for values in pairings.order_by().values_list(*ROW_FIELDS)
    ]


@dataclass
class PairingCompliance:
    """One pairing (as a row) and its compliance."""

    pairing: PairingRow
    result: Compliance

    @property
    def light(self) -> Light:
        return self.result.light

    @property
    def score(self) -> int | None:
        return self.result.score

    @property
    def reasons(self):
        return self.result.reasons

    @property
    def mentors(self) -> str:
        return "、".join(self.pairing.mentors)


def _cached(translate):
    """gettext memoised for one computation (the same few dozen messages, thousands of times)."""
    seen: dict[str, str] = {}

    def cached(text: str) -> str:
        if text not in seen:
            seen[text] = translate(text)
        return seen[text]

    return cached


def _local_day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value).date() if value else None


def _counts(queryset) -> dict[int, int]:
    return dict(
        queryset.order_by().values("pairing_id").annotate(n=Count("pk")).values_list("pairing_id", "n")
    )


def figures_of(pairings: QuerySet[Pairing], rows: list[PairingRow], period: Period) -> dict[int, Figures]:
    """The figures of ``rows`` (the evaluated ``pairings``), in seven grouped queries."""
    today = period.today
    months = pairing_months(pairings, period.first, period.last, today=today)
    window_end = month_end(period.months[-1])
    window = assignment_stats(pairings, period.months[0], window_end)
    quarter = assignment_stats(pairings, period.quarter, today)
    assignments = Assignment.objects.filter(pairing__in=pairings.values("pk"))
    overdue = _counts(assignments_overdue(assignments, today))
    late_reviews = _counts(reviews_overdue(assignments, today))
    plans = {
        row["pairing_id"]: Plan(
            status=row["status"],
            first_submitted_on=_local_day(row["first_submitted_at"]),
            approved_on=_local_day(row["approved_at"]),
        )
        for row in MentoringPlan.objects.filter(pairing__in=pairings.values("pk"))
        .order_by()
        .values("pairing_id", "status", "first_submitted_at", "approved_at")
    }
    result = {}
    for pairing in rows:
        pk = pairing.pk
        issued_window = window.get(pk)
        issued_quarter = quarter.get(pk)
        result[pk] = Figures(
            start_date=pairing.start_date,
            months=months.get(pk, {}),
            plan=plans.get(pk, Plan()),
            assignments=Assignments(
                issued_window=issued_window.issued if issued_window else 0,
                issued_quarter=issued_quarter.issued if issued_quarter else 0,
                overdue=overdue.get(pk, 0),
                reviews_overdue=late_reviews.get(pk, 0),
            ),
        )
    return result


def compliance_of(pairings: QuerySet[Pairing], period: Period | None = None) -> list[PairingCompliance]:
    """The compliance of every running pairing of ``pairings`` (scope it first), worst first.

    A fixed number of queries whatever the number of pairings: the pairings and their mentors' names, the rules
    versions they run under, and the figures (``figures_of``). The words of the checks are rendered only when read.
    """
    period = period or Period.default(timezone.localdate())
    pairings = running(pairings)
    rows = pairing_rows(pairings)
    if not rows:
        return []
    keys = {(p.programme_id, p.rules_version) for p in rows}
    rules = {key: Rules.of(policy) for key, policy in policies(keys).items()}
    figures = figures_of(pairings, rows, period)
    translate = _cached(gettext)
    results = [
        PairingCompliance(
            p, evaluate(figures[p.pk], rules[(p.programme_id, p.rules_version)], period, translate)
        )
        for p in rows
    ]
    results.sort(key=sort_key)
    return results


def sort_key(item: PairingCompliance):
    """Worst first: red, amber, green; lower scores first; then by the apprentice's name."""
    score = item.score if item.score is not None else 101
    return (LIGHT_ORDER[item.light], score, item.pairing.apprentice, item.pairing.pk)


def pairing_compliance(pairing: Pairing, period: Period | None = None) -> PairingCompliance | None:
    """One pairing's compliance (``pairing`` already scoped); None unless it is running."""
    found = compliance_of(Pairing.objects.filter(pk=pairing.pk), period)
    return found[0] if found else None


@dataclass(frozen=True)
class Summary:
    red: int = 0
    amber: int = 0
    green: int = 0

    @property
    def total(self) -> int:
        return self.red + self.amber + self.green

    def as_dict(self) -> dict[str, int]:
        return {"red": self.red, "amber": self.amber, "green": self.green, "total": self.total}

    @classmethod
    def of(cls, items: Iterable[PairingCompliance]) -> "Summary":
        counts = defaultdict(int)
        for item in items:
            counts[item.light] += 1
        return cls(red=counts[Light.RED], amber=counts[Light.AMBER], green=counts[Light.GREEN])


def filter_results(
    items: list[PairingCompliance], *, light: str = "", rule: str = ""
) -> list[PairingCompliance]:
    """Narrow by light ("behind" = red or amber) and by a rule among the reasons."""
    if light == "behind":
        items = [i for i in items if i.light != Light.GREEN]
    elif light:
        items = [i for i in items if i.light == light]
    if rule:
        items = [i for i in items if any(r.rule == rule for r in i.reasons)]
    return items


# ---------------------------------------------------------------------------------------------------------------
# Silent mentors


@dataclass
class SilentMentor:
    """A mentor with running pairings that recorded nothing in the last N days."""

    mentor_id: int
    name: str
    region: Region
    running: int = 0
    pairings: list[Pairing] = field(default_factory=list)

    @property
    def all_silent(self) -> bool:
        return len(self.pairings) >= self.running

    @property
    def last_activity(self) -> dt.date | None:
        days = [p.last_activity for p in self.pairings if p.last_activity]
        return max(days) if days else None


def silent_mentors(
    pairings: QuerySet[Pairing], *, days: int = SILENT_DAYS, today: dt.date | None = None
) -> list[SilentMentor]:
    """Mentors of ``pairings`` (scoped) with running pairings silent for ``days`` days, with those pairings.

    Three queries: the silent pairings (with their last activity), their mentors, and each mentor's running
    pairings among ``pairings`` (to tell "all silent" from "some").
    """
    today = today or timezone.localdate()
    members = PairingMentor.objects.select_related("mentor__person", "mentor__region").defer(
        *without_private("mentor__person")
    )
    silent = list(
        silent_pairings(pairings, days=days, today=today)
        .select_related("apprentice__person", "region")
        .defer(*without_private("apprentice__person"))
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("last_activity", "pk")
    )
    found: dict[int, SilentMentor] = {}
    for pairing in silent:
        for member in pairing.members.all():
            mentor = member.mentor
            entry = found.get(mentor.pk)
            if entry is None:
                entry = found[mentor.pk] = SilentMentor(mentor.pk, mentor.person.name, mentor.region)
            entry.pairings.append(pairing)
    if found:
        counts = (
            PairingMentor.objects.filter(
                pairing__in=running(pairings).values("pk"), mentor_id__in=list(found)
            )
            .order_by()
            .values("mentor_id")
            .annotate(n=Count("pairing_id"))
            .values_list("mentor_id", "n")
        )
        for mentor_id, n in counts:
            found[mentor_id].running = n
    return sorted(
        found.values(),
        key=lambda m: (not m.all_silent, m.last_activity or dt.date.min, m.name, m.mentor_id),
    )


# ---------------------------------------------------------------------------------------------------------------
# Trends by month


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    activities: int = 0
    on_site: int = 0
    confirmed: int = 0
    settled: int = 0  # confirmed + flagged unconfirmed
    pairings: int = 0  # pairings running at some point of the month

    @property
    def confirmed_share(self) -> float | None:
        return round(self.confirmed / self.settled, 3) if self.settled else None

    @property
    def per_pairing(self) -> float | None:
        return round(self.activities / self.pairings, 2) if self.pairings else None


@dataclass
class Trends:
    months: list[dt.date]
    total: list[TrendPoint]
    children: list[tuple[Region, list[TrendPoint]]]


def _running_in(month: dt.date) -> Q:
    return Q(start_date__lte=month_end(month)) & (Q(ended_on__isnull=True) | Q(ended_on__gte=month))


def pairings_per_month(
    pairings: QuerySet[Pairing], region: Region, months: list[dt.date]
) -> dict[str, list[int]]:
    """Pairings running at some point of each month, per child path of ``region`` (one grouped query)."""
    child = Substr("region__path", 1, len(region.path) + PATH_STEP)
    annotations = {f"m{i}": Count("pk", filter=_running_in(m)) for i, m in enumerate(months)}
    rows = (
        in_region(pairings, region)
        .filter(start_date__isnull=False, start_date__lte=month_end(months[-1]))
        .annotate(child=child)
        .order_by()
        .values("child")
        .annotate(**annotations)
    )
    return {row["child"]: [row[f"m{i}"] for i in range(len(months))] for row in rows}


def trends(
    region: Region, pairings: QuerySet[Pairing], *, months: int = TREND_MONTHS, today: dt.date | None = None
) -> Trends:
    """Month figures of ``region``'s subtree for the last ``months`` months (this one included), in total and per
    child region: activities, on-site, confirmed share, running pairings. Three queries.

    The caller checks that the user governs ``region`` (the figures count its whole subtree).
    """
    today = today or timezone.localdate()
    last = month_start(today)
    series = [add_months(last, -n) for n in range(months - 1, -1, -1)]
    children = list(
        Region.objects.current()
        .filter(depth=region.depth + 1)
        .filter(subtree_q(region.path))
        .order_by("path")
    )
    by_child: dict[str, dict[dt.date, MonthFigures]] = defaultdict(dict)
    for row in region_months(region, series[0], last, by_child=True, today=today):
        by_child[row.region.path][row.figures.month] = row.figures
    running_counts = pairings_per_month(pairings, region, series)

    def points(figures: dict[dt.date, MonthFigures], counts: list[int]) -> list[TrendPoint]:
        result = []
        for i, month in enumerate(series):
            f = figures.get(month) or MonthFigures(month=month)
            result.append(
                TrendPoint(
                    month,
                    f.activities,
                    f.on_site,
                    f.confirmed,
                    f.confirmed + f.overdue,
                    counts[i] if counts else 0,
                )
            )
        return result

    zero = [0] * len(series)
    per_child = [(c, points(by_child.get(c.path, {}), running_counts.get(c.path, zero))) for c in children]
    total = []
    all_counts = [sum(counts[i] for counts in running_counts.values()) for i in range(len(series))]
    for i, month in enumerate(series):
        rows = [by_child[key].get(month) for key in by_child]
        rows = [r for r in rows if r is not None]
        total.append(
            TrendPoint(
                month,
                sum(r.activities for r in rows),
                sum(r.on_site for r in rows),
                sum(r.confirmed for r in rows),
                sum(r.confirmed + r.overdue for r in rows),
                all_counts[i],
            )
        )
    return Trends(months=series, total=total, children=per_child)
