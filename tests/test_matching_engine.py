"""The matching engine alone: no database. Optimality against brute force and scipy's assignment solver, every
hard rule and error, pins, determinism, pricing, the explanations and the scores."""

import dataclasses
import itertools
import math
import random
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree

from bangdai.matching import engine, scoring
from bangdai.matching.engine import check_pair, road_km, score_pair, solve
from bangdai.matching.problem import ApprenticeIn, MatchError, MentorIn, Problem, Rules, Weights

LNG, LAT = 119.68, 30.63  # 安吉县
KM = 1 / (111.32 * math.cos(math.radians(LAT)))  # degrees of longitude per great-circle km, near LAT
AREAS = ["ideals_rooting", "mass_work_service", "party_building", "common_prosperity", "governance_harmony"]
CATEGORIES = ["new_township_cadre", "village_cadre", "new_village_secretary", "weak_village_secretary"]
TIERS = ["village", "township", "county"]


def apprentice(id: int, x: float = 0.0, **fields) -> ApprenticeIn:
    """An apprentice ``x`` great-circle km east of LNG, LAT (person id 1000 + id)."""
    values = dict(
        id=id,
        person_id=1000 + id,
        categories=frozenset({"village_cadre"}),
        needs=frozenset({"party_building"}),
        lng=LNG + x * KM,
        lat=LAT,
        township="330523205",
        county="330523",
    )
    return ApprenticeIn(**{**values, **fields})


def mentor(id: int, x: float = 0.0, **fields) -> MentorIn:
    """A mentor ``x`` great-circle km east of LNG, LAT (person id 2000 + id), one free place by default."""
    values = dict(
        id=id,
        person_id=2000 + id,
        tier="village",
        titles=frozenset(),
        expertise=frozenset({"party_building"}),
        lng=LNG + x * KM,
        lat=LAT,
        township="330523205",
        county="330523",
        load=0,
        capacity=1,
    )
    return MentorIn(**{**values, **fields})


def problem(apprentices, mentors, **fields) -> Problem:
    return Problem(apprentices=tuple(apprentices), mentors=tuple(mentors), **fields)


def pairs_of(result) -> dict[int, int]:
    return {p.apprentice_id: p.mentor_id for p in result.pairs}


def rules(max_km: float = 30.0, **tiers) -> Rules:
    return Rules(
        max_distance_km=max_km,
        tiers_by_category=MappingProxyType({k: frozenset(v) for k, v in tiers.items()}),
    )


# ---------------------------------------------------------------------------------------------------------
# The reference: the integer objective of docs/matching.md for any assignment, and the optimum by brute force


