"""Compliance of one pairing with its programme's rules: a pure function of typed figures (no Django import).

``evaluate(figures, rules, period)`` turns a pairing's counted figures into a traffic light (green, amber, red),
the checks behind it in words (which rule, what it expects, what happened) and a score.

The period (``Period.default(today)``)
    * the **window**: the last three full calendar months before ``today``'s month. The monthly rules
      (``activities_per_month``, ``onsite_per_month``) are judged in each of its months, the quarterly rules
      (``talks_per_quarter``, ``assignments_per_quarter``) over the window as a rolling quarter, and the share of
      entries the counterpart confirmed (``confirm_within_days``) over its entries;
    * the **current quarter** (calendar, to date): a heads-up when a quarterly rule is not met yet and the
      quarter ends within ``QUARTER_WARN_DAYS`` days (amber), otherwise "pending";
    * the **last two full calendar quarters**: D2's dismissal trigger 2 (activity compliance below 50 % in two
      consecutive quarters) is red;
    * **now**: the plan (due ``plan_due_days`` after the start), assignments past their due date with nothing
      submitted, submissions not reviewed within ``review_within_days``.

A month counts only when the pairing began on or before its first day (a pairing that began on 20 March is
judged from April); a rolling-quarter rule asks for ``round(per_quarter × judged months / 3)`` (half up).

Severity of a frequency rule: the share of what it asks that was met, each month capped at the rule (a busy
month does not make up for an empty one). Below ``RED_BELOW`` (50 %) red, below 100 % amber. Confirmations:
red below 50 %, amber below ``CONFIRMED_AMBER_BELOW`` (80 %) of the settled entries (confirmed or flagged
unconfirmed). Overdue assignments and overdue reviews: one is amber, two or more red. The light is the worst
status of the checks.

The score (0–100) is the **activity compliance share** that D2's assessment and dismissal rules use:

    required = Σ_months (A + O) + T_window
    met      = Σ_months (min(activities_m, A) + min(on_site_m, O)) + min(talks_window, T_window)
    score    = round(100 × met / required)        (None when nothing is required yet)

with A = activities_per_month, O = onsite_per_month, the sums over the judged months of the window, and
T_window the talks the window asks for (``talks_per_quarter`` pro rata, as above). Plans, assignments, reviews
and confirmations colour the light but are not in the score: D2 scores them under "plan & assignment quality".
The same formula over one calendar quarter's months (``activity_share``) gives a quarter's compliance.

Words are produced through the ``translate`` callable given to ``evaluate`` (Django's ``gettext`` in the app;
the identity by default), so this module stays free of Django.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Protocol

RED_BELOW = 0.5  # a frequency rule met below half of what it asks is red (D2: "< 50 %" dismissal trigger)
CONFIRMED_AMBER_BELOW = 0.8  # confirmed share of settled entries below this is amber
QUARTER_WARN_DAYS = 30  # a quarterly rule not met yet turns amber when the quarter ends within this many days
DISMISSAL_SHARE = 50  # D2 dismissal trigger 2: activity compliance below this in two consecutive quarters
WINDOW_MONTHS = 3

Translate = Callable[[str], str]


def _identity(text: str) -> str:
    return text


def _(text: str) -> str:
    """Marks a message for extraction; ``evaluate`` translates it through the caller's ``translate``."""
    return text


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class Status(StrEnum):
    OK = "ok"
    PENDING = "pending"  # not due or not judged yet
    AMBER = "amber"
    RED = "red"


SEVERITY = {Status.OK: 0, Status.PENDING: 0, Status.AMBER: 1, Status.RED: 2}
LIGHT_OF = {0: Light.GREEN, 1: Light.AMBER, 2: Light.RED}


class Rule(StrEnum):
    """The rule a check judges: a programme rule (its ``Policy`` field name) or a due date set on a record."""

    ACTIVITIES = "activities_per_month"
    ON_SITE = "onsite_per_month"
    TALKS = "talks_per_quarter"
    TALKS_QUARTER = "talks_this_quarter"
    ASSIGNMENTS = "assignments_per_quarter"
    ASSIGNMENTS_QUARTER = "assignments_this_quarter"
    PLAN = "plan_due_days"
    ASSIGNMENT_DUE = "assignment_due"
    REVIEWS = "review_within_days"
    CONFIRMATIONS = "confirm_within_days"
    QUARTERS = "activity_compliance_quarters"


