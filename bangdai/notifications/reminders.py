"""One day's reminders and escalations: what falls due soon, what is overdue, and whom to tell.

For every deadline of a running pairing — its plan (start + ``plan_due_days``), an assignment's due date, a
submission's review (submitted + ``review_within_days``), an entry's confirmation (``confirm_due``) — a run on
``day`` writes, by the number of days past the deadline:

    -LEAD_DAYS … 0                      a reminder to the person who must act (non-mandatory: preferences apply)
    1 … CATCH_UP_DAYS                   a notice that it is overdue (mandatory; not for confirmations, which close)
    ESCALATE_AFTER … + CATCH_UP_DAYS    an escalation to the township committee over the pairing's region, or,
                                        where there is none, to the organisation admins of the nearest region up

and for the month's activity minimum (``activities_per_month``, ``onsite_per_month``): a reminder to both
parties in the last MONTH_END_DAYS days of a month not yet met, and after the month one escalation per
committee member listing the pairings that missed it. A range rather than one day, so that a day the scheduler
missed is caught up by the next run; the notification's key (kind, object, due date or month) makes each go out
once per person however many runs see it.

Reads are grouped: one query per kind of deadline, two per chunk of pairings for the parties, one for the
committees. Texts are written in the site's language (``LANGUAGE_CODE``).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bangdai.accounts.choices import Role
from bangdai.accounts.models import RoleAssignment
from bangdai.assignments.choices import AssignmentStatus
from bangdai.assignments.models import Assignment
from bangdai.compliance.rules import add_months, month_end, month_start
from bangdai.ledger.choices import ActivityStatus, Side
from bangdai.ledger.models import Activity
from bangdai.ledger.selectors import pairing_months
from bangdai.pairings.choices import RUNNING_STATES
from bangdai.pairings.models import Pairing, PairingMentor
from bangdai.plans.choices import HANDED_IN_STATES
from bangdai.programmes.versions import policies
from bangdai.regions.models import PATH_STEP

from .choices import Kind
from .schedule import Schedule, schedule
from .services import Draft, chunks

MENTORS, APPRENTICE = "mentors", "apprentice"
REMINDER = {
    "plan": Kind.PLAN_DUE,
    "assignment": Kind.ASSIGNMENT_DUE,
    "review": Kind.REVIEW_DUE,
    "confirm": Kind.CONFIRM_DUE,
}
OVERDUE = {"plan": Kind.PLAN_OVERDUE, "assignment": Kind.ASSIGNMENT_OVERDUE, "review": Kind.REVIEW_OVERDUE}
ESCALATE = {
    "plan": Kind.ESCALATE_PLAN,
    "assignment": Kind.ESCALATE_ASSIGNMENT,
    "review": Kind.ESCALATE_REVIEW,
    "confirm": Kind.ESCALATE_CONFIRM,
}


@dataclass(frozen=True)
class Deadline:
    """One deadline of one record of a running pairing."""

    subject: str  # "plan", "assignment", "review", "confirm"
    object_id: int
    pairing_id: int
    due: dt.date
    to: str  # who must act: MENTORS or APPRENTICE
    what: str = ""  # the assignment's title, the entry's method
    on: dt.date | None = None  # the entry's date
    author: str = ""  # the side that recorded the entry


@dataclass
class Party:
    """A pairing's people: names for the texts, accounts to notify."""

    apprentice: str = ""
    apprentice_user: int | None = None
    mentors: list[str] = field(default_factory=list)
    mentor_users: list[int] = field(default_factory=list)
    region_path: str = ""
    region_name: str = ""

    @property
    def mentor_names(self) -> str:
        return "、".join(self.mentors)

    def users(self, to: str) -> list[int]:
        if to == APPRENTICE:
            return [self.apprentice_user] if self.apprentice_user else []
        return list(self.mentor_users)


