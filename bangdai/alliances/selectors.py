"""Reads for alliances: the planner's input from the jurisdiction tree, and how each member village is doing."""

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, Max, Q
from django.utils import timezone

from bangdai.mentors.choices import MentorStatus, MentorTitle
from bangdai.mentors.models import Mentor
from bangdai.people.models import Person
from bangdai.programmes.choices import MentorTier
from bangdai.regions.choices import Kind, Level
from bangdai.regions.models import Region

from .choices import Qualification, Weighting
from .models import Alliance, AllianceMember, JointActivity
from .planner import Candidate, PlanInput, Village

# Titles that show a mentor leads a village well enough to lead others around it ("titled" qualification).
VILLAGE_LEADING_TITLES = frozenset(
    {
        MentorTitle.XINGCUN_MINGSHI,
        MentorTitle.ZHISHE_MINGSHI,
        MentorTitle.DANDANG_HAO_ZHISHU,
        MentorTitle.QIANMING_HAO_ZHISHU,
    }
)
# Among several qualified mentors in one village, the lead is the titled one, then the one closest to the village.
TIER_ORDER = [
    MentorTier.VILLAGE,
    MentorTier.TOWNSHIP,
    MentorTier.COUNTY,
    MentorTier.MUNICIPAL,
    MentorTier.PROVINCIAL,
]
VILLAGES_PER_ALLIANCE = 15  # the default number of alliances is one per this many villages


def area_villages(area: Region):
    """The current villages (村, not communities) of an area that belong to no forming or active alliance."""
    allied = AllianceMember.objects.filter(current=True).values("village_id")
    return (
        Region.objects.current()
        .in_subtree(area.path)
        .filter(depth=Level.VILLAGE, kind=Kind.VILLAGE)
        .exclude(pk__in=allied)
    )


def leads_alliance_q() -> Q:
    """Mentors whose cadre already leads a forming or active alliance (one alliance per lead)."""
    return Q(person_id__in=Alliance.objects.live().values("lead_mentor__person_id"))


def qualified_mentors(villages, qualification: str = Qualification.APPOINTED):
    """Appointed mentors at home in one of ``villages`` who lead no live alliance, best lead first per village."""
    mentors = (
        Mentor.objects.filter(status=MentorStatus.ACTIVE, region__in=villages)
        .exclude(leads_alliance_q())
        .exclude(term_end__lt=timezone.localdate())
        .select_related("person", "region")
        .defer("person__id_number", "person__phone")
    )
    chosen = [m for m in mentors if qualification != Qualification.TITLED or is_titled(m)]
    chosen.sort(
        key=lambda m: (
            m.region_id,
            not is_titled(m),
            TIER_ORDER.index(m.tier) if m.tier in TIER_ORDER else len(TIER_ORDER),
            m.appointed_at or dt.date.max,
            m.pk,
        )
    )
    return chosen


def is_titled(mentor: Mentor) -> bool:
    return bool(VILLAGE_LEADING_TITLES.intersection(mentor.titles or []))


def lead_by_village(villages, qualification: str = Qualification.APPOINTED) -> dict[int, Mentor]:
    """The lead mentor each candidate hub village would have."""
    leads: dict[int, Mentor] = {}
    people: set[int] = set()
    for mentor in qualified_mentors(villages, qualification):
        if mentor.region_id not in leads and mentor.person_id not in people:
            leads[mentor.region_id] = mentor
            people.add(mentor.person_id)
    return leads


def cadre_counts(village_ids) -> dict[int, int]:
    rows = Person.objects.filter(region_id__in=village_ids).values("region_id").annotate(n=Count("id"))
    return {row["region_id"]: row["n"] for row in rows}


@dataclass
class PlanRecords:
    """What the selector read, by id, for the service to keep the result."""

    villages: dict[int, Region]
    leads: dict[int, Mentor]  # hub village id -> lead mentor
    weights: dict[int, int]
    without_coordinates: int


def default_params(area: Region) -> dict:
    """The planner's defaults for an area: one alliance per 15 villages, 15 km by road, 20 villages each."""
    villages = area_villages(area).count()
    hubs = max(1, round(villages / VILLAGES_PER_ALLIANCE))
    return {
        "hubs_min": hubs,
        "hubs_max": hubs,
        "max_km": 15.0,
        "max_size": 20,
        "time_limit": 60,
        "qualification": Qualification.APPOINTED.value,
        "weighting": Weighting.CADRES.value,
    }