class Reference:
    """Pair and slot costs from the scoring module, U from its formula; no flow, no pricing."""

    def __init__(self, p: Problem):
        self.p = p
        self.enc = scoring.encode(p)
        n_a, n_m = self.enc.n_a, self.enc.n_m
        a, m = np.repeat(np.arange(n_a), n_m), np.tile(np.arange(n_m), n_a)
        self.cost = scoring.static_costs(self.enc, a, m, scoring.distances(self.enc, a, m)).reshape(n_a, n_m)
        self.feasible = np.array(
            [
                [
                    self.enc.m_free[j] > 0
                    and check_pair(p, self.enc.apprentices[i], self.enc.mentors[j]) is None
                    for j in range(n_m)
                ]
                for i in range(n_a)
            ],
            dtype=bool,
        ).reshape(n_a, n_m)
        pinned = {a_id for a_id, _m in p.pinned}
        pins_on = np.bincount([self._m(m_id) for _a, m_id in p.pinned], minlength=n_m)
        flow = n_a - len(pinned)
        self.u = engine.unpaired_cost(int((self.enc.m_free - pins_on).sum()), flow)

    def _m(self, m_id: int) -> int:
        return int(np.searchsorted(self.enc.m_id, m_id))

    def slot_cost(self, j: int, k: int) -> int:
        return int(scoring.slot_costs(self.enc, np.array([j]), np.array([k]))[0])

    def objective(self, assignment: dict[int, int]) -> int:
        """assignment: apprentice row -> mentor row."""
        total = sum(int(self.cost[i, j]) for i, j in assignment.items())
        for j, count in enumerate(np.bincount(list(assignment.values()), minlength=self.enc.n_m).tolist()):
            total += sum(self.slot_cost(j, k) for k in range(1, count + 1))
        return total + self.u * (self.enc.n_a - len(assignment))

    def of_result(self, result) -> int:
        rows = {int(i): r for r, i in enumerate(self.enc.a_id)}
        return self.objective({rows[p.apprentice_id]: self._m(p.mentor_id) for p in result.pairs})

    def brute_force(self) -> int:
        """The optimum over every assignment that respects the rules, places and pins."""
        n_a, n_m = self.enc.n_a, self.enc.n_m
        fixed = {int(np.searchsorted(self.enc.a_id, a)): self._m(m) for a, m in self.p.pinned}
        choices = [
            [fixed[i]] if i in fixed else [None, *np.flatnonzero(self.feasible[i]).tolist()]
            for i in range(n_a)
        ]
        best = None
        for combo in itertools.product(*choices):
            load = np.bincount([j for j in combo if j is not None], minlength=n_m)
            if np.any(load > self.enc.m_free):
                continue
            value = self.objective({i: j for i, j in enumerate(combo) if j is not None})
            best = value if best is None else min(best, value)
        return best

    def assignment_solver(self) -> int:
        """scipy's linear_sum_assignment on the slot-expanded matrix (no pins)."""
        n_a = self.enc.n_a
        columns = [(j, k) for j in range(self.enc.n_m) for k in range(1, int(self.enc.m_free[j]) + 1)]
        matrix = np.full((n_a, len(columns) + n_a), np.inf)
        for c, (j, k) in enumerate(columns):
            matrix[self.feasible[:, j], c] = self.cost[self.feasible[:, j], j] + self.slot_cost(j, k)
        matrix[np.arange(n_a), len(columns) + np.arange(n_a)] = self.u
        r, c = linear_sum_assignment(matrix)
        return int(round(matrix[r, c].sum()))


@st.composite
def instances(draw, max_apprentices: int = 6, max_mentors: int = 4) -> Problem:
    """Small programmes with every kind of rule in play: distance, tiers, conflicts, forbidden pairs, one
    person on both sides, repairing apprentices, loads and ties (apprentices placed at shared villages)."""
    n_a = draw(st.integers(1, max_apprentices))
    n_m = draw(st.integers(1, max_mentors))
    villages = [draw(st.floats(-25, 25)) for _ in range(3)]
    place = st.one_of(st.sampled_from(villages), st.floats(-25, 25))
    apprentices = [
        apprentice(
            i + 1,
            draw(place),
            categories=frozenset(draw(st.lists(st.sampled_from(CATEGORIES), max_size=2))),
            needs=frozenset(draw(st.lists(st.sampled_from(AREAS), max_size=3))),
            township=draw(st.sampled_from(["t1", "t2", ""])),
            county=draw(st.sampled_from(["c1", "c2"])),
            repairing=draw(st.booleans()),
        )
        for i in range(n_a)
    ]
    mentors = []
    for j in range(n_m):
        capacity = draw(st.integers(1, 2))
        mentors.append(
            mentor(
                j + 1,
                draw(place),
                tier=draw(st.sampled_from(TIERS)),
                titles=frozenset(
                    draw(st.lists(st.sampled_from(["xingcun_mingshi", "lao_xiangzhen"]), max_size=1))
                ),
                expertise=frozenset(draw(st.lists(st.sampled_from(AREAS), min_size=1, max_size=3))),
                township=draw(st.sampled_from(["t1", "t2", ""])),
                county=draw(st.sampled_from(["c1", "c2"])),
                load=draw(st.integers(0, capacity)),
                capacity=capacity,
            )
        )
    if draw(st.booleans()):  # one person on both sides
        mentors[0] = dataclasses.replace(mentors[0], person_id=apprentices[0].person_id)
    pairs = [(a.id, m.id) for a in apprentices for m in mentors]
    conflicts = frozenset((1000 + a, 2000 + m) for a, m in draw(st.lists(st.sampled_from(pairs), max_size=2)))
    forbidden = frozenset(draw(st.lists(st.sampled_from(pairs), max_size=2)))
    p = problem(
        apprentices,
        mentors,
        weights=Weights(*draw(st.lists(st.integers(0, 30), min_size=6, max_size=6).filter(any))),
        rules=rules(
            draw(st.sampled_from([15.0, 30.0, 45.0])),
            **({"new_township_cadre": ["township", "county"]} if draw(st.booleans()) else {}),
        ),
        conflicts=conflicts,
        forbidden=forbidden,
        candidates_per_apprentice=draw(st.integers(1, 3)),
    )
    pinnable = [(a, m) for a in apprentices for m in mentors if m.free and check_pair(p, a, m) is None]
    if pinnable and draw(st.booleans()):
        a, m = draw(st.sampled_from(pinnable))
        p = dataclasses.replace(p, pinned=((a.id, m.id),))
    return p


