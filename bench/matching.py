"""The matching engine on synthetic programmes at county, city and province size, against the exact optimum.

Each case is generated here from the real jurisdiction geometry (data/zhejiang/divisions.csv): townships
scattered around their county's centre and villages around their township's, as the demo generator does,
with apprentices and mentors placed in them, realistic categories, needs, tiers and titles, some declared
conflicts and a few people who appear on both sides (fixed seeds, so every run solves the same instances).

Three subprocesses per case, each generating the instance itself (not timed):
- ``engine``: ``engine.solve`` end to end (candidates, scores, solving, pricing, explanations), the median of
  five runs; ``peak_mb`` is that process's peak RSS (``wait4``), instance included.
- ``check``: the optimum computed independently of the engine's flow code: scipy's ``linear_sum_assignment``
  on the slot-expanded cost matrix (county, city), or one ``SimpleMinCostFlow`` solve of the full feasible
  graph (province), timed from the problem, so ``speedup`` = check seconds / engine seconds. Both use the
  engine's scores (what is checked is the optimisation, not the scoring), and the same integer objective.
- ``baselines``: a best-first greedy matcher and apprentice-proposing deferred acceptance (stable matching,
  preferences by pair score) on the same instance, scored with the same objective.

``gap_pct``: how much more a method's assignment costs than the optimum on the integer objective of
docs/matching.md, in per cent of the optimum's pair costs (see ``_gap``).
"""

import csv
import json
import statistics
import sys
import time
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .common import ROOT, check, markdown_table, print_table, record, run_measured, update_doc, write_results

NAME = "matching"
DIVISIONS = ROOT / "data" / "zhejiang" / "divisions.csv"
CATEGORIES = {  # share of apprentices whose main category this is
    "village_cadre": 0.22,
    "new_village_secretary": 0.10,
    "weak_village_secretary": 0.08,
    "new_township_cadre": 0.15,
    "xuandiaosheng": 0.10,
    "ruxiang_youth": 0.10,
    "reserve_cadre": 0.12,
    "seconded_cadre": 0.05,
    "first_secretary": 0.08,
}
AT_TOWNSHIP_OFFICE = {"new_township_cadre", "xuandiaosheng", "seconded_cadre"}
AREAS = ["ideals_rooting", "mass_work_service", "party_building", "common_prosperity", "governance_harmony"]
TIERS = {"village": 0.50, "township": 0.30, "county": 0.15, "municipal": 0.04, "provincial": 0.01}
TITLES = {  # tier -> (title, probability)
    "village": [
        ("xingcun_mingshi", 0.20),
        ("qianming_hao_zhishu", 0.15),
        ("dandang_hao_zhishu", 0.10),
        ("zhishe_mingshi", 0.05),
        ("model_worker", 0.03),
    ],
    "township": [("lao_xiangzhen", 0.40), ("dandang_hao_zhishu", 0.05)],
    "county": [("lao_xiangzhen", 0.20), ("model_worker", 0.05)],
    "municipal": [("model_worker", 0.10)],
    "provincial": [("model_worker", 0.20)],
}
CAPACITY = {"village": 2, "township": 3, "county": 4, "municipal": 5, "provincial": 5}
VILLAGES_PER_TOWNSHIP = 12
TIERS_BY_CATEGORY = {"new_township_cadre": frozenset({"provincial", "municipal", "county", "township"})}


@dataclass(frozen=True)
class Case:
    name: str
    region: str  # division code: one county, one city, or the province
    apprentices: int
    mentors: int
    seed: int
    uniform_capacity: int | None  # every mentor's capacity; None: by tier
    repeats: int  # engine runs; the median is reported
    target_seconds: float | None
    target_peak_mb: float | None = None
    target_speedup: float | None = None