def parties(pairing_ids: Iterable[int]) -> dict[int, Party]:
    """Names and accounts of the pairings' apprentices and mentors (two queries per chunk of pairings)."""
    found: dict[int, Party] = defaultdict(Party)
    ids = sorted(set(pairing_ids))
    for part in chunks(ids):
        for row in Pairing.objects.filter(pk__in=part).values(
            "pk", "apprentice__person__name", "apprentice__person__account", "region__path", "region__name"
        ):
            party = found[row["pk"]]
            party.apprentice = row["apprentice__person__name"]
            party.apprentice_user = row["apprentice__person__account"]
            party.region_path, party.region_name = row["region__path"], row["region__name"]
        members = (
            PairingMentor.objects.filter(pairing_id__in=part)
            .order_by("pairing_id", "-is_primary", "pk")
            .values_list("pairing_id", "mentor__person__name", "mentor__person__account")
        )
        for pairing_id, name, user_id in members:
            found[pairing_id].mentors.append(name)
            if user_id:
                found[pairing_id].mentor_users.append(user_id)
    return found


class Committee:
    """Who hears of a missed deadline: the township committee over a region, else the nearest org admins up."""

    def __init__(self):
        self.township: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.admins: dict[str, list[tuple[int, str]]] = defaultdict(list)
        grants = RoleAssignment.objects.filter(
            role__in=(Role.TOWNSHIP, Role.ORG_ADMIN), user__is_active=True
        ).values_list("user_id", "role", "region__path", "region__code")
        for user_id, role, path, code in grants:
            (self.township if role == Role.TOWNSHIP else self.admins)[path].append((user_id, code))

    def for_path(self, path: str) -> list[tuple[int, str]]:
        """(user id, the region code of their role) of whoever is told about a pairing in ``path``."""
        ancestors = [path[:i] for i in range(PATH_STEP, len(path) + 1, PATH_STEP)]
        found = [grant for a in ancestors for grant in self.township.get(a, [])]
        if found:
            return found
        for ancestor in reversed(ancestors):
            if ancestor in self.admins:
                return self.admins[ancestor]
        return []


# ---------------------------------------------------------------------------------------------------------------
# The deadlines of the day


def _running_pairings():
    return Pairing.objects.filter(status__in=RUNNING_STATES, start_date__isnull=False)


def _window(day: dt.date, s: Schedule) -> tuple[dt.date, dt.date]:
    """Due dates that can matter on ``day``: from the oldest still escalated to the furthest reminded."""
    return day - dt.timedelta(days=s.escalate_after_days + s.catch_up_days), day + dt.timedelta(
        days=s.lead_days
    )


def _after_rule(day: dt.date, s: Schedule, rows, rule: str, build) -> list[Deadline]:
    """Deadlines ``rule`` days (a rule of each row's programme version) after each row's date, within the range.

    ``rows`` are (programme id, rules version, date, *rest); ``build(due, *rest)`` makes the deadline.
    """
    rows = list(rows)
    rules = policies({(programme, version) for programme, version, *_rest in rows})
    first, last = _window(day, s)
    found = []
    for programme, version, start, *rest in rows:
        due = start + dt.timedelta(days=getattr(rules[(programme, version)], rule))
        if first <= due <= last:
            found.append(build(due, *rest))
    return found


def plan_deadlines(day: dt.date, s: Schedule) -> list[Deadline]:
    """Plans not handed in (none, draft, returned) of running pairings, due ``plan_due_days`` after the start."""
    rows = (
        _running_pairings()
        .filter(start_date__lte=day)
        .exclude(plan__status__in=HANDED_IN_STATES)
        .values_list("programme_id", "rules_version", "start_date", "pk")
    )
    return _after_rule(day, s, rows, "plan_due_days", lambda due, pk: Deadline("plan", pk, pk, due, MENTORS))