# ---------------------------------------------------------------------------------------------------------
# Optimality


@settings(max_examples=120, deadline=None)
@given(instances())
def test_optimum_equals_brute_force(p):
    try:
        result = solve(p)
    except MatchError as error:
        assert error.code == "no_places"
        assert all(m.free == 0 for m in p.mentors)
        return
    ref = Reference(p)
    optimum = ref.brute_force()
    assert result.summary.objective == optimum
    assert ref.of_result(result) == optimum  # the pairs returned are the optimum they claim
    for pair in result.pairs:
        a = next(x for x in p.apprentices if x.id == pair.apprentice_id)
        m = next(x for x in p.mentors if x.id == pair.mentor_id)
        assert check_pair(p, a, m) is None
    load = np.bincount([pair.mentor_id for pair in result.pairs], minlength=10)
    assert all(load[m.id] <= m.free for m in p.mentors)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6))
def test_optimum_equals_assignment_solver_on_medium_instances(seed):
    rng = random.Random(seed)
    n_a, n_m = rng.randint(20, 60), rng.randint(5, 15)
    p = problem(
        [
            apprentice(
                i,
                rng.uniform(-30, 30),
                categories=frozenset(rng.sample(CATEGORIES, rng.randint(1, 2))),
                needs=frozenset(rng.sample(AREAS, rng.randint(0, 3))),
                township=rng.choice(["t1", "t2", "t3"]),
                repairing=rng.random() < 0.2,
            )
            for i in range(1, n_a + 1)
        ],
        [
            mentor(
                j,
                rng.uniform(-30, 30),
                tier=rng.choice(TIERS),
                titles=frozenset(
                    rng.sample(["xingcun_mingshi", "lao_xiangzhen", "qianming_hao_zhishu"], rng.randint(0, 2))
                ),
                expertise=frozenset(rng.sample(AREAS, rng.randint(1, 3))),
                township=rng.choice(["t1", "t2", "t3"]),
                capacity=rng.randint(1, 4),
                load=rng.randint(0, 1),
            )
            for j in range(1, n_m + 1)
        ],
        rules=rules(30.0, new_township_cadre=["township", "county"]),
        candidates_per_apprentice=rng.randint(1, 4),
    )
    result = solve(p)
    ref = Reference(p)
    assert result.summary.objective == ref.assignment_solver() == ref.of_result(result)


def test_unpaired_cost_makes_pairing_more_apprentices_come_first():
    # Distance alone counts. A1 sits at M1 (score 100) and could take M2 at the limit (score ~0); A2 can only
    # take M1, also at the limit. Pairing both costs almost 200 points against A1's 0: a U just above one
    # pair's cost would leave A2 unpaired. The objective's U pairs both.
    at_limit = 29.99 / 1.3
    p = problem(
        [apprentice(1, 0.0), apprentice(2, -at_limit)],
        [mentor(1, 0.0), mentor(2, at_limit)],
        weights=Weights(distance=1, coverage=0, tier_fit=0, locality=0, balance=0, continuity=0),
    )
    result = solve(p)
    assert pairs_of(result) == {1: 2, 2: 1}
    assert max(x.score for x in result.pairs) < 1
    assert result.summary.objective == Reference(p).brute_force()
    assert engine.unpaired_cost(places=2, apprentices=2) > 2 * 100 * scoring.SCALE