CASES = [
    Case("county", "330523", 300, 100, seed=1, uniform_capacity=None, repeats=5, target_seconds=None),
    Case("city", "330500", 2_000, 500, seed=2, uniform_capacity=None, repeats=5, target_seconds=1.0),
    Case(
        "province",
        "330000",
        100_000,
        10_000,
        seed=3,
        uniform_capacity=3,
        repeats=5,
        target_seconds=10.0,
        target_peak_mb=1536.0,
        target_speedup=2.0,
    ),
]

COLUMNS = [
    ("case", "case"),
    ("apprentices", "apprentices"),
    ("mentors", "mentors"),
    ("places", "places"),
    ("seconds", "seconds"),
    ("target s", "target_seconds"),
    ("CPU s", "cpu_seconds"),
    ("peak MB", "peak_mb"),
    ("target MB", "target_peak_mb"),
    ("paired", "paired"),
    ("= optimum", "exact"),
    ("gap %", "gap_pct"),
    ("feasible arcs", "feasible_arcs"),
    ("candidate arcs", "candidate_arcs"),
    ("added", "added_arcs"),
    ("rounds", "pricing_rounds"),
    ("check", "check_method"),
    ("check s", "baseline_seconds"),
    ("speedup", "speedup"),
    ("target ×", "target_speedup"),
    ("pass", "passed"),
]
METHODS = [("engine", ""), ("greedy", "greedy_"), ("stable matching", "stable_")]
COMPARISON = [
    ("case", "case"),
    ("method", "method"),
    ("paired", "paired"),
    ("gap %", "gap_pct"),
    ("min score", "min_pair_score"),
    ("mean score", "mean_pair_score"),
    ("seconds", "seconds"),
]


# ---------------------------------------------------------------------------------------------------------
# Instances