# What each rule is called (translated through ``evaluate``'s ``translate``).
RULE_LABELS = {
    Rule.ACTIVITIES: _("Activities per month"),
    Rule.ON_SITE: _("On-site activities per month"),
    Rule.TALKS: _("Heart-to-heart talks (谈心谈话)"),
    Rule.TALKS_QUARTER: _("Heart-to-heart talks this quarter"),
    Rule.ASSIGNMENTS: _("Assignments set"),
    Rule.ASSIGNMENTS_QUARTER: _("Assignments set this quarter"),
    Rule.PLAN: _("Mentoring plan"),
    Rule.ASSIGNMENT_DUE: _("Assignments handed in on time"),
    Rule.REVIEWS: _("Submissions reviewed in time"),
    Rule.CONFIRMATIONS: _("Entries confirmed by the other side"),
    Rule.QUARTERS: _("Activity compliance in the last two quarters"),
}


# ---------------------------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class Rules:
    """The programme rules compliance reads (a subset of ``programmes.policy.Policy``, same names)."""

    activities_per_month: int = 2
    onsite_per_month: int = 1
    talks_per_quarter: int = 1
    assignments_per_quarter: int = 1
    plan_due_days: int = 30
    review_within_days: int = 14
    confirm_within_days: int = 7

    @classmethod
    def of(cls, policy) -> "Rules":
        """The rules of any object with these attributes (a ``Policy``)."""
        return cls(**{name: int(getattr(policy, name)) for name in cls.__dataclass_fields__})


class MonthCounts(Protocol):
    """What ``evaluate`` reads of a month (``Month`` here, or the ledger's ``MonthFigures``)."""

    activities: int
    on_site: int
    talks: int
    confirmed: int
    overdue: int


@dataclass(frozen=True, slots=True)
class Month:
    """Counted ledger entries of one month (withdrawn ones excluded)."""

    month: dt.date  # the first day
    activities: int = 0
    on_site: int = 0
    talks: int = 0
    confirmed: int = 0
    awaiting: int = 0  # inside the counterpart's window
    overdue: int = 0  # flagged unconfirmed: the window closed


NO_ENTRIES = Month(dt.date.min)  # any month without entries


@dataclass(frozen=True, slots=True)
class Plan:
    """The pairing's plan now: ``status`` is a plans state ("draft", "submitted", "approved", "returned") or "none"."""

    status: str = "none"
    first_submitted_on: dt.date | None = None
    approved_on: dt.date | None = None

    @property
    def handed_in(self) -> bool:
        return self.status in ("submitted", "approved")


@dataclass(frozen=True, slots=True)
class Assignments:
    """Assignments issued in the window and in the quarter to date; open problems now."""

    issued_window: int = 0
    issued_quarter: int = 0
    overdue: int = 0  # past the due date, nothing submitted
    reviews_overdue: int = 0  # submitted, not reviewed within the window


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything ``evaluate`` reads about one pairing."""

    start_date: dt.date
    months: Mapping[dt.date, MonthCounts] = field(default_factory=dict)  # absent months had no entries
    plan: Plan = Plan()
    assignments: Assignments = Assignments()

    def month(self, first_day: dt.date) -> MonthCounts:
        return self.months.get(first_day, NO_ENTRIES)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> dt.date:
    """The first day of the calendar quarter containing ``day``."""
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_months(first: dt.date) -> tuple[dt.date, ...]:
    return tuple(add_months(first, i) for i in range(3))


@dataclass(frozen=True)
class Period:
    """What is judged: see the module's docstring."""

    today: dt.date
    months: tuple[dt.date, ...]  # the window, oldest first (first days)
    quarter: dt.date  # the first day of the current quarter
    past_quarters: tuple[dt.date, ...]  # first days of the last two full quarters, older first

    @classmethod
    def default(cls, today: dt.date) -> "Period":
        current = month_start(today)
        quarter = quarter_of(today)
        return cls(
            today=today,
            months=tuple(add_months(current, -n) for n in range(WINDOW_MONTHS, 0, -1)),
            quarter=quarter,
            past_quarters=(add_months(quarter, -6), add_months(quarter, -3)),
        )

    # Computed once per period (a region's thousands of pairings share one).
    @cached_property
    def quarter_end(self) -> dt.date:
        return month_end(add_months(self.quarter, 2))

    @cached_property
    def quarter_months(self) -> tuple[dt.date, ...]:
        """Months of the current quarter up to ``today``'s."""
        return tuple(m for m in quarter_months(self.quarter) if m <= self.today)

    @cached_property
    def past_quarter_months(self) -> tuple[tuple[dt.date, ...], ...]:
        return tuple(quarter_months(q) for q in self.past_quarters)

    @cached_property
    def labels(self) -> dict[dt.date, str]:
        """ "YYYY-MM" of every month read."""
        months = [*self.months, *self.quarter_months, *(m for q in self.past_quarter_months for m in q)]
        return {m: f"{m:%Y-%m}" for m in months}

    def label(self, month: dt.date) -> str:
        return self.labels.get(month) or f"{month:%Y-%m}"

    @property
    def first(self) -> dt.date:
        """The first month any figure is read for."""
        return min(self.months[0], self.past_quarters[0] if self.past_quarters else self.months[0])

    @property
    def last(self) -> dt.date:
        """The last month any figure is read for (today's)."""
        return month_start(self.today)