def test_pricing_finds_the_pair_outside_the_first_candidate_graph():
    # A5 can only reach M1; A4 prefers M1 but must take M2, whose three best apprentices A1-A3 all have a
    # place of their own at M3-M5. With K = 1, A4-M2 is neither A4's best mentor nor one of M2's nominees.
    p = problem(
        [apprentice(1, 30), apprentice(2, 30), apprentice(3, 30), apprentice(4, 10), apprentice(5, -5)],
        [mentor(1, 0), mentor(2, 25), mentor(3, 35), mentor(4, 35), mentor(5, 35)],
        rules=rules(30.0),
        candidates_per_apprentice=1,
    )
    narrow = solve(p)
    wide = solve(dataclasses.replace(p, candidates_per_apprentice=20))
    assert narrow.summary.pricing_rounds >= 1 and narrow.summary.added_arcs > 0
    assert narrow.summary.candidate_arcs < narrow.summary.feasible_arcs
    assert narrow.summary.objective == wide.summary.objective == Reference(p).brute_force()
    assert pairs_of(narrow)[4] == 2 and pairs_of(narrow)[5] == 1
    assert narrow.pairs == wide.pairs and narrow.unpaired == wide.unpaired


def test_same_result_for_every_candidate_graph_size_despite_ties():
    # Six identical apprentices at one village and four identical mentors: many optima tie on cost; the
    # canonical one must not depend on K.
    rng = random.Random(7)
    apprentices = [apprentice(i, 0.0 if i <= 6 else rng.uniform(-20, 20)) for i in range(1, 25)]
    mentors = [mentor(j, 3.0 if j <= 4 else rng.uniform(-20, 20), capacity=2) for j in range(1, 9)]
    p = problem(apprentices, mentors)
    results = [solve(dataclasses.replace(p, candidates_per_apprentice=k)) for k in (0, 1, 2, 5, 50)]
    assert {r.summary.objective for r in results} == {Reference(p).assignment_solver()}
    assert all(r.pairs == results[0].pairs and r.unpaired == results[0].unpaired for r in results)


def test_same_result_whatever_the_input_order():
    rng = random.Random(3)
    apprentices = [
        apprentice(i, rng.uniform(-20, 20), needs=frozenset(rng.sample(AREAS, 2))) for i in range(1, 40)
    ]
    mentors = [mentor(j, rng.uniform(-20, 20), capacity=rng.randint(1, 3)) for j in range(1, 12)]
    first = solve(problem(apprentices, mentors))
    rng.shuffle(apprentices)
    rng.shuffle(mentors)
    second = solve(problem(apprentices, mentors))
    assert first.pairs == second.pairs and first.unpaired == second.unpaired
    assert dataclasses.replace(first.summary, seconds=0) == dataclasses.replace(second.summary, seconds=0)
    assert [p.apprentice_id for p in first.pairs] == sorted(p.apprentice_id for p in first.pairs)


# ---------------------------------------------------------------------------------------------------------
# Hard rules


def test_each_rule_is_named_by_check_pair_in_order():
    a, m = apprentice(1), mentor(1)
    assert check_pair(problem([a], [m]), a, m) is None
    same = dataclasses.replace(m, person_id=a.person_id)
    assert check_pair(problem([a], [same]), a, same) == "self"
    assert (
        check_pair(problem([a], [m], conflicts=frozenset({(a.person_id, m.person_id)})), a, m) == "conflict"
    )
    assert check_pair(problem([a], [m], forbidden=frozenset({(1, 1)})), a, m) == "forbidden"
    far = mentor(1, 40.0)
    assert check_pair(problem([a], [far]), a, far) == "distance"
    cadre = dataclasses.replace(a, categories=frozenset({"new_township_cadre"}))
    assert (
        check_pair(problem([cadre], [m], rules=rules(30, new_township_cadre=["township"])), cadre, m)
        == "tier"
    )
    # the first rule broken is named: self before distance
    far_self = dataclasses.replace(far, person_id=a.person_id)
    assert check_pair(problem([a], [far_self]), a, far_self) == "self"


def test_the_distance_limit_is_inclusive_and_the_same_for_check_pair_and_solve():
    a, m = apprentice(1), mentor(1, 12.3456)
    limit = float(scoring.distances(scoring.encode(problem([a], [m])), np.array([0]), np.array([0]))[0])
    at_limit = problem([a], [m], rules=rules(limit))
    assert check_pair(at_limit, a, m) is None
    assert pairs_of(solve(at_limit)) == {1: 1}
    just_under = problem([a], [m], rules=rules(math.nextafter(limit, 0)))
    assert check_pair(just_under, a, m) == "distance"
    assert solve(just_under).summary.paired == 0