def assignment_deadlines(day: dt.date, s: Schedule) -> list[Deadline]:
    """Assignments issued and not answered, due within the window."""
    first, last = _window(day, s)
    rows = Assignment.objects.filter(
        status=AssignmentStatus.ISSUED,
        due_on__gte=first,
        due_on__lte=last,
        pairing__status__in=RUNNING_STATES,
    ).values_list("pk", "pairing_id", "due_on", "title")
    return [Deadline("assignment", pk, pairing, due, APPRENTICE, title) for pk, pairing, due, title in rows]


def review_deadlines(day: dt.date, s: Schedule) -> list[Deadline]:
    """Submissions waiting for the mentor's review, due ``review_within_days`` after the latest submission."""
    rows = Assignment.objects.filter(
        status=AssignmentStatus.SUBMITTED, pairing__status__in=RUNNING_STATES
    ).values_list(
        "pairing__programme_id", "pairing__rules_version", "submitted_at", "pk", "pairing_id", "title"
    )
    local = ((p, v, timezone.localtime(at).date(), *rest) for p, v, at, *rest in rows)
    return _after_rule(
        day,
        s,
        local,
        "review_within_days",
        lambda due, pk, pairing, title: Deadline("review", pk, pairing, due, MENTORS, title),
    )


def confirm_deadlines(day: dt.date, s: Schedule) -> list[Deadline]:
    """Entries still waiting for the other side, whose window closes (or closed) within the range."""
    first, last = _window(day, s)
    rows = Activity.objects.filter(
        status=ActivityStatus.RECORDED,
        confirm_due__gte=first,
        confirm_due__lte=last,
        pairing__status__in=RUNNING_STATES,
    ).values_list("pk", "pairing_id", "confirm_due", "method", "occurred_on", "logged_as")
    labels = dict(Activity._meta.get_field("method").choices)
    return [
        Deadline(
            "confirm",
            pk,
            pairing,
            due,
            APPRENTICE if logged_as == Side.MENTOR else MENTORS,
            str(labels.get(method, method)),
            on,
            logged_as,
        )
        for pk, pairing, due, method, on, logged_as in rows
    ]


# ---------------------------------------------------------------------------------------------------------------
# Texts


def _texts(kind: str, d: Deadline, p: Party, s: Schedule) -> tuple[str, str]:
    v = {
        "due": d.due.isoformat(),
        "apprentice": p.apprentice,
        "mentors": p.mentor_names,
        "region": p.region_name,
        "what": d.what,
        "date": d.on.isoformat() if d.on else "",
        "days": s.escalate_after_days,
        "author": _("The apprentice") if d.author == Side.APPRENTICE else _("The mentor"),
    }
    texts = {
        Kind.PLAN_DUE: (
            _("Mentoring plan due on %(due)s"),
            _(
                "The mentoring plan with %(apprentice)s is due on %(due)s. Draft it and submit it for approval."
            ),
        ),
        Kind.PLAN_OVERDUE: (
            _("Mentoring plan overdue since %(due)s"),
            _(
                "The mentoring plan with %(apprentice)s was due on %(due)s and has not been submitted. Submit it "
                "now: the township committee is told %(days)s days after the deadline."
            ),
        ),
        Kind.ESCALATE_PLAN: (
            _("Plan overdue: %(mentors)s → %(apprentice)s"),
            _(
                "The mentoring plan of %(mentors)s and %(apprentice)s (%(region)s) was due on %(due)s and is "
                "still not submitted."
            ),
        ),
        Kind.ASSIGNMENT_DUE: (
            _("Assignment due on %(due)s: %(what)s"),
            _("Hand in your answer to “%(what)s”, set by %(mentors)s, by %(due)s."),
        ),
        Kind.ASSIGNMENT_OVERDUE: (
            _("Assignment overdue: %(what)s"),
            _(
                "“%(what)s” was due on %(due)s and nothing has been submitted. Hand it in now: the township "
                "committee is told %(days)s days after the deadline."
            ),
        ),
        Kind.ESCALATE_ASSIGNMENT: (
            _("Assignment overdue: %(apprentice)s"),
            _(
                "%(apprentice)s (%(region)s) has not handed in “%(what)s”, set by %(mentors)s and due on "
                "%(due)s."
            ),
        ),
        Kind.REVIEW_DUE: (
            _("Review due by %(due)s: %(what)s"),
            _("%(apprentice)s has submitted “%(what)s”. Review and score it by %(due)s."),
        ),
        Kind.REVIEW_OVERDUE: (
            _("Review overdue: %(what)s"),
            _(
                "The submission of “%(what)s” by %(apprentice)s should have been reviewed by %(due)s. Review it "
                "now: the township committee is told %(days)s days after the deadline."
            ),
        ),
        Kind.ESCALATE_REVIEW: (
            _("Review overdue: %(mentors)s"),
            _(
                "%(mentors)s has not reviewed “%(what)s”, submitted by %(apprentice)s (%(region)s); the review "
                "was due on %(due)s."
            ),
        ),
        Kind.CONFIRM_DUE: (
            _("Confirm an activity by %(due)s"),
            _(
                "%(author)s recorded an activity on %(date)s (%(what)s). Confirm it by %(due)s, or it is "
                "flagged unconfirmed."
            ),
        ),
        Kind.ESCALATE_CONFIRM: (
            _("Activity left unconfirmed: %(apprentice)s"),
            _(
                "An activity of %(mentors)s and %(apprentice)s (%(region)s) on %(date)s (%(what)s) was not "
                "confirmed by the other side by %(due)s. Check it in the ledger."
            ),
        ),
    }
    title, body = texts[kind]
    return title % v, body % v