# ---------------------------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True, slots=True)
class Words:
    """A message and its parameters, put into words (translated) only when shown: a region's thousands of
    pairings are judged, a page shows fifty."""

    text: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Translate) -> str:
        translated = translate(self.text)
        if not self.params:
            return translated
        values = {k: v.render(translate) if isinstance(v, Words) else v for k, v in self.params.items()}
        return translated % values


@dataclass(frozen=True, slots=True)
class MonthList:
    """Counts per month, written out ("2027-02: 2, 2027-03: 1") only when shown."""

    period: "Period"
    months: tuple[dt.date, ...]
    counts: tuple[int, ...]

    def __str__(self) -> str:
        return ", ".join(
            f"{self.period.label(m)}: {c}" for m, c in zip(self.months, self.counts, strict=True)
        )


@dataclass(frozen=True, slots=True)
class Check:
    """One rule judged: its status and, in words, the rule, what it expects and what happened."""

    rule: Rule
    status: Status
    expected_words: Words
    actual_words: Words
    share: float | None = None  # the part of the rule met, for frequency rules
    translate: Translate = field(default=_identity, compare=False, repr=False)

    @property
    def label(self) -> str:
        return self.translate(RULE_LABELS[self.rule])

    @property
    def expected(self) -> str:
        return self.expected_words.render(self.translate)

    @property
    def actual(self) -> str:
        return self.actual_words.render(self.translate)

    @property
    def text(self) -> str:
        return self.translate(_("%(rule)s: %(expected)s; %(actual)s")) % {
            "rule": self.label,
            "expected": self.expected,
            "actual": self.actual,
        }

    @property
    def is_reason(self) -> bool:
        return self.status in (Status.AMBER, Status.RED)


@dataclass(frozen=True, slots=True)
class Share:
    """Activity compliance: units met and required (see the module's docstring)."""

    met: int
    required: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.required) if self.required else None


@dataclass(frozen=True, slots=True)
class Compliance:
    light: Light
    score: int | None
    checks: tuple[Check, ...]
    judged_months: tuple[dt.date, ...]
    quarter_scores: tuple[int | None, ...] = ()  # activity compliance of the last two full quarters

    @property
    def reasons(self) -> list[Check]:
        """The checks that make the light amber or red, worst first."""
        return sorted((c for c in self.checks if c.is_reason), key=lambda c: -SEVERITY[c.status])


# ---------------------------------------------------------------------------------------------------------------
# The computation


def judged(months: Sequence[dt.date], start: dt.date) -> tuple[dt.date, ...]:
    """The months a pairing that began on ``start`` is judged in: those beginning on or after it."""
    return tuple(m for m in months if m >= start)


def pro_rata(per_quarter: int, months: int) -> int:
    """What a quarterly rule asks of ``months`` months, rounded half up."""
    return (2 * per_quarter * months + 3) // 6


def activity_share(figures: Figures, rules: Rules, months: Sequence[dt.date]) -> Share:
    """Activity compliance over the judged ones of ``months`` (the score's formula)."""
    counted = judged(months, figures.start_date)
    a, o = rules.activities_per_month, rules.onsite_per_month
    talks_asked = pro_rata(rules.talks_per_quarter, len(counted))
    met = talks = 0
    for m in counted:
        month = figures.month(m)
        met += min(month.activities, a) + min(month.on_site, o)
        talks += month.talks
    met += min(talks, talks_asked)
    return Share(met=met, required=(a + o) * len(counted) + talks_asked)


def _frequency_status(share: float) -> Status:
    if share >= 1:
        return Status.OK
    return Status.RED if share < RED_BELOW else Status.AMBER


def _count_status(n: int) -> Status:
    return Status.OK if n == 0 else Status.AMBER if n == 1 else Status.RED