def test_the_tier_rule_needs_a_tier_every_listed_category_allows():
    a = apprentice(1, categories=frozenset({"new_township_cadre", "xuandiaosheng", "village_cadre"}))
    township, county = mentor(1, tier="township"), mentor(2, tier="county")
    p = problem(
        [a],
        [township, county],
        rules=rules(30, new_township_cadre=["township", "county"], xuandiaosheng=["county"]),
    )
    assert check_pair(p, a, township) == "tier"
    assert check_pair(p, a, county) is None
    assert pairs_of(solve(p)) == {1: 2}


def test_the_k_d_tree_chord_is_the_chord_scoring_computes():
    # The enumeration reads distances from the k-d tree; check_pair and the breakdowns compute them. The
    # engine relies on both giving the same bits.
    rng = np.random.default_rng(5)
    p_ = scoring.xyz(rng.uniform(118, 123, 400), rng.uniform(27, 31, 400)).reshape(3, -1)
    q = scoring.xyz(rng.uniform(118, 123, 300), rng.uniform(27, 31, 300)).reshape(3, -1)
    found = cKDTree(p_.T).sparse_distance_matrix(cKDTree(q.T), 2000.0, output_type="ndarray")
    computed = scoring.road_from_xyz(p_[:, found["i"]], q[:, found["j"]])
    assert np.array_equal(scoring.road_from_chord(found["v"]), computed)
    one = scoring.road_from_xyz(p_[:, found["i"][:1]], q[:, found["j"][:1]])
    assert one[0] == computed[0]


def test_capacity_counts_only_free_places_and_full_mentors_take_no_one():
    apprentices = [apprentice(i, 0.1 * i) for i in range(1, 6)]
    mentors = [mentor(1, capacity=3, load=1), mentor(2, capacity=2, load=2), mentor(3, capacity=1, load=5)]
    result = solve(problem(apprentices, mentors))
    assert sorted(pairs_of(result).values()) == [1, 1]
    assert result.summary.load == {0: 2, 2: 1}
    assert all(u.blocked_by["full"] == 2 for u in result.unpaired)


def test_every_rule_holds_in_the_result():
    a1, a2, a3, a4 = (apprentice(i) for i in range(1, 5))
    m1 = mentor(1, capacity=4)
    same = mentor(2, person_id=a1.person_id, capacity=4)
    far = mentor(3, 45.0, capacity=4)
    p = problem(
        [a1, a2, a3, a4],
        [m1, same, far],
        conflicts=frozenset({(a2.person_id, m1.person_id)}),
        forbidden=frozenset({(3, 1)}),
    )
    result = solve(p)
    # a1 cannot take itself (mentor 2), a2 is in conflict with m1, a3 is forbidden m1, nobody reaches
    # mentor 3: the feasible pairs are a1-m1, a2-m2, a3-m2, a4-m1 and a4-m2.
    assert pairs_of(result) == {1: 1, 2: 2, 3: 2, 4: 1}
    assert result.summary.feasible_arcs == 5


# ---------------------------------------------------------------------------------------------------------
# Errors


def test_no_apprentices_and_no_places():
    with pytest.raises(MatchError) as error:
        solve(problem([], [mentor(1)]))
    assert error.value.code == "no_apprentices"
    with pytest.raises(MatchError) as error:
        solve(problem([apprentice(1)], [mentor(1, load=1), mentor(2, capacity=0)]))
    assert error.value.code == "no_places"
    with pytest.raises(MatchError) as error:
        solve(problem([apprentice(1)], []))
    assert error.value.code == "no_places"


@pytest.mark.parametrize(
    ("pinned", "forbidden", "code", "records", "rule"),
    [
        (((1, 9),), (), "pin_unknown", (1, 9), ""),
        (((9, 1),), (), "pin_unknown", (9, 1), ""),
        (((1, 1), (1, 2)), (), "pin_twice", (1, 1, 2), ""),
        (((1, 1), (2, 1)), (), "pin_over_capacity", (1, 1, 2), ""),
        (((3, 1),), (), "pin_over_capacity", (1, 3), ""),
        (((1, 3),), (), "pin_breaks_rule", (1, 3), "distance"),
        (((4, 2),), (), "pin_breaks_rule", (4, 2), "tier"),
        (((5, 2),), (), "pin_breaks_rule", (5, 2), "self"),
        (((2, 2),), (), "pin_breaks_rule", (2, 2), "conflict"),
        (((1, 2),), ((1, 2),), "pin_forbidden", (1, 2), ""),
    ],
)
def test_pin_errors_name_their_records(pinned, forbidden, code, records, rule):
    apprentices = [
        apprentice(1),
        apprentice(2),
        apprentice(3),
        apprentice(4, categories=frozenset({"new_township_cadre"})),
        apprentice(5),
    ]
    mentors = [mentor(1), mentor(2, capacity=2, person_id=1005), mentor(3, 50.0)]
    if code == "pin_over_capacity" and records == (1, 3):
        mentors[0] = mentor(1, load=1)  # no free place at all
    p = problem(
        apprentices,
        mentors,
        pinned=pinned,
        forbidden=frozenset(forbidden),
        conflicts=frozenset({(1002, 1005)}),  # mentor 2 is person 1005
        rules=rules(30, new_township_cadre=["township"]),
    )
    with pytest.raises(MatchError) as error:
        solve(p)
    assert (error.value.code, error.value.records, error.value.rule) == (code, records, rule)