def _link(d: Deadline) -> str:
    if d.subject == "plan":
        return reverse("plans:pairing", args=[d.pairing_id])
    if d.subject in ("assignment", "review"):
        return reverse("assignments:detail", args=[d.object_id])
    return reverse("ledger:detail", args=[d.object_id])


def deadline_drafts(
    day: dt.date, deadlines: list[Deadline], s: Schedule, people: dict[int, Party], committee
) -> list[Draft]:
    drafts = []
    for d in deadlines:
        late = (day - d.due).days
        party = people.get(d.pairing_id) or Party()
        if -s.lead_days <= late <= 0:
            kind, users = REMINDER[d.subject], party.users(d.to)
        elif 1 <= late <= s.catch_up_days and d.subject in OVERDUE:
            kind, users = OVERDUE[d.subject], party.users(d.to)
        else:
            users = []
        key_base = f"{d.subject}:{d.object_id}:{d.due.isoformat()}"
        if users:
            title, body = _texts(kind, d, party, s)
            drafts += [
                Draft(user, kind, f"{kind}:{key_base}", title, body, _link(d), d.pairing_id) for user in users
            ]
        if s.escalate_after_days <= late <= s.escalate_after_days + s.catch_up_days:
            kind = ESCALATE[d.subject]
            title, body = _texts(kind, d, party, s)
            drafts += [
                Draft(user, kind, f"{kind}:{key_base}", title, body, _link(d), d.pairing_id)
                for user, _code in committee.for_path(party.region_path)
            ]
    return drafts


# ---------------------------------------------------------------------------------------------------------------
# The month's activity minimum


def _below(month: dt.date, start_by: dt.date) -> list[tuple[int, int, int, int, int]]:
    """Running pairings begun by ``start_by`` below their monthly minimum in ``month``:
    (pairing, activities, asked, on site, asked on site)."""
    pairings = _running_pairings().filter(start_date__lte=start_by)
    rows = list(pairings.values_list("pk", "programme_id", "rules_version"))
    rules = policies({(programme, version) for _pk, programme, version in rows})
    figures = pairing_months(pairings, month, month)
    found = []
    for pk, programme, version in rows:
        policy = rules[(programme, version)]
        month_figures = figures.get(pk, {}).get(month)
        done = month_figures.activities if month_figures else 0
        on_site = month_figures.on_site if month_figures else 0
        if done < policy.activities_per_month or on_site < policy.onsite_per_month:
            found.append((pk, done, policy.activities_per_month, on_site, policy.onsite_per_month))
    return found