class _Judge:
    def __init__(self, figures: Figures, rules: Rules, period: Period, t: Translate):
        self.f, self.r, self.p, self.t = figures, rules, period, t
        self.months = judged(period.months, figures.start_date)

    def check(self, rule: Rule, status: Status, expected: Words, actual: Words, share=None) -> Check:
        return Check(rule, status, expected, actual, share, self.t)

    def per_month(self, rule: Rule, asked: int, attribute: str) -> Check | None:
        if asked <= 0:
            return None
        expected = Words(_("at least %(n)s each month"), {"n": asked})
        if not self.months:
            return self.check(rule, Status.PENDING, expected, Words(_("no full month yet")))
        counts = [getattr(self.f.month(m), attribute) for m in self.months]
        share = sum(min(c, asked) for c in counts) / (asked * len(counts))
        actual = Words(_("recorded: %(months)s"), {"months": MonthList(self.p, self.months, tuple(counts))})
        return self.check(rule, _frequency_status(share), expected, actual, share)

    def activities(self) -> Check | None:
        return self.per_month(Rule.ACTIVITIES, self.r.activities_per_month, "activities")

    def on_site(self) -> Check | None:
        return self.per_month(Rule.ON_SITE, self.r.onsite_per_month, "on_site")

    def rolling(self, rule: Rule, per_quarter: int, done: int) -> Check | None:
        if per_quarter <= 0:
            return None
        asked = pro_rata(per_quarter, len(self.months))
        if asked == 0:
            return self.check(
                rule,
                Status.PENDING,
                Words(_("%(n)s a quarter"), {"n": per_quarter}),
                Words(_("not judged yet: %(done)s so far"), {"done": done}),
            )
        share = min(done, asked) / asked
        span = {"n": asked, "first": self.p.label(self.months[0]), "last": self.p.label(self.months[-1])}
        return self.check(
            rule,
            _frequency_status(share),
            Words(_("at least %(n)s in %(first)s to %(last)s"), span),
            Words(_("done: %(done)s"), {"done": done}),
            share,
        )

    def talks(self) -> Check | None:
        done = sum(self.f.month(m).talks for m in self.months)
        return self.rolling(Rule.TALKS, self.r.talks_per_quarter, done)

    def assignments(self) -> Check | None:
        return self.rolling(
            Rule.ASSIGNMENTS, self.r.assignments_per_quarter, self.f.assignments.issued_window
        )

    def this_quarter(self, rule: Rule, per_quarter: int, done: int) -> Check | None:
        """A heads-up for the calendar quarter in progress (only when the pairing ran since its start)."""
        p = self.p
        if per_quarter <= 0 or p.quarter_end < p.today or self.f.start_date > p.quarter:
            return None
        days_left = (p.quarter_end - p.today).days
        expected = Words(
            _("at least %(n)s by %(date)s"), {"n": per_quarter, "date": p.quarter_end.isoformat()}
        )
        actual = Words(_("so far: %(done)s, %(days)s days left"), {"done": done, "days": days_left})
        if done >= per_quarter:
            status = Status.OK
        elif days_left <= QUARTER_WARN_DAYS:
            status = Status.AMBER
        else:
            status = Status.PENDING
        return self.check(rule, status, expected, actual, min(done / per_quarter, 1.0))

    def talks_quarter(self) -> Check | None:
        done = sum(self.f.month(m).talks for m in self.p.quarter_months)
        return self.this_quarter(Rule.TALKS_QUARTER, self.r.talks_per_quarter, done)

    def assignments_quarter(self) -> Check | None:
        return self.this_quarter(
            Rule.ASSIGNMENTS_QUARTER, self.r.assignments_per_quarter, self.f.assignments.issued_quarter
        )

    def plan(self) -> Check:
        plan, today = self.f.plan, self.p.today
        due = self.f.start_date + dt.timedelta(days=self.r.plan_due_days)
        expected = Words(_("submitted by %(date)s"), {"date": due.isoformat()})
        submitted = plan.first_submitted_on
        if plan.handed_in and submitted is not None:
            state = (
                Words(_("approved on %(date)s"), {"date": plan.approved_on.isoformat()})
                if plan.status == "approved" and plan.approved_on
                else Words(_("awaiting approval"))
            )
            if submitted <= due:
                actual = Words(
                    _("submitted on %(date)s, %(state)s"), {"date": submitted.isoformat(), "state": state}
                )
                return self.check(Rule.PLAN, Status.OK, expected, actual)
            actual = Words(
                _("submitted %(days)s days late, on %(date)s, %(state)s"),
                {"days": (submitted - due).days, "date": submitted.isoformat(), "state": state},
            )
            recent = bool(self.p.months) and submitted >= self.p.months[0]
            return self.check(Rule.PLAN, Status.AMBER if recent else Status.OK, expected, actual)
        if today <= due:
            actual = Words(_("not submitted yet, %(days)s days left"), {"days": (due - today).days})
            return self.check(Rule.PLAN, Status.PENDING, expected, actual)
        days = (today - due).days
        if plan.status == "returned" and submitted is not None and submitted <= due:
            actual = Words(
                _("returned for revision, not submitted again (%(days)s days past due)"), {"days": days}
            )
            return self.check(Rule.PLAN, Status.AMBER, expected, actual)
        actual = Words(_("not submitted: overdue by %(days)s days"), {"days": days})
        return self.check(Rule.PLAN, Status.RED, expected, actual)

    def assignment_due(self) -> Check:
        n = self.f.assignments.overdue
        return self.check(
            Rule.ASSIGNMENT_DUE,
            _count_status(n),
            Words(_("none past its due date")),
            Words(_("past due with nothing submitted: %(n)s"), {"n": n}),
        )

    def reviews(self) -> Check:
        n = self.f.assignments.reviews_overdue
        return self.check(
            Rule.REVIEWS,
            _count_status(n),
            Words(_("reviewed within %(days)s days"), {"days": self.r.review_within_days}),
            Words(_("waiting longer: %(n)s"), {"n": n}),
        )

    def confirmations(self) -> Check:
        confirmed = sum(self.f.month(m).confirmed for m in self.months)
        unconfirmed = sum(self.f.month(m).overdue for m in self.months)
        expected = Words(_("within %(days)s days"), {"days": self.r.confirm_within_days})
        settled = confirmed + unconfirmed
        if not settled:
            return self.check(Rule.CONFIRMATIONS, Status.PENDING, expected, Words(_("nothing to confirm")))
        share = confirmed / settled
        if share < RED_BELOW:
            status = Status.RED
        elif share < CONFIRMED_AMBER_BELOW:
            status = Status.AMBER
        else:
            status = Status.OK
        actual = Words(
            _("confirmed %(confirmed)s of %(settled)s, %(unconfirmed)s left unconfirmed"),
            {"confirmed": confirmed, "settled": settled, "unconfirmed": unconfirmed},
        )
        return self.check(Rule.CONFIRMATIONS, status, expected, actual, share)

    def quarters(self) -> tuple[Check | None, tuple[int | None, ...]]:
        scores = tuple(
            activity_share(self.f, self.r, quarter_months(q)).percent for q in self.p.past_quarters
        )
        if len(scores) < 2:
            return None, scores
        expected = Words(_("%(share)s%% or more in at least one of them"), {"share": DISMISSAL_SHARE})
        shown = ", ".join(
            f"{q.year}Q{(q.month - 1) // 3 + 1} {'–' if s is None else f'{s}%'}"
            for q, s in zip(self.p.past_quarters, scores, strict=True)
        )
        if any(s is None for s in scores):
            return self.check(Rule.QUARTERS, Status.PENDING, expected, Words(shown)), scores
        status = Status.RED if below_in_consecutive_quarters(scores) else Status.OK
        return self.check(Rule.QUARTERS, status, expected, Words(shown)), scores