def _geometry(region: str) -> tuple[list[dict], dict[str, tuple[float, float]]]:
    """The townships under ``region`` (code, county, centre) and each county's centre, from divisions.csv."""
    with open(DIVISIONS, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    centre = {r["code"]: (float(r["lng"]), float(r["lat"])) for r in rows if r["lng"]}
    counties = {
        r["code"]: r["parent_code"]
        for r in rows
        if r["level"] == "county" and region in (r["code"], r["parent_code"], "330000")
    }
    townships = [
        {"code": r["code"], "county": r["parent_code"]} for r in rows if r["parent_code"] in counties
    ]
    return townships, {code: centre[code] for code in counties} | {
        c: centre[c] for c in set(counties.values())
    }


def instance(case: Case):
    """The case's problem: the same one on every call (fixed seed)."""
    from bangdai.matching.problem import ApprenticeIn, MentorIn, Problem, Rules

    rng = np.random.default_rng(case.seed)
    townships, centres = _geometry(case.region)
    n_t = len(townships)
    county_of = np.array([t["county"] for t in townships])
    county_centre = np.array([centres[c] for c in county_of])
    spread = np.array([1.0, 0.85])
    township_centre = county_centre + rng.uniform(-0.16, 0.16, (n_t, 2)) * spread
    villages = (
        np.repeat(township_centre, VILLAGES_PER_TOWNSHIP, axis=0)
        + rng.uniform(-0.035, 0.035, (n_t * VILLAGES_PER_TOWNSHIP, 2)) * spread
    )

    def areas(n: int, low: int) -> list[frozenset[str]]:
        sizes = rng.integers(low, 4, n)
        return [frozenset(rng.choice(AREAS, size=s, replace=False).tolist()) for s in sizes]

    # Apprentices: a main category (a second one for 15 %), at a village or at the township office.
    main = rng.choice(list(CATEGORIES), size=case.apprentices, p=list(CATEGORIES.values()))
    second = rng.choice(list(CATEGORIES), size=case.apprentices)
    both = rng.random(case.apprentices) < 0.15
    a_township = rng.integers(0, n_t, case.apprentices)
    office = np.isin(main, list(AT_TOWNSHIP_OFFICE))
    village = a_township * VILLAGES_PER_TOWNSHIP + rng.integers(0, VILLAGES_PER_TOWNSHIP, case.apprentices)
    a_where = np.where(office[:, None], township_centre[a_township], villages[village])
    needs = areas(case.apprentices, 0)
    repairing = rng.random(case.apprentices) < 0.03
    apprentices = [
        ApprenticeIn(
            id=i + 1,
            person_id=i + 1,
            categories=frozenset({main[i], second[i]} if both[i] else {main[i]}),
            needs=needs[i],
            lng=float(a_where[i, 0]),
            lat=float(a_where[i, 1]),
            township=townships[a_township[i]]["code"],
            county=county_of[a_township[i]],
            repairing=bool(repairing[i]),
        )
        for i in range(case.apprentices)
    ]

    # Mentors: a tier; home at a village, the township seat, the county seat, the city or Hangzhou.
    tier = rng.choice(list(TIERS), size=case.mentors, p=list(TIERS.values()))
    m_township = rng.integers(0, n_t, case.mentors)
    m_village = m_township * VILLAGES_PER_TOWNSHIP + rng.integers(0, VILLAGES_PER_TOWNSHIP, case.mentors)
    expertise = areas(case.mentors, 1)
    loaded = rng.random(case.mentors) < 0.2
    mentors = []
    for j in range(case.mentors):
        t, tw = str(tier[j]), townships[m_township[j]]
        county, city = tw["county"], tw["county"][:4] + "00"
        home = {
            "village": villages[m_village[j]],
            "township": township_centre[m_township[j]],
            "county": centres[county],
            "municipal": centres.get(city, centres[county]),
            "provincial": np.array([120.152585, 30.266597]),
        }[t]
        capacity = case.uniform_capacity or CAPACITY[t]
        mentors.append(
            MentorIn(
                id=j + 1,
                person_id=1_000_000 + j,
                tier=t,
                titles=frozenset(title for title, p in TITLES[t] if rng.random() < p),
                expertise=expertise[j],
                lng=float(home[0]),
                lat=float(home[1]),
                township=tw["code"] if t in ("village", "township") else "",
                county=county if t in ("village", "township", "county") else "",
                load=int(loaded[j]),
                capacity=capacity,
            )
        )
    # A few people on both sides (the self rule), and declared conflicts with a mentor of the same county.
    for j in rng.choice(case.mentors, size=max(1, case.mentors // 300), replace=False).tolist():
        a = apprentices[int(rng.integers(case.apprentices))]
        m = mentors[j]
        mentors[j] = MentorIn(**{**m.__dict__, "person_id": a.person_id, "lng": a.lng, "lat": a.lat})
    by_county: dict[str, list[int]] = {}
    for m in mentors:
        by_county.setdefault(m.county, []).append(m.person_id)
    conflicts = set()
    for i in rng.choice(case.apprentices, size=max(1, case.apprentices // 100), replace=False).tolist():
        people = by_county.get(apprentices[i].county)
        if people:
            conflicts.add((apprentices[i].person_id, people[int(rng.integers(len(people)))]))
    return Problem(
        apprentices=tuple(apprentices),
        mentors=tuple(mentors),
        rules=Rules(max_distance_km=30.0, tiers_by_category=MappingProxyType(TIERS_BY_CATEGORY)),
        conflicts=frozenset(conflicts),
    )


# ---------------------------------------------------------------------------------------------------------
# The steps, each run in its own subprocess


def _engine(case: Case) -> dict:
    """``engine.solve`` end to end, ``repeats`` times; the pairs are kept for the check step."""
    from bangdai.matching import engine

    problem = instance(case)
    seconds, cpu, objectives = [], [], set()
    for _ in range(case.repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = engine.solve(problem)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        objectives.add(result.summary.objective)
    if len(objectives) != 1:
        raise SystemExit(f"{case.name}: the same problem gave different objectives {sorted(objectives)}")
    pairs = np.array([(p.apprentice_id, p.mentor_id) for p in result.pairs], dtype=np.int64).reshape(-1, 2)
    np.save(_pairs_file(case), pairs)
    s = result.summary
    return {
        "seconds": statistics.median(seconds),
        "seconds_runs": [round(x, 3) for x in seconds],
        "cpu_seconds": round(statistics.median(cpu), 3),
        "places": int(sum(m.free for m in problem.mentors)),
        "paired": s.paired,
        "objective": s.objective,
        "min_pair_score": s.min_score,
        "mean_pair_score": s.mean_score,
        "feasible_arcs": s.feasible_arcs,
        "candidate_arcs": s.candidate_arcs,
        "added_arcs": s.added_arcs,
        "pricing_rounds": s.pricing_rounds,
    }


def _pairs_file(case: Case):
    from .common import WORK_DIR

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    return WORK_DIR / f"matching-{case.name}.npy"


class _Costs:
    """The instance's feasible pairs and the integer objective of docs/matching.md, for any assignment.

    Uses the engine's scores and its enumeration of feasible pairs (what is checked is the optimisation), and
    nothing of its flow, pricing or result code.
    """

    def __init__(self, case: Case):
        self.problem = instance(case)
        self.enc, self.feasible, self.rows, slot_m, slot_c, self.u = _feasible_graph(self.problem)
        self.free = self.enc.m_free
        self.first = np.cumsum(self.free) - self.free  # each mentor's first slot arc
        self.cumulative = np.concatenate([[0], np.cumsum(slot_c)])
        self.slot_first = np.where(self.free > 0, slot_c[np.minimum(self.first, len(slot_c) - 1)], 0)

    def objective(self, rows: np.ndarray, mentors: np.ndarray) -> int:
        """The objective of an assignment, after checking every pair is feasible and no mentor overfull."""
        f, n_m = self.feasible, self.enc.n_m
        keys = self.rows * n_m + f.mentor
        wanted = rows * n_m + mentors
        order = np.argsort(keys)
        at = np.searchsorted(keys[order], wanted)
        if np.any(at >= len(keys)) or np.any(keys[order][np.minimum(at, len(keys) - 1)] != wanted):
            raise SystemExit("an assigned pair is not feasible")
        if len(np.unique(rows)) != len(rows):
            raise SystemExit("an apprentice is paired twice")
        load = np.bincount(mentors, minlength=n_m)
        if np.any(load > self.free):
            raise SystemExit("a mentor has more new apprentices than free places")
        static = int(f.cost[order[at]].astype(np.int64).sum())
        slots = int((self.cumulative[self.first + load] - self.cumulative[self.first]).sum())
        return static + slots + self.u * (self.enc.n_a - len(rows))

    def scores(self, rows: np.ndarray, mentors: np.ndarray) -> tuple[float, float]:
        """The lowest and mean pair score, each apprentice in its slot by id among its mentor's new ones."""
        from bangdai.matching import scoring

        if not len(rows):
            return 0.0, 0.0
        order = np.lexsort((rows, mentors))
        ranked = mentors[order]
        slot = np.empty(len(rows), dtype=np.int64)
        slot[order] = np.arange(len(rows)) - np.searchsorted(ranked, ranked) + 1
        values = scoring.criteria(self.enc, rows, mentors, scoring.distances(self.enc, rows, mentors))
        score = scoring.scores(self.enc, values, scoring.balance(self.enc, mentors, slot))
        return round(float(score.min()), 3), round(float(score.mean()), 3)


def _check(case: Case) -> dict:
    """The optimum computed independently, timed from the problem as the engine is, and the engine's pairs
    scored with the same objective."""
    costs = _Costs(case)
    start = time.perf_counter()
    if case.name == "province":
        optimum, method = _full_graph(costs.problem), "full-graph SimpleMinCostFlow"
    else:
        optimum, method = _assignment(costs.problem), "linear_sum_assignment"
    seconds = time.perf_counter() - start
    pairs = np.load(_pairs_file(case))
    rows = np.searchsorted(costs.enc.a_id, pairs[:, 0])
    mentors = np.searchsorted(costs.enc.m_id, pairs[:, 1])
    return {
        "seconds": seconds,
        "check_method": method,
        "optimum": optimum,
        "u": costs.u,
        "engine_objective": costs.objective(rows, mentors),
    }


def _feasible_graph(problem):
    """The problem's encoding, its feasible pairs with the apprentice row of each, and its slot arcs."""
    from bangdai.matching import engine, scoring

    enc = scoring.encode(problem)
    f = engine.feasible_pairs(enc, engine.exclusions(problem, enc))
    rows = np.repeat(np.arange(enc.n_a), np.diff(f.indptr))
    free = enc.m_free
    slot_m = np.repeat(np.arange(enc.n_m), free)
    slot_k = np.arange(len(slot_m)) - np.repeat(np.cumsum(free) - free, free) + 1
    u = engine.unpaired_cost(int(free.sum()), enc.n_a)
    return enc, f, rows, slot_m, scoring.slot_costs(enc, slot_m, slot_k), u


def _assignment(problem) -> int:
    """scipy's linear_sum_assignment on the slot-expanded matrix: apprentices × (every free place + one
    "unpaired" column per apprentice); a pair's cell is its static cost plus that place's slot cost."""
    from scipy.optimize import linear_sum_assignment

    enc, f, rows, slot_m, slot_c, u = _feasible_graph(problem)
    free = enc.m_free
    first_slot = np.cumsum(free) - free
    matrix = np.full((enc.n_a, len(slot_m) + enc.n_a), np.inf)
    for k in range(int(free.max(initial=0))):
        has = free[f.mentor] > k
        column = first_slot[f.mentor[has]] + k
        matrix[rows[has], column] = f.cost[has] + slot_c[column]
    matrix[np.arange(enc.n_a), len(slot_m) + np.arange(enc.n_a)] = u
    r, c = linear_sum_assignment(matrix)
    return int(round(matrix[r, c].sum()))


def _full_graph(problem) -> int:
    """The full feasible graph solved directly by ``SimpleMinCostFlow``: every feasible pair, every slot and
    every unpaired arc, one balanced solve."""
    from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

    enc, f, rows, slot_m, slot_c, u = _feasible_graph(problem)
    sink = enc.n_a + enc.n_m
    smcf = SimpleMinCostFlow()
    for tails, heads, cost in (
        (rows, enc.n_a + f.mentor, f.cost),
        (enc.n_a + slot_m, np.full(len(slot_m), sink), slot_c),
        (np.arange(enc.n_a), np.full(enc.n_a, sink), np.full(enc.n_a, u)),
    ):
        smcf.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32),
            heads.astype(np.int32),
            np.ones(len(tails), dtype=np.int64),
            cost.astype(np.int64),
        )
    supply = np.zeros(sink + 1, dtype=np.int64)
    supply[: enc.n_a], supply[sink] = 1, -enc.n_a
    smcf.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supply)
    if smcf.solve() != smcf.OPTIMAL:
        raise SystemExit("the full graph did not solve")
    return smcf.optimal_cost()


def _baselines(case: Case) -> dict:
    """A best-first greedy matcher and deferred acceptance, scored with the engine's objective."""
    costs = _Costs(case)
    figures = {}
    for name, method in (("greedy", _greedy), ("stable", _stable)):
        start = time.perf_counter()
        rows, mentors = method(costs)
        figures[f"{name}_seconds"] = round(time.perf_counter() - start, 3)
        figures[f"{name}_paired"] = len(rows)
        figures[f"{name}_objective"] = costs.objective(rows, mentors)
        figures[f"{name}_min_pair_score"], figures[f"{name}_mean_pair_score"] = costs.scores(rows, mentors)
    return figures


def _preference(costs: _Costs) -> np.ndarray:
    """Each feasible pair's cost as ``score_pair`` scores it: static cost plus the mentor's first slot."""
    f = costs.feasible
    return f.cost.astype(np.int64) + costs.slot_first[f.mentor]


def _greedy(costs: _Costs) -> tuple[np.ndarray, np.ndarray]:
    """Best pair first: the best-scoring feasible pair whose apprentice is free and mentor has a place."""
    f = costs.feasible
    order = np.lexsort((f.mentor, costs.rows, _preference(costs)))
    left = costs.free.copy()
    taken = np.zeros(costs.enc.n_a, dtype=bool)
    rows, mentors = [], []
    places, still = int(left.sum()), costs.enc.n_a
    for a, m in zip(costs.rows[order].tolist(), f.mentor[order].tolist(), strict=True):
        if taken[a] or not left[m]:
            continue
        taken[a] = True
        left[m] -= 1
        rows.append(a)
        mentors.append(m)
        places, still = places - 1, still - 1
        if not places or not still:
            break
    return np.array(rows, dtype=np.int64), np.array(mentors, dtype=np.int64)


def _stable(costs: _Costs) -> tuple[np.ndarray, np.ndarray]:
    """Apprentice-proposing deferred acceptance (Gale–Shapley with capacities), in rounds: every free
    apprentice proposes to its next mentor by pair score; each mentor keeps its best proposals up to its free
    places (by the same score, ties to the lower apprentice id). Round by round gives the same
    apprentice-optimal stable matching as one proposal at a time."""
    f, n_a = costs.feasible, costs.enc.n_a
    preference = _preference(costs)
    order = np.lexsort((f.mentor, preference, costs.rows))  # each apprentice's list, best first
    lists_m, lists_c = f.mentor[order].astype(np.int64), preference[order]
    start, length = f.indptr[:-1], np.diff(f.indptr)
    pointer = np.zeros(n_a, dtype=np.int64)
    held_a = np.zeros(0, dtype=np.int64)
    held_m, held_c = held_a.copy(), held_a.copy()
    free = np.ones(n_a, dtype=bool)
    while True:
        proposers = np.flatnonzero(free & (pointer < length))
        if not proposers.size:
            break
        at = start[proposers] + pointer[proposers]
        pointer[proposers] += 1
        a = np.concatenate([held_a, proposers])
        m = np.concatenate([held_m, lists_m[at]])
        c = np.concatenate([held_c, lists_c[at]])
        ranked = np.lexsort((a, c, m))
        a, m, c = a[ranked], m[ranked], c[ranked]
        rank = np.arange(len(m)) - np.searchsorted(m, m)
        keep = rank < costs.free[m]
        held_a, held_m, held_c = a[keep], m[keep], c[keep]
        free = np.ones(n_a, dtype=bool)  # whoever is not held, rejected this round or before
        free[held_a] = False
    return held_a, held_m


# ---------------------------------------------------------------------------------------------------------


def run(names: list[str] | None = None) -> list[dict]:
    """Run every case (or the named ones) and write bench/results/matching.json and the doc section."""
    known = [c.name for c in CASES]
    records = []
    for case in CASES:
        if names and case.name not in names:
            continue
        print(f"matching: {case.name}: engine ...", flush=True)
        engine_run = _step("engine", case)
        print(f"matching: {case.name}: independent optimum ...", flush=True)
        checked = _step("check", case)
        print(f"matching: {case.name}: greedy and stable matching ...", flush=True)
        baselines = _step("baselines", case)
        records.append(_record(case, engine_run, checked, baselines))
    print_table("Matching engine (synthetic programmes on the real jurisdiction geometry)", COLUMNS, records)
    print_table("The same instances: engine, greedy and stable matching", COMPARISON, _comparison(records))
    written = write_results(NAME, records, order=known)
    update_doc(
        NAME,
        markdown_table(COLUMNS, written)
        + "\n\n"
        + markdown_table(COMPARISON, _comparison(written))
        + "\n\n"
        + _notes(written),
    )
    return records


def _comparison(records: list[dict]) -> list[dict]:
    """One row per case and method: how many pairs, how far from the optimum, the worst and mean pair."""
    return [
        {"case": r["case"], "method": method, **{key: r.get(prefix + key) for _h, key in COMPARISON[2:]}}
        for r in records
        for method, prefix in METHODS
    ]


@dataclass
class _Step:
    figures: dict
    seconds: float
    peak_mb: float


def _step(step: str, case: Case) -> _Step:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("BANGDAI_DATABASE_URL", "BANGDAI_REDIS_URL")}
    run = check(
        run_measured([sys.executable, "-m", "bench.matching", step, case.name], env), f"{case.name} {step}"
    )
    return _Step(json.loads(run.stdout.strip().splitlines()[-1]), run.seconds, run.peak_mb)


def _gap(objective: int, optimum: int, u: int) -> float:
    """How much more the method's pairs cost than the optimum's, in per cent of the optimum's pair costs.

    The objective is U per unpaired apprentice plus the cost of the pairs, which is below U: ``optimum % u``
    is the optimum's pair cost, the score points its pairs lose × SCALE. A method with as many pairs shows
    how many more points it loses; one with fewer pairs adds U per missing pair, thousands of per cent.
    """
    return round(100 * (objective - optimum) / (optimum % u), 3) if optimum % u else 0.0


def _record(case: Case, engine_run: _Step, checked: _Step, baselines: _Step) -> dict:
    e, c, b = engine_run.figures, checked.figures, baselines.figures
    optimum, u = c["optimum"], c["u"]
    exact = e["objective"] == c["engine_objective"] == optimum
    speedup = round(c["seconds"] / e["seconds"], 2)
    checks = [exact]
    if case.target_seconds is not None:
        checks.append(e["seconds"] <= case.target_seconds)
    if case.target_peak_mb is not None:
        checks.append(engine_run.peak_mb <= case.target_peak_mb)
    if case.target_speedup is not None:
        checks.append(speedup >= case.target_speedup)
    figures = {k: v for k, v in e.items() if k != "seconds"}
    return record(
        case.name,
        e["seconds"],
        engine_run.peak_mb,
        c["seconds"],
        apprentices=case.apprentices,
        mentors=case.mentors,
        **figures,
        exact=exact,
        gap_pct=_gap(c["engine_objective"], optimum, u),
        optimum=optimum,
        unpaired_cost=u,
        check_method=c["check_method"],
        check_peak_mb=round(checked.peak_mb, 1),
        speedup=speedup,
        target_seconds=case.target_seconds,
        target_peak_mb=case.target_peak_mb,
        target_speedup=case.target_speedup,
        greedy_gap_pct=_gap(b["greedy_objective"], optimum, u),
        stable_gap_pct=_gap(b["stable_objective"], optimum, u),
        **b,
        passed=all(checks),
    )


def _notes(records: list[dict]) -> str:
    lines = [
        "`seconds` is the median wall time of the engine runs (`seconds_runs` in the JSON) and `CPU s` "
        "their median CPU time; `check s` the independent optimum's time (`baseline_seconds`), `speedup` = "
        "check s / seconds. `= optimum`: the engine's objective, its pairs re-scored by the benchmark and "
        "the independent optimum are the same integer. `gap %`: the extra cost over the optimum in per cent "
        "of the optimum's pair costs (the score points its pairs lose); a method that pairs fewer "
        "apprentices pays U per missing pair.",
        "",
    ]
    for r in records:
        lines.append(
            f"- {r['case']}: objective {r['objective']:,} = {r['optimum']:,} ({r['check_method']}), "
            f"U = {r['unpaired_cost']:,}; engine peak {r['peak_mb']:,.0f} MB, "
            f"check peak {r['check_peak_mb']:,.0f} MB; "
            f"engine runs {', '.join(f'{x:.2f}' for x in r['seconds_runs'])} s."
        )
    return "\n".join(lines)


def _child(argv: list[str]) -> None:
    """``python -m bench.matching STEP CASE``: one step of one case; its figures as the last stdout line."""
    step, name = argv
    case = next(c for c in CASES if c.name == name)
    figures = {"engine": _engine, "check": _check, "baselines": _baselines}[step](case)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    _child(sys.argv[1:])
