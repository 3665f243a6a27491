"""Build the engine's input from the database: who takes part, where they are, and the rules of the run."""

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType

from django.db.models import Exists, OuterRef, Q

from bangdai.accounts.choices import EDITING_ROLES
from bangdai.apprentices.choices import ApprenticeStatus
from bangdai.apprentices.models import Apprentice
from bangdai.mentors.choices import MentorStatus
from bangdai.mentors.models import Mentor
from bangdai.pairings.choices import PairingStatus
from bangdai.pairings.models import ConflictDeclaration, Pairing
from bangdai.programmes.models import Programme
from bangdai.regions.models import PATH_STEP, Region, subtree_q

from .problem import ApprenticeIn, MentorIn, Problem, Rules, Weights

COUNTY_DEPTH, TOWNSHIP_DEPTH = 3, 4


@dataclass(frozen=True)
class Place:
    lng: float | None
    lat: float | None
    township: str
    county: str


def default_params(programme: Programme) -> dict:
    """A run's parameters as the programme's rules set them; the run form and the API start from these."""
    policy = programme.policy
    return {
        "weights": policy.match_weights(),
        "max_distance_km": policy.match_max_distance_km,
        "tiers_by_category": {k: list(v) for k, v in policy.match_tiers_by_category.items()},
        "categories": [],
        "tiers": [],
        "exclude_apprentices": [],
        "exclude_mentors": [],
        "pinned": [],
        "forbidden": [],
    }


def match_areas(user, programme) -> list[Region]:
    """The programme's region and the counties and townships under it that the user runs matches for."""
    return list(
        Region.objects.current()
        .in_subtree(programme.region.path)
        .filter(depth__lte=max(TOWNSHIP_DEPTH, programme.region.depth))
        .filter(user.scope.governed_q("path", roles=EDITING_ROLES))
        .only("code", "name", "path", "depth")
        .order_by("path")
    )


def places(regions: Iterable[Region]) -> dict[int, Place]:
    """Coordinates, township and county of each region: a region without coordinates takes its nearest ancestor's."""
    regions = list(regions)
    paths = {r.path[: i * PATH_STEP] for r in regions for i in range(1, r.depth + 1)}
    by_path = {
        path: (code, lng, lat)
        for path, code, lng, lat in Region.objects.filter(path__in=paths).values_list(
            "path", "code", "lng", "lat"
        )
    }
    result = {}
    for region in regions:
        lineage = [by_path.get(region.path[: i * PATH_STEP]) for i in range(1, region.depth + 1)]
        lng = lat = None
        for entry in reversed(lineage):
            if entry and entry[1] is not None and entry[2] is not None:
                lng, lat = entry[1], entry[2]
                break
        township = lineage[TOWNSHIP_DEPTH - 1][0] if region.depth >= TOWNSHIP_DEPTH and lineage[3] else ""
        county = lineage[COUNTY_DEPTH - 1][0] if region.depth >= COUNTY_DEPTH and lineage[2] else ""
        result[region.pk] = Place(lng, lat, township, county)
    return result


def _serving(programme: Programme, area: Region) -> Q:
    """Mentors whose home lies in the area, or above it inside the programme's region."""
    above = [area.path[: i * PATH_STEP] for i in range(programme.region.depth, area.depth)]
    return subtree_q(area.path, "region__path") | Q(region__path__in=above)


def participants(programme: Programme, area: Region, params: dict):
    """The unpaired apprentices working in the area and the appointed mentors who serve it.

    Full mentors take part too: they take no one, but the explanations count them ("mentors nearby are full").

    Mentors serve the area when their home lies in it, or above it inside the programme's region (a county-tier
    mentor registered at the county serves its townships).
    """
    open_pairing = Pairing.objects.filter(apprentice=OuterRef("pk")).exclude(
        status__in=[PairingStatus.COMPLETED, PairingStatus.TERMINATED]
    )
    apprentices = (
        Apprentice.objects.filter(programme=programme, status=ApprenticeStatus.ELIGIBLE)
        .filter(subtree_q(area.path, "region__path"))
        .exclude(Exists(open_pairing))
        .exclude(pk__in=params.get("exclude_apprentices") or [])
        .select_related("region")
        .order_by("pk")
    )
    if params.get("categories"):
        wanted = set(params["categories"])
        apprentices = [a for a in apprentices if wanted & set(a.categories)]
    mentors = (
        Mentor.objects.filter(programme=programme, status=MentorStatus.ACTIVE)
        .filter(_serving(programme, area))
        .exclude(pk__in=params.get("exclude_mentors") or [])
        .select_related("region")
        .order_by("pk")
    )
    if params.get("tiers"):
        mentors = mentors.filter(tier__in=params["tiers"])
    return list(apprentices), list(mentors)