def plan_input(area: Region, params: dict) -> tuple[PlanInput, PlanRecords]:
    """The planner's input: the area's villages with coordinates, weights, and qualified hubs with their leads."""
    rows = list(area_villages(area).only("id", "code", "name", "path", "depth", "lng", "lat"))
    placed = [v for v in rows if v.lng is not None and v.lat is not None]
    ids = [v.pk for v in placed]
    weights = cadre_counts(ids) if params.get("weighting", Weighting.CADRES) == Weighting.CADRES else {}
    leads = lead_by_village(ids, params.get("qualification", Qualification.APPOINTED))
    problem = PlanInput(
        villages=tuple(Village(v.pk, v.lng, v.lat, max(1, weights.get(v.pk, 1))) for v in placed),
        candidates=tuple(Candidate(village_id, m.pk) for village_id, m in sorted(leads.items())),
        hubs_min=int(params["hubs_min"]),
        hubs_max=int(params["hubs_max"]),
        max_km=float(params["max_km"]),
        max_size=int(params["max_size"]),
        time_limit=float(params["time_limit"]),
    )
    records = PlanRecords(
        villages={v.pk: v for v in placed},
        leads=leads,
        weights={v.pk: max(1, weights.get(v.pk, 1)) for v in placed},
        without_coordinates=len(rows) - len(placed),
    )
    return problem, records


# ---------------------------------------------------------------------------------------------------------------
# Following the members


@dataclass
class MemberActivity:
    member: AllianceMember
    joint: int  # joint activities the village took part in
    last_joint: dt.date | None
    ledger: int  # mentoring activities recorded at the village (the ledger), 0 when there is no ledger
    last_ledger: dt.date | None


def ledger_counts(
    user, village_ids, since: dt.date | None = None
) -> tuple[bool, dict[int, tuple[int, object]]]:
    """(ledger installed, {village id: (activities located there, latest date)}) among activities ``user`` sees.

    The activity ledger is another app; it is looked up when called, never imported, so alliances work without it.
    An activity's place is the first foreign key to a region among ``place``, ``location``, ``village``,
    ``region``; its date the first of ``occurred_on``, ``occurred_at``, ``date``.
    """
    try:
        model = apps.get_model("ledger", "Activity")
    except LookupError:
        return False, {}
    names = {f.name: f for f in model._meta.get_fields()}
    place = next(
        (
            n
            for n in ("place", "location", "village", "region")
            if n in names and getattr(names[n], "related_model", None) is Region
        ),
        None,
    )
    when = next((n for n in ("occurred_on", "occurred_at", "date") if n in names), None)
    if place is None:
        return False, {}
    queryset = model.objects.all()
    if hasattr(queryset, "visible_to"):
        queryset = queryset.visible_to(user)
    queryset = queryset.filter(**{f"{place}_id__in": list(village_ids)})
    if since is not None and when is not None:
        queryset = queryset.filter(**{f"{when}__gte": since})
    rows = queryset.values(f"{place}_id").annotate(n=Count("pk"), last=Max(when) if when else Count("pk"))
    return True, {row[f"{place}_id"]: (row["n"], row["last"] if when else None) for row in rows}


def member_activity(alliance: Alliance, user) -> tuple[bool, list[MemberActivity]]:
    """Each current member village: its joint activities and the mentoring activities recorded there."""
    members = list(alliance.members.filter(current=True).select_related("village"))
    ids = [m.village_id for m in members]
    joint = {
        row["villages"]: (row["n"], row["last"])
        for row in JointActivity.objects.filter(alliance=alliance, villages__in=ids)
        .values("villages")
        .annotate(n=Count("pk"), last=Max("occurred_on"))
    }
    has_ledger, ledger = ledger_counts(user, ids, since=alliance.founded_on)
    rows = []
    for member in members:
        n, last = joint.get(member.village_id, (0, None))
        ln, llast = ledger.get(member.village_id, (0, None))
        if isinstance(llast, dt.datetime):
            llast = timezone.localdate(llast) if timezone.is_aware(llast) else llast.date()
        rows.append(MemberActivity(member, n, last, ln, llast))
    return has_ledger, rows