def month_drafts(day: dt.date, s: Schedule, committee) -> list[Draft]:
    drafts = []
    this_month = month_start(day)
    days_left = (month_end(day) - day).days
    if days_left < s.month_end_days:
        below = _below(this_month, this_month)
        people = parties(pk for pk, *_rest in below)
        for pk, done, asked, on_site, asked_on_site in below:
            party = people.get(pk) or Party()
            v = {
                "month": f"{this_month:%Y-%m}",
                "done": done,
                "asked": asked,
                "on_site": on_site,
                "asked_on_site": asked_on_site,
                "days": days_left + 1,
                "apprentice": party.apprentice,
                "mentors": party.mentor_names,
            }
            title = _("%(month)s: %(done)s of %(asked)s activities so far") % v
            body = (
                _(
                    "The pairing of %(mentors)s and %(apprentice)s this month: activities %(done)s, on site "
                    "%(on_site)s. The programme asks for at least %(asked)s a month, %(asked_on_site)s of them on "
                    "site; %(days)s days are left."
                )
                % v
            )
            link = reverse("ledger:pairing", args=[pk])
            key = f"{Kind.MONTH_MINIMUM}:{pk}:{this_month:%Y-%m}"
            for user in party.users(MENTORS) + party.users(APPRENTICE):
                drafts.append(Draft(user, Kind.MONTH_MINIMUM, key, title, body, link, pk))
    previous = add_months(this_month, -1)
    late = (day - month_end(previous)).days
    if s.escalate_after_days <= late <= s.escalate_after_days + s.catch_up_days:
        drafts += month_escalations(previous, committee)
    return drafts


def month_escalations(month: dt.date, committee) -> list[Draft]:
    """One escalation per committee member: the pairings under them that missed ``month``'s minimum."""
    below = _below(month, month)
    people = parties(pk for pk, *_rest in below)
    per_user: dict[int, tuple[str, list[str]]] = {}
    for pk, *_rest in below:
        party = people.get(pk) or Party()
        for user, code in committee.for_path(party.region_path):
            per_user.setdefault(user, (code, []))[1].append(f"{party.mentor_names} → {party.apprentice}")
    drafts = []
    for user, (code, names) in per_user.items():
        shown = "；".join(sorted(names)[:10])
        more = len(names) - 10
        v = {"n": len(names), "month": f"{month:%Y-%m}", "list": shown, "more": more}
        title = (
            ngettext(
                "%(n)s pairing below the monthly activity minimum in %(month)s",
                "%(n)s pairings below the monthly activity minimum in %(month)s",
                len(names),
            )
            % v
        )
        body = (
            _("These pairings recorded fewer activities in %(month)s than their programme asks: %(list)s") % v
        )
        if more > 0:
            body += _(" … and %(more)s more.") % v
        link = reverse("compliance:region") + f"?region={code}&light=behind&rule=activities_per_month"
        drafts.append(
            Draft(user, Kind.ESCALATE_MONTH, f"{Kind.ESCALATE_MONTH}:{month:%Y-%m}", title, body, link)
        )
    return drafts


# ---------------------------------------------------------------------------------------------------------------
# The day


def build(day: dt.date, s: Schedule | None = None) -> list[Draft]:
    """Every reminder, notice and escalation a run on ``day`` would write (before preferences and repeats)."""
    s = s or schedule()
    with translation.override(settings.LANGUAGE_CODE):
        deadlines = (
            plan_deadlines(day, s)
            + assignment_deadlines(day, s)
            + review_deadlines(day, s)
            + confirm_deadlines(day, s)
        )
        committee = Committee()
        people = parties(d.pairing_id for d in deadlines)
        return deadline_drafts(day, deadlines, s, people, committee) + month_drafts(day, s, committee)