# ---------------------------------------------------------------------------------------------------------
# Pins and forbidden pairs


def test_pins_are_kept_even_when_worse_and_count_in_the_objective():
    p = problem(
        [apprentice(1, 0), apprentice(2, 10)],
        [mentor(1, 0), mentor(2, 10)],
        pinned=((1, 2),),
    )
    result = solve(p)
    assert pairs_of(result) == {1: 2, 2: 1}
    pin = next(x for x in result.pairs if x.apprentice_id == 1)
    assert pin.pinned and pin.why == "pinned"
    assert not next(x for x in result.pairs if x.apprentice_id == 2).pinned
    assert result.summary.objective == Reference(p).of_result(result) == Reference(p).brute_force()


def test_a_forbidden_pair_is_never_proposed_even_when_best():
    p = problem([apprentice(1, 0)], [mentor(1, 0), mentor(2, 20)], forbidden=frozenset({(1, 1)}))
    assert pairs_of(solve(p)) == {1: 2}


# ---------------------------------------------------------------------------------------------------------
# Explanations


def test_runner_up_full_when_its_place_serves_another_better():
    # A2 sits at M1; A1 is 1 km from M1 and 9 km from M2. A2 would lose more by moving, so A1 takes M2 while
    # its runner-up M1, which scores higher for it, is full.
    result = solve(problem([apprentice(1, 1), apprentice(2, 0)], [mentor(1, 0), mentor(2, 10)]))
    a1 = next(x for x in result.pairs if x.apprentice_id == 1)
    a2 = next(x for x in result.pairs if x.apprentice_id == 2)
    assert (a1.mentor_id, a1.runner_up_id, a1.why) == (2, 1, "runner_up_full")
    assert a1.runner_up_score > a1.score
    assert (a2.mentor_id, a2.runner_up_id, a2.why) == (1, 2, "higher_score")
    assert a2.score > a2.runner_up_score
    assert set(a1.runner_up_breakdown) == set(a1.breakdown)


def test_only_option():
    result = solve(problem([apprentice(1)], [mentor(1), mentor(2, 50)]))
    (pair,) = result.pairs
    assert (pair.why, pair.runner_up_id, pair.runner_up_score, pair.runner_up_breakdown) == (
        "only_option",
        None,
        None,
        None,
    )


def test_no_mentor_in_rules_suggests_raising_the_distance_to_the_nearest_allowed_mentor():
    a = apprentice(1, 0, categories=frozenset({"new_township_cadre"}))
    near_village = mentor(1, 5, tier="village")  # too low a tier
    township = mentor(2, 40, tier="township")  # nearest allowed, too far
    county = mentor(3, -60, tier="county")
    other = apprentice(2, 40)
    p = problem(
        [a, other],
        [near_village, township, county],
        rules=rules(30, new_township_cadre=["township", "county"]),
    )
    result = solve(p)
    (unpaired,) = result.unpaired
    assert unpaired.apprentice_id == 1 and unpaired.reason == "no_mentor_in_rules"
    assert unpaired.feasible_mentors == 0
    assert unpaired.blocked_by == {
        "distance": 2,
        "tier": 1,
        "conflict": 0,
        "forbidden": 0,
        "self": 0,
        "full": 0,
    }
    km = math.ceil(road_km(a.lng, a.lat, township.lng, township.lat) * 10) / 10
    assert unpaired.suggestion == {"kind": "raise_distance", "km": km, "mentor_id": 2}
    assert (
        check_pair(dataclasses.replace(p, rules=rules(km, new_township_cadre=["township"])), a, township)
        is None
    )