def apprentice_input(apprentice: Apprentice, place: Place, repairing: bool = False) -> ApprenticeIn:
    """The engine's view of an apprentice (or any cadre with categories and needs) living at ``place``."""
    return ApprenticeIn(
        id=apprentice.pk,
        person_id=apprentice.person_id,
        categories=frozenset(apprentice.categories),
        needs=frozenset(apprentice.needs),
        lng=place.lng or 0.0,
        lat=place.lat or 0.0,
        township=place.township,
        county=place.county,
        repairing=repairing,
    )


def build_problem(programme: Programme, area: Region, params: dict) -> tuple[Problem, dict]:
    """The engine's problem for a run, and the records by id for the service to name them."""
    apprentices, mentors = participants(programme, area, params)
    # Pinned records take part even when a filter or an earlier edit left them out.
    pinned = [tuple(p) for p in params.get("pinned") or []]
    have_a, have_m = {a.pk for a in apprentices}, {m.pk for m in mentors}
    extra_a = {a for a, _m in pinned} - have_a
    extra_m = {m for _a, m in pinned} - have_m
    if extra_a:
        apprentices += list(
            Apprentice.objects.filter(programme=programme, pk__in=extra_a)
            .filter(subtree_q(area.path, "region__path"))
            .select_related("region")
        )
    if extra_m:
        mentors += list(
            Mentor.objects.filter(programme=programme, pk__in=extra_m)
            .filter(_serving(programme, area))
            .select_related("region")
        )
    where = places({a.region for a in apprentices} | {m.region for m in mentors})
    repairing = set(
        Pairing.objects.filter(
            apprentice__in=[a.pk for a in apprentices], status=PairingStatus.TERMINATED
        ).values_list("apprentice_id", flat=True)
    )
    a_persons = {a.person_id for a in apprentices}
    m_persons = {m.person_id for m in mentors}
    conflicts = frozenset(
        ConflictDeclaration.objects.filter(
            apprentice_person_id__in=a_persons, mentor_person_id__in=m_persons
        ).values_list("apprentice_person_id", "mentor_person_id")
    )
    weights = Weights(**{k: int(v) for k, v in params["weights"].items()})
    rules = Rules(
        max_distance_km=float(params["max_distance_km"]),
        tiers_by_category=MappingProxyType(
            {k: frozenset(v) for k, v in (params.get("tiers_by_category") or {}).items()}
        ),
    )
    problem = Problem(
        apprentices=tuple(
            apprentice_input(a, where[a.region_id], repairing=a.pk in repairing)
            for a in sorted(apprentices, key=lambda a: a.pk)
        ),
        mentors=tuple(
            MentorIn(
                id=m.pk,
                person_id=m.person_id,
                tier=m.tier,
                titles=frozenset(m.titles),
                expertise=frozenset(m.expertise),
                lng=where[m.region_id].lng or 0.0,
                lat=where[m.region_id].lat or 0.0,
                township=where[m.region_id].township,
                county=where[m.region_id].county,
                load=m.load,
                capacity=m.capacity,
            )
            for m in sorted(mentors, key=lambda m: m.pk)
        ),
        weights=weights,
        rules=rules,
        conflicts=conflicts,
        pinned=tuple(pinned),
        forbidden=frozenset(tuple(f) for f in params.get("forbidden") or []),
    )
    records = {"apprentices": {a.pk: a for a in apprentices}, "mentors": {m.pk: m for m in mentors}}
    return problem, records
