"""The matching criteria and hard rules, vectorised over arrays of (apprentice, mentor) index pairs.

Pure numpy, no Django. The engine prices millions of pairs with these functions, and ``score_pair`` and
``check_pair`` answer for one pair through the very same code, so a pair an admin swaps in by hand shows the
figures the engine would have given it. docs/matching.md states every formula and table.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from .problem import CRITERIA, ApprenticeIn, MentorIn, Problem

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
# Road km per great-circle km. Village roads in hilly Zhejiang wind round valleys and reservoirs; detour
# indices measured for rural road networks lie between about 1.2 and 1.4, so 1.3 stands for "by road".
CIRCUITY = 1.3
CONTINUITY_KM = 10.0  # a re-paired apprentice's mentor should be within reach of the new post
SCALE = 1000  # integer cost units per score point: the objective resolves scores to 0.001
STATIC = tuple(c for c in CRITERIA if c != "balance")  # criteria that belong to the pair, not to a slot
BASELINE_FIT = 0.5  # tier_fit of a mentor that no row of the table below singles out


@dataclass(frozen=True)
class Fit:
    """A row of the tier_fit table: mentors with any of ``titles`` or a tier in ``tiers`` fit this well."""

    value: float
    titles: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    same_township: bool = False  # the row applies only when the mentor's home is in the apprentice's township


def _fit(value: float, titles: str = "", tiers: str = "", same_township: bool = False) -> Fit:
    return Fit(value, frozenset(titles.split()), frozenset(tiers.split()), same_township)


# Apprentice category -> the mentors that suit it best (the best matching row wins; BASELINE_FIT otherwise).
# Titles: 兴村名师 xingcun_mingshi, 治社名师 zhishe_mingshi, 担当作为好支书 dandang_hao_zhishu, 千名好支书
# qianming_hao_zhishu, 老乡镇 lao_xiangzhen, 全国劳模 model_worker.
HAO_ZHISHU = "dandang_hao_zhishu qianming_hao_zhishu"
TIER_FIT: dict[str, tuple[Fit, ...]] = {
    "new_township_cadre": (
        _fit(1.0, titles="lao_xiangzhen", same_township=True),
        _fit(0.9, titles="lao_xiangzhen"),
        _fit(0.8, tiers="township"),
        _fit(0.7, tiers="county"),
    ),
    "village_cadre": (
        _fit(0.9, titles=f"xingcun_mingshi zhishe_mingshi {HAO_ZHISHU}"),
        _fit(0.8, tiers="village"),
    ),
    "new_village_secretary": (
        _fit(1.0, titles=HAO_ZHISHU),
        _fit(0.9, titles="xingcun_mingshi"),
        _fit(0.8, tiers="village"),
    ),
    "weak_village_secretary": (
        _fit(1.0, titles="xingcun_mingshi"),
        _fit(0.85, titles=HAO_ZHISHU),
        _fit(0.7, tiers="village township"),
    ),
    "xuandiaosheng": (
        _fit(0.9, tiers="township county"),
        _fit(0.8, titles="lao_xiangzhen"),
        _fit(0.7, tiers="municipal provincial"),
    ),
    "ruxiang_youth": (
        _fit(1.0, titles="xingcun_mingshi"),
        _fit(0.8, titles="model_worker"),
        _fit(0.7, tiers="village"),
    ),
    "reserve_cadre": (_fit(0.9, titles=HAO_ZHISHU), _fit(0.8, tiers="village township")),
    "seconded_cadre": (_fit(0.9, titles="lao_xiangzhen"), _fit(0.8, tiers="township")),
    "first_secretary": (
        _fit(0.9, titles="xingcun_mingshi zhishe_mingshi"),
        _fit(0.8, tiers="township county"),
    ),
}


def xyz(lng: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    """Earth-centred coordinates in km, shape (3, ...): their chord orders points by great-circle distance."""
    lam, phi = np.radians(lng), np.radians(lat)
    cos_phi = np.cos(phi)
    return EARTH_RADIUS_KM * np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


def road_from_xyz(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Road km between points given by :func:`xyz`: CIRCUITY × the great-circle distance."""
    dx, dy, dz = p[0] - q[0], p[1] - q[1], p[2] - q[2]
    return road_from_chord(np.sqrt(dx * dx + dy * dy + dz * dz))