def test_raise_distance_skips_a_mentor_a_sparse_rule_excludes_and_counts_rules_alone():
    a = apprentice(1)
    conflicted = mentor(1, 35)  # far and in conflict: no rule alone
    nearest_clear = mentor(2, 45)
    p = problem([a], [conflicted, nearest_clear], conflicts=frozenset({(1001, 2001)}))
    (unpaired,) = solve(p).unpaired
    assert unpaired.suggestion["mentor_id"] == 2
    assert unpaired.blocked_by["distance"] == 1 and unpaired.blocked_by["conflict"] == 0


def test_capacity_exhausted_suggests_a_place_for_the_best_feasible_mentor():
    p = problem(
        [apprentice(1, 0), apprentice(2, 1), apprentice(3, 2)],
        [mentor(1, 0), mentor(2, 3), mentor(3, 1, load=1)],
    )
    result = solve(p)
    (unpaired,) = result.unpaired
    assert unpaired.reason == "capacity_exhausted"
    assert unpaired.feasible_mentors == 2
    assert unpaired.blocked_by["full"] == 1  # mentor 3 has no free place at all
    best = min(
        (1, 2), key=lambda m: -score_pair(p, p.apprentices[unpaired.apprentice_id - 1], p.mentors[m - 1])[0]
    )
    assert unpaired.suggestion == {"kind": "add_place", "mentor_id": best}


def test_nothing_to_suggest_when_no_mentor_has_an_allowed_tier():
    a = apprentice(1, categories=frozenset({"new_township_cadre"}))
    (unpaired,) = solve(problem([a], [mentor(1)], rules=rules(30, new_township_cadre=["county"]))).unpaired
    assert unpaired.suggestion == {} and unpaired.blocked_by["tier"] == 1


# ---------------------------------------------------------------------------------------------------------
# Scores


def test_road_km_is_haversine_times_the_circuity_factor():
    lng1, lat1, lng2, lat2 = 120.152585, 30.266597, 120.0868, 30.8936  # 杭州 -> 湖州
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    )
    haversine = 2 * scoring.EARTH_RADIUS_KM * math.asin(math.sqrt(h))
    assert road_km(lng1, lat1, lng2, lat2) == pytest.approx(1.3 * haversine, rel=1e-12)
    assert scoring.CIRCUITY == 1.3


def test_score_pair_is_the_weighted_mean_of_the_criteria():
    a = apprentice(
        1, 0, categories=frozenset({"weak_village_secretary", "village_cadre"}), needs=frozenset(AREAS[:3])
    )
    m = mentor(
        1, 6, titles=frozenset({"xingcun_mingshi"}), expertise=frozenset(AREAS[1:3]), capacity=4, load=1
    )
    p = problem([a], [m])
    score, breakdown = score_pair(p, a, m)
    d = road_km(a.lng, a.lat, m.lng, m.lat)
    expected = {
        "distance": 1 - d / 30,
        "coverage": 2 / 3,
        "tier_fit": 1.0,  # a weak village's secretary with a 兴村名师
        "locality": 1.0,
        "balance": 1 - 1 / 4,
        "continuity": 1.0,
    }
    assert breakdown == pytest.approx(expected, abs=1e-4)
    w = Weights().as_dict()
    assert score == pytest.approx(100 * sum(w[c] * expected[c] for c in w) / sum(w.values()), abs=1e-3)


@pytest.mark.parametrize(
    ("categories", "tier", "titles", "township", "fit"),
    [
        ({"new_township_cadre"}, "township", {"lao_xiangzhen"}, "330523205", 1.0),
        ({"new_township_cadre"}, "county", {"lao_xiangzhen"}, "330523105", 0.9),
        ({"new_township_cadre"}, "township", set(), "330523105", 0.8),
        ({"new_village_secretary"}, "village", {"qianming_hao_zhishu"}, "", 1.0),
        ({"xuandiaosheng"}, "county", set(), "", 0.9),
        ({"xuandiaosheng", "weak_village_secretary"}, "village", {"xingcun_mingshi"}, "", 1.0),
        ({"first_secretary"}, "provincial", set(), "", scoring.BASELINE_FIT),
        (set(), "village", set(), "", scoring.BASELINE_FIT),
    ],
)
def test_tier_fit_table(categories, tier, titles, township, fit):
    a = apprentice(1, categories=frozenset(categories))
    m = mentor(1, tier=tier, titles=frozenset(titles), township=township)
    assert score_pair(problem([a], [m]), a, m)[1]["tier_fit"] == fit


