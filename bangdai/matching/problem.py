"""The matching engine's typed inputs and outputs. Pure Python: nothing here imports Django.

A selector (``bangdai.matching.selectors``) builds a :class:`Problem` from the database, the engine
(``bangdai.matching.engine.solve``) turns it into a :class:`Result` or raises :class:`MatchError`, and a service
(``bangdai.matching.services``) keeps the run, its parameters and its result. docs/matching.md states the
objective, every criterion and every rule.
"""

from dataclasses import asdict, dataclass, field
from types import MappingProxyType

#: The scored criteria, in the order they are shown.
CRITERIA = ("distance", "coverage", "tier_fit", "locality", "balance", "continuity")


@dataclass(frozen=True)
class Weights:
    """Relative weight of each criterion; a pair's score is the weighted mean of its criteria on 0–100."""

    distance: int = 30
    coverage: int = 25
    tier_fit: int = 20
    locality: int = 10
    balance: int = 10
    continuity: int = 5

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())


@dataclass(frozen=True)
class Rules:
    """Hard rules: a pair that breaks one is never proposed."""

    max_distance_km: float = 30.0  # road-distance proxy, see engine.road_km
    # Apprentice category -> mentor tiers allowed for it; a category not listed allows every tier. An apprentice
    # with several listed categories needs a tier that every one of them allows.
    tiers_by_category: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class MentorIn:
    id: int
    person_id: int
    tier: str  # MentorTier value
    titles: frozenset[str]  # MentorTitle values
    expertise: frozenset[str]  # ContentArea values
    lng: float  # home village (or home region) coordinates
    lat: float
    township: str  # code of the township of the home region; "" above township level
    county: str  # code of the county of the home region; "" above county level
    load: int  # active pairings already held
    capacity: int  # places in all; free places = capacity - load

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.load)


@dataclass(frozen=True)
class ApprenticeIn:
    id: int
    person_id: int
    categories: frozenset[str]  # ApprenticeCategory values
    needs: frozenset[str]  # ContentArea values
    lng: float  # workplace coordinates
    lat: float
    township: str
    county: str
    # Re-paired after a transfer or a mentor's dismissal: the continuity criterion applies.
    repairing: bool = False


@dataclass(frozen=True)
class Problem:
    apprentices: tuple[ApprenticeIn, ...]
    mentors: tuple[MentorIn, ...]
    weights: Weights = Weights()
    rules: Rules = Rules()
    conflicts: frozenset[tuple[int, int]] = frozenset()  # (apprentice person_id, mentor person_id)
    pinned: tuple[tuple[int, int], ...] = ()  # (apprentice id, mentor id): must be in the result
    forbidden: frozenset[tuple[int, int]] = frozenset()  # (apprentice id, mentor id): never proposed
    candidates_per_apprentice: int = 12  # K: size of the first candidate graph; the result is exact for any K


@dataclass(frozen=True)
class Pair:
    apprentice_id: int
    mentor_id: int
    score: float  # 0–100, weighted mean of the breakdown
    breakdown: dict[str, float]  # criterion -> 0–1 value before weighting
    distance_km: float
    pinned: bool
    runner_up_id: int | None  # the apprentice's best other feasible mentor, if any
    runner_up_score: float | None
    runner_up_breakdown: dict[str, float] | None
    # Why this mentor and not the runner-up: "higher_score" (the chosen mentor simply scores higher),
    # "runner_up_full" (the runner-up scores higher but its places serve others for a better total),
    # "pinned" (an admin pinned the pair), "only_option" (no other feasible mentor).
    why: str


@dataclass(frozen=True)
class Unpaired:
    apprentice_id: int
    # "no_mentor_in_rules": no mentor passes the hard rules; "capacity_exhausted": mentors pass the rules but
    # their places give a better total to other apprentices.
    reason: str
    blocked_by: dict[str, int]  # rule -> how many mentors that rule alone excludes: distance, tier, conflict,
    #                             forbidden, self, full (no free place)
    feasible_mentors: int  # mentors with a free place that pass every rule
    # What would change it: {"kind": "raise_distance", "km": 41.2, "mentor_id": 7} (the nearest mentor of an
    # allowed tier with a free place is that far), {"kind": "add_place", "mentor_id": 7} (one more place for
    # this feasible mentor would pair the apprentice), or {} when nothing simple would.
    suggestion: dict


@dataclass(frozen=True)
class Summary:
    apprentices: int
    mentors: int
    paired: int
    unpaired: int
    mean_score: float
    min_score: float
    mean_distance_km: float
    max_distance_km: float
    load: dict[int, int]  # new apprentices per mentor -> number of mentors
    objective: int  # the exact optimum of the integer objective (docs/matching.md)
    candidate_arcs: int  # arcs in the first candidate graph
    feasible_arcs: int  # pairs passing every hard rule (the full feasible graph)
    added_arcs: int  # arcs added by pricing before optimality was proven
    pricing_rounds: int
    seconds: float


@dataclass(frozen=True)
class Result:
    pairs: tuple[Pair, ...]  # ordered by apprentice id
    unpaired: tuple[Unpaired, ...]  # ordered by apprentice id
    summary: Summary


class MatchError(Exception):
    """The problem cannot be solved as posed. ``code`` is stable; ``records`` names the ids involved.

    Codes: "no_apprentices" (nobody eligible takes part), "no_places" (no mentor with a free place),
    "pin_unknown" (a pin names an apprentice or mentor not in the problem), "pin_twice" (one apprentice pinned
    to two mentors), "pin_over_capacity" (more pins on a mentor than its free places; records: mentor id, then
    the apprentice ids), "pin_breaks_rule" (records: apprentice id, mentor id; ``rule`` names the rule),
    "pin_forbidden" (a pair both pinned and forbidden); the service adds "pin_unavailable" (records: apprentice id,
    mentor id) when a pinned apprentice is no longer unpaired or a pinned mentor no longer appointed.
    """

    def __init__(self, code: str, records: tuple[int, ...] = (), rule: str = "", message: str = ""):
        self.code, self.records, self.rule = code, tuple(records), rule
        super().__init__(message or f"{code}: {', '.join(map(str, records))}{f' ({rule})' if rule else ''}")