def road_from_chord(chord: np.ndarray) -> np.ndarray:
    """Road km from the chord between two points of :func:`xyz`: CIRCUITY × 2R·asin(chord / 2R).

    2R·asin(chord / 2R) is the haversine (great-circle) distance; computing it from the chord lets the engine
    use the distances its k-d tree has already computed.
    """
    return CIRCUITY * 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, chord / (2 * EARTH_RADIUS_KM)))


def road_km(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Road-distance proxy in km between two points (WGS84/GCJ-02 degrees): haversine × CIRCUITY."""
    return float(road_from_xyz(xyz(lng1, lat1), xyz(lng2, lat2)))


def chord_radius(road_limit_km: float) -> float:
    """The chord length (km) of a road distance: every pair within ``road_limit_km`` lies within it."""
    half_angle = min(max(road_limit_km, 0.0) / CIRCUITY / (2 * EARTH_RADIUS_KM), np.pi / 2)
    return 2 * EARTH_RADIUS_KM * float(np.sin(half_angle)) * (1 + 1e-9) + 1e-9


def _codes(values: Iterable[str], vocabulary: dict[str, int]) -> np.ndarray:
    """Integer codes of strings; the empty string (no township, no county) gets -1 and equals nothing."""
    return np.array([vocabulary[v] if v else -1 for v in values], dtype=np.int32)


def _masks(sets: Iterable[frozenset[str]], vocabulary: dict[str, int]) -> np.ndarray:
    """One bit per vocabulary word, so set intersections become ``&`` and their sizes popcounts."""
    return np.array([sum(1 << vocabulary[v] for v in s) for s in sets], dtype=np.uint64)


def _vocabulary(words: Iterable[str], what: str, limit: int | None = 64) -> dict[str, int]:
    """Each distinct non-empty word's code; bit masks need at most 64 of them."""
    ordered = sorted(set(words) - {""})
    if limit is not None and len(ordered) > limit:
        raise ValueError(f"at most {limit} distinct {what} are supported, got {len(ordered)}")
    return {w: i for i, w in enumerate(ordered)}


@dataclass(frozen=True, eq=False)
class Encoded:
    """A problem as arrays: apprentices and mentors sorted by id, every label an integer code or bit mask."""

    apprentices: tuple[ApprenticeIn, ...]  # sorted by id; index i is entry i of every a_* array
    mentors: tuple[MentorIn, ...]  # sorted by id
    max_distance_km: float
    a_id: np.ndarray
    a_xyz: np.ndarray  # (3, apprentices) km
    a_person: np.ndarray
    a_township: np.ndarray  # code, -1 for none
    a_county: np.ndarray
    a_needs: np.ndarray  # bit mask of content areas
    a_need_set: np.ndarray  # index of the apprentice's distinct set of needs
    a_sig: np.ndarray  # index of the apprentice's distinct set of categories
    a_repairing: np.ndarray
    m_id: np.ndarray
    m_xyz: np.ndarray  # (3, mentors) km
    m_person: np.ndarray
    m_township: np.ndarray
    m_county: np.ndarray
    m_expertise: np.ndarray
    m_expertise_set: np.ndarray  # index of the mentor's distinct set of expertise
    m_tier: np.ndarray  # code into the tier vocabulary
    m_load: np.ndarray
    m_capacity: np.ndarray
    m_free: np.ndarray
    sig_tiers: np.ndarray  # (signatures, tiers) bool: the tier rule
    sig_fit_same: np.ndarray  # (signatures, mentors) tier_fit when both are in one township
    sig_fit_other: np.ndarray  # (signatures, mentors) tier_fit otherwise
    weights: dict[str, float]  # criterion -> weight / total weight × 100: score points at stake
    # Look-up tables of the pair's deficit on tier_fit + locality, by (same township / same county / neither,
    # signature, mentor), and on coverage, by (need set, expertise set), flattened: see static_costs.
    place_deficit: np.ndarray
    coverage_deficit: np.ndarray
    expertise_sets: int  # row length of coverage_deficit

    @property
    def n_a(self) -> int:
        return len(self.apprentices)

    @property
    def n_m(self) -> int:
        return len(self.mentors)


def encode(problem: Problem) -> Encoded:
    """The problem's apprentices and mentors, sorted by id, as arrays ready for vectorised scoring."""
    apprentices = tuple(sorted(problem.apprentices, key=lambda a: a.id))
    mentors = tuple(sorted(problem.mentors, key=lambda m: m.id))
    for what, items in (("apprentice", apprentices), ("mentor", mentors)):
        if len({x.id for x in items}) != len(items):
            raise ValueError(f"{what} ids must be unique")
    raw = problem.weights.as_dict()
    if min(raw.values()) < 0:
        raise ValueError("criterion weights must not be negative")
    # With every weight at zero no criterion counts: every pair scores 100.
    weights = {c: w * 100 / problem.weights.total if w else 0.0 for c, w in raw.items()}

    places = _vocabulary([x.township for x in apprentices + mentors], "townships", limit=None)
    counties = _vocabulary([x.county for x in apprentices + mentors], "counties", limit=None)
    areas = _vocabulary(
        [w for a in apprentices for w in a.needs] + [w for m in mentors for w in m.expertise], "areas"
    )
    rule_tiers = [t for allowed in problem.rules.tiers_by_category.values() for t in allowed]
    table_tiers = [t for fits in TIER_FIT.values() for f in fits for t in f.tiers]
    tiers = _vocabulary([m.tier for m in mentors] + rule_tiers + table_tiers, "tiers")
    table_titles = [t for fits in TIER_FIT.values() for f in fits for t in f.titles]
    titles = _vocabulary([t for m in mentors for t in m.titles] + table_titles, "titles")
    signatures = sorted({a.categories for a in apprentices}, key=sorted)
    sig_index = {s: i for i, s in enumerate(signatures)}

    m_tier = np.array([tiers[m.tier] for m in mentors], dtype=np.int32)
    sig_tiers, fit_same, fit_other = _tier_tables(problem, signatures, tiers, titles, m_tier, mentors)
    needs = _masks((a.needs for a in apprentices), areas)
    expertise = _masks((m.expertise for m in mentors), areas)
    need_sets, a_need_set = np.unique(needs, return_inverse=True)
    expertise_sets, m_expertise_set = np.unique(expertise, return_inverse=True)
    wanted = np.bitwise_count(need_sets)[:, None]
    covered = np.bitwise_count(need_sets[:, None] & expertise_sets[None, :])
    coverage = np.where(wanted > 0, covered / np.maximum(wanted, 1), 1.0)
    capacity = np.array([m.capacity for m in mentors], dtype=np.int64)
    load = np.array([m.load for m in mentors], dtype=np.int64)
    return Encoded(
        apprentices=apprentices,
        mentors=mentors,
        max_distance_km=float(problem.rules.max_distance_km),
        a_id=np.array([a.id for a in apprentices], dtype=np.int64),
        a_xyz=xyz(np.array([a.lng for a in apprentices]), np.array([a.lat for a in apprentices])).reshape(
            3, -1
        ),
        a_person=np.array([a.person_id for a in apprentices], dtype=np.int64),
        a_township=_codes((a.township for a in apprentices), places),
        a_county=_codes((a.county for a in apprentices), counties),
        a_needs=needs,
        a_need_set=a_need_set.astype(np.int64),
        a_sig=np.array([sig_index[a.categories] for a in apprentices], dtype=np.int64),
        a_repairing=np.array([a.repairing for a in apprentices], dtype=bool),
        m_id=np.array([m.id for m in mentors], dtype=np.int64),
        m_xyz=xyz(np.array([m.lng for m in mentors]), np.array([m.lat for m in mentors])).reshape(3, -1),
        m_person=np.array([m.person_id for m in mentors], dtype=np.int64),
        m_township=_codes((m.township for m in mentors), places),
        m_county=_codes((m.county for m in mentors), counties),
        m_expertise=expertise,
        m_expertise_set=m_expertise_set.astype(np.int64),
        m_tier=m_tier,
        m_load=load,
        m_capacity=capacity,
        m_free=np.maximum(0, capacity - load),
        sig_tiers=sig_tiers,
        sig_fit_same=fit_same,
        sig_fit_other=fit_other,
        weights=weights,
        place_deficit=np.stack(
            [
                _place_deficit(weights, fit, locality)
                for fit, locality in ((fit_same, 1.0), (fit_other, 0.5), (fit_other, 0.0))
            ]
        ).ravel(),
        coverage_deficit=(weights["coverage"] * (1 - coverage)).ravel(),
        expertise_sets=len(expertise_sets),
    )


def _tier_tables(
    problem: Problem,
    signatures: list[frozenset[str]],
    tiers: dict[str, int],
    titles: dict[str, int],
    m_tier: np.ndarray,
    mentors: tuple[MentorIn, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per set of categories: the tiers the rule allows, each mentor's tier_fit in and out of the township."""
    m_titles = _masks((m.titles for m in mentors), titles)
    sig_tiers = np.ones((len(signatures), len(tiers)), dtype=bool)
    fit_same = np.full((len(signatures), len(mentors)), BASELINE_FIT)
    fit_other = fit_same.copy()
    for s, categories in enumerate(signatures):
        for category in categories:
            if category in problem.rules.tiers_by_category:
                allowed = [tiers[t] for t in problem.rules.tiers_by_category[category]]
                sig_tiers[s] &= np.isin(np.arange(len(tiers)), allowed)
            for fit in TIER_FIT.get(category, ()):
                title_mask = np.uint64(sum(1 << titles[t] for t in fit.titles))
                match = ((m_titles & title_mask) != 0) | np.isin(m_tier, [tiers[t] for t in fit.tiers])
                value = np.where(match, fit.value, 0.0)
                np.maximum(fit_same[s], value, out=fit_same[s])
                if not fit.same_township:
                    np.maximum(fit_other[s], value, out=fit_other[s])
    return sig_tiers, fit_same, fit_other


def _place_deficit(weights: dict[str, float], tier_fit: np.ndarray, locality: float) -> np.ndarray:
    return weights["tier_fit"] * (1 - tier_fit) + weights["locality"] * (1 - locality)


def distances(enc: Encoded, a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Road km of each pair (a[i], m[i])."""
    return road_from_xyz(enc.a_xyz[:, a], enc.m_xyz[:, m])


def tier_allowed(enc: Encoded, a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The tier rule: every listed category of the apprentice allows the mentor's tier."""
    return enc.sig_tiers[enc.a_sig[a], enc.m_tier[m]]


def _distance_value(enc: Encoded, km: np.ndarray) -> np.ndarray:
    limit = enc.max_distance_km
    return np.clip(1 - km / limit, 0.0, 1.0) if limit > 0 else (km <= 0).astype(float)


def _continuity_value(enc: Encoded, a: np.ndarray, km: np.ndarray) -> np.ndarray:
    return np.where(enc.a_repairing[a], np.clip(1 - km / CONTINUITY_KM, 0.0, 1.0), 1.0)


def _place(enc: Encoded, a: np.ndarray, m: np.ndarray) -> np.ndarray:
    """0 when both are in one township, 1 in one county, 2 otherwise."""
    township, county = enc.a_township[a], enc.a_county[a]
    same_township = (township >= 0) & (township == enc.m_township[m])
    same_county = (county >= 0) & (county == enc.m_county[m])
    return np.where(same_township, 0, np.where(same_county, 1, 2))


def criteria(enc: Encoded, a: np.ndarray, m: np.ndarray, km: np.ndarray) -> np.ndarray:
    """The static criteria of each pair, shape (len(STATIC), pairs), each 0–1."""
    needs = enc.a_needs[a]
    wanted = np.bitwise_count(needs)
    covered = np.bitwise_count(needs & enc.m_expertise[m])
    place = _place(enc, a, m)
    sig = enc.a_sig[a]
    return np.stack(
        [
            _distance_value(enc, km),
            np.where(wanted > 0, covered / np.maximum(wanted, 1), 1.0),
            np.where(place == 0, enc.sig_fit_same[sig, m], enc.sig_fit_other[sig, m]),
            np.array([1.0, 0.5, 0.0])[place],
            _continuity_value(enc, a, km),
        ]
    )


def static_deficit(enc: Encoded, values: np.ndarray) -> np.ndarray:
    """Score points a pair loses on its static criteria: 100 × Σ w_c (1 − s_c) / Σ w, over STATIC.

    Summed in the same order as :func:`static_costs` sums its look-ups, so both give the same bits.
    """
    distance, coverage, tier_fit, locality, continuity = values
    w = enc.weights
    place = w["tier_fit"] * (1 - tier_fit) + w["locality"] * (1 - locality)
    return (
        place
        + w["coverage"] * (1 - coverage)
        + w["distance"] * (1 - distance)
        + w["continuity"] * (1 - continuity)
    )


def static_costs(enc: Encoded, a: np.ndarray, m: np.ndarray, km: np.ndarray) -> np.ndarray:
    """Integer pair-arc costs, round(SCALE × static deficit), for millions of pairs.

    The same deficit as :func:`static_deficit` of :func:`criteria`, with tier_fit + locality and coverage read
    from tables built once per problem instead of computed pair by pair.
    """
    w = enc.weights
    signatures = enc.sig_fit_same.shape[0]
    deficit = enc.place_deficit[(_place(enc, a, m) * signatures + enc.a_sig[a]) * enc.n_m + m]
    deficit = deficit + enc.coverage_deficit[enc.a_need_set[a] * enc.expertise_sets + enc.m_expertise_set[m]]
    deficit = deficit + w["distance"] * (1 - _distance_value(enc, km))
    deficit = deficit + w["continuity"] * (1 - _continuity_value(enc, a, km))
    return np.rint(SCALE * deficit).astype(np.int64)


def balance(enc: Encoded, m: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """The balance value of a mentor's slot-th new apprentice: 1 − (load + slot − 1) / capacity, in 0–1."""
    capacity = enc.m_capacity[m]
    used = enc.m_load[m] + slot - 1
    return np.where(capacity > 0, np.clip(1 - used / np.maximum(capacity, 1), 0.0, 1.0), 0.0)


def slot_deficit(enc: Encoded, m: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Score points a mentor's slot-th new apprentice loses on balance; rises with the slot (convex cost)."""
    return enc.weights["balance"] * (1 - balance(enc, m, slot))


def slot_costs(enc: Encoded, m: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Integer slot-arc costs: round(SCALE × balance deficit of the slot)."""
    return np.rint(SCALE * slot_deficit(enc, m, slot)).astype(np.int64)


def scores(enc: Encoded, values: np.ndarray, balance_values: np.ndarray) -> np.ndarray:
    """Pair scores on 0–100 from the static criteria and the balance of the pair's slot."""
    return 100 - static_deficit(enc, values) - enc.weights["balance"] * (1 - balance_values)


def breakdowns(values: np.ndarray, balance_values: np.ndarray) -> list[dict[str, float]]:
    """Each pair's criteria by name, in CRITERIA order, rounded for display (4 places)."""
    columns = {name: np.round(values[i], 4).tolist() for i, name in enumerate(STATIC)}
    columns["balance"] = np.round(balance_values, 4).tolist()
    return [{name: columns[name][i] for name in CRITERIA} for i in range(len(balance_values))]


def _one_pair(problem: Problem, apprentice: ApprenticeIn, mentor: MentorIn) -> Encoded:
    return encode(replace(problem, apprentices=(apprentice,), mentors=(mentor,), pinned=()))


def score_pair(
    problem: Problem, apprentice: ApprenticeIn, mentor: MentorIn
) -> tuple[float, dict[str, float]]:
    """The score (0–100) and breakdown of one pair, the mentor taking it as its next new apprentice (slot 1).

    Hard rules are not checked here (see :func:`check_pair`): an admin may look at any pair.
    """
    enc = _one_pair(problem, apprentice, mentor)
    zero = np.zeros(1, dtype=np.int64)
    values = criteria(enc, zero, zero, distances(enc, zero, zero))
    bal = balance(enc, zero, np.ones(1, dtype=np.int64))
    return round(float(scores(enc, values, bal)[0]), 3), breakdowns(values, bal)[0]


def check_pair(problem: Problem, apprentice: ApprenticeIn, mentor: MentorIn) -> str | None:
    """The first hard rule the pair breaks ("self", "conflict", "forbidden", "distance", "tier"), or None.

    Capacity is not a property of the pair and is not checked here.
    """
    if apprentice.person_id == mentor.person_id:
        return "self"
    if (apprentice.person_id, mentor.person_id) in problem.conflicts:
        return "conflict"
    if (apprentice.id, mentor.id) in problem.forbidden:
        return "forbidden"
    enc = _one_pair(problem, apprentice, mentor)
    zero = np.zeros(1, dtype=np.int64)
    if not distances(enc, zero, zero)[0] <= enc.max_distance_km:
        return "distance"
    if not tier_allowed(enc, zero, zero)[0]:
        return "tier"
    return None