def below_in_consecutive_quarters(
    scores: Sequence[int | None], share: int = DISMISSAL_SHARE, count: int = 2
) -> bool:
    """D2 dismissal trigger 2: activity compliance below ``share`` in ``count`` consecutive quarters."""
    run = 0
    for score in scores:
        run = run + 1 if score is not None and score < share else 0
        if run >= count:
            return True
    return False


def evaluate(figures: Figures, rules: Rules, period: Period, translate: Translate = _identity) -> Compliance:
    """The compliance of one pairing: light, checks (reasons in words) and the activity compliance score."""
    judge = _Judge(figures, rules, period, translate)
    quarters_check, quarter_scores = judge.quarters()
    checks = [
        judge.activities(),
        judge.on_site(),
        judge.talks(),
        judge.talks_quarter(),
        judge.confirmations(),
        judge.plan(),
        judge.assignments(),
        judge.assignments_quarter(),
        judge.assignment_due(),
        judge.reviews(),
        quarters_check,
    ]
    checks = tuple(c for c in checks if c is not None)
    worst = max((SEVERITY[c.status] for c in checks), default=0)
    return Compliance(
        light=LIGHT_OF[worst],
        score=activity_share(figures, rules, period.months).percent,
        checks=checks,
        judged_months=judge.months,
        quarter_scores=quarter_scores,
    )