def test_locality_and_continuity():
    a = apprentice(1, repairing=True)
    near = mentor(1, 4)
    other_township = mentor(2, 4, township="330523105")
    other_county = mentor(3, 4, township="330521002", county="330521")
    p = problem([a], [near, other_township, other_county])
    assert [score_pair(p, a, m)[1]["locality"] for m in (near, other_township, other_county)] == [
        1.0,
        0.5,
        0.0,
    ]
    d = road_km(a.lng, a.lat, near.lng, near.lat)
    assert score_pair(p, a, near)[1]["continuity"] == pytest.approx(1 - d / 10, abs=1e-4)
    settled = dataclasses.replace(a, repairing=False)
    assert score_pair(p, settled, near)[1]["continuity"] == 1.0


def test_pair_scores_use_the_slot_by_apprentice_id_and_match_score_pair_in_slot_one():
    apprentices = [apprentice(3, 1), apprentice(1, 2), apprentice(2, 3)]
    p = problem(apprentices, [mentor(1, capacity=4, load=1)])
    result = solve(p)
    balance = {x.apprentice_id: x.breakdown["balance"] for x in result.pairs}
    assert balance == pytest.approx({1: 1 - 1 / 4, 2: 1 - 2 / 4, 3: 1 - 3 / 4}, abs=1e-4)
    first = next(x for x in result.pairs if x.apprentice_id == 1)
    assert (first.score, first.breakdown) == score_pair(p, apprentices[1], p.mentors[0])


def test_fused_pair_costs_equal_the_criteria_one_by_one():
    rng = random.Random(11)
    p = problem(
        [
            apprentice(
                i,
                rng.uniform(-25, 25),
                categories=frozenset(rng.sample(CATEGORIES, 2)),
                needs=frozenset(rng.sample(AREAS, rng.randint(0, 4))),
                township=rng.choice(["t1", "t2", ""]),
                repairing=rng.random() < 0.5,
            )
            for i in range(1, 30)
        ],
        [
            mentor(
                j,
                rng.uniform(-25, 25),
                tier=rng.choice(TIERS),
                titles=frozenset(rng.sample(["xingcun_mingshi", "lao_xiangzhen"], 1)),
                expertise=frozenset(rng.sample(AREAS, 2)),
                township=rng.choice(["t1", "t2", ""]),
            )
            for j in range(1, 10)
        ],
    )
    enc = scoring.encode(p)
    a, m = np.repeat(np.arange(enc.n_a), enc.n_m), np.tile(np.arange(enc.n_m), enc.n_a)
    km = scoring.distances(enc, a, m)
    deficit = scoring.static_deficit(enc, scoring.criteria(enc, a, m, km))
    assert np.array_equal(
        scoring.static_costs(enc, a, m, km), np.rint(scoring.SCALE * deficit).astype(np.int64)
    )


def test_summary_figures_agree_with_the_pairs():
    rng = random.Random(2)
    p = problem(
        [apprentice(i, rng.uniform(-35, 35)) for i in range(1, 30)],
        [mentor(j, rng.uniform(-35, 35), capacity=2) for j in range(1, 8)],
    )
    result = solve(p)
    s = result.summary
    scores = [x.score for x in result.pairs]
    assert (s.apprentices, s.mentors, s.paired + s.unpaired) == (29, 7, 29)
    assert s.paired == len(result.pairs) and s.unpaired == len(result.unpaired)
    assert s.min_score == min(scores) and s.mean_score == pytest.approx(sum(scores) / len(scores), abs=1e-3)
    assert s.max_distance_km == max(x.distance_km for x in result.pairs)
    assert sum(s.load.values()) == 7 and sum(k * v for k, v in s.load.items()) == s.paired
    ref = Reference(p)
    assert s.feasible_arcs == int(ref.feasible.sum())
    assert s.candidate_arcs + s.added_arcs <= s.feasible_arcs
    for pair in result.pairs:
        a = next(x for x in p.apprentices if x.id == pair.apprentice_id)
        m = next(x for x in p.mentors if x.id == pair.mentor_id)
        assert pair.distance_km == pytest.approx(road_km(a.lng, a.lat, m.lng, m.lat), abs=1e-3)
