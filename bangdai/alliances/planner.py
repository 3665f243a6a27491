"""The alliance planner: a capacitated p-median over an area's villages, solved exactly as a MIP with HiGHS.

Pure Python, numpy, scipy and highspy: nothing here imports Django. ``bangdai.alliances.selectors`` builds a
:class:`PlanInput` from the jurisdiction tree, :func:`solve` returns a :class:`PlanResult` (or raises
:class:`PlanError`), and ``bangdai.alliances.services`` keeps it as a proposal the admin edits and adopts.

The model (docs/alliances.md states it in full):

- Candidate hubs are villages with a qualified lead mentor (the selector decides who qualifies). A village may
  join hub j only when the road-distance proxy between them is within ``max_km``; only those arcs become
  variables, so the model grows with the arcs, not with villages × hubs.
- ``x[i, j]`` = 1 when village i joins hub j. The arc of a hub to its own village doubles as ``open[j]``: an
  opened hub always belongs to its own alliance, and a village may join only an opened hub
  (``x[i, j] <= x[j, j]``, one row per arc: the strong, disaggregated form).
- Every village joins exactly one hub, or is left without room (``u[i]``, counted at a prohibitive cost, so
  the solver first leaves as few villages without room as it can, then minimises distance).
- At most ``max_size`` villages per alliance, the hub's own village included; between ``hubs_min`` and
  ``hubs_max`` hubs are opened.
- The objective is the sum over villages of weight × road km, counted in steps of 0.1 km so that it is an
  integer and HiGHS can prove the optimum exactly. The weight is the village's size (its cadres, at least 1).

Villages that no candidate hub reaches within ``max_km`` are not in the model at all: they are reported as out of
reach, with the nearest candidate hub and its distance, instead of making the model infeasible. The greedy plan
(:func:`greedy`: hubs added one by one where they shorten the total most, then each village to its nearest hub
with room) is handed to HiGHS as its first incumbent, and is also the baseline the benchmark compares with.
"""

import math
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import highspy
import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

try:  # one road-distance proxy in the whole product: the matching engine's, when it is installed
    from bangdai.matching.scoring import CIRCUITY
except ImportError:  # pragma: no cover - the matching app ships with this one
    CIRCUITY = 1.3  # road km per great-circle km on rural Zhejiang roads (see docs/alliances.md)

EARTH_RADIUS_KM = 6371.0088
KM_STEP = (
    0.1  # the objective counts distance in 100 m steps (an integer objective: the optimum is proven exactly)
)

# Statuses of a result.
OPTIMAL = "optimal"  # proven optimal: no plan within the limits has a smaller objective
TIME_LIMIT = "time_limit"  # the time limit stopped the search: the best plan found, with its proven gap

# Why a village is not in any alliance.
OUT_OF_REACH = "out_of_reach"  # no candidate hub within the distance limit
NO_ROOM = "no_room"  # hubs are within reach, but the size limit leaves no place for it
HUB_DROPPED = "hub_dropped"  # (set by an admin's edit, not by the solver) its hub was dropped


@dataclass(frozen=True)
class Village:
    id: int  # the village's region id
    lng: float
    lat: float
    weight: int = 1  # the village's size in the objective: its cadres, at least 1


@dataclass(frozen=True)
class Candidate:
    village_id: int  # the hub's own village (a Village.id); at most one candidate per village
    mentor_id: int  # the qualified mentor who would lead the alliance


@dataclass(frozen=True)
class PlanInput:
    villages: tuple[Village, ...]
    candidates: tuple[Candidate, ...]
    hubs_min: int
    hubs_max: int
    max_km: float  # road-distance proxy between a village and its hub
    max_size: int  # villages per alliance, the hub's own village included
    time_limit: float = 60.0  # seconds HiGHS may search; the result says whether the optimum was proven


@dataclass(frozen=True)
class Assignment:
    village_id: int
    hub_village_id: int
    km: float


@dataclass(frozen=True)
class Unassigned:
    village_id: int
    reason: str  # OUT_OF_REACH or NO_ROOM
    nearest_hub_village_id: int | None  # the nearest candidate hub (any, opened or not)
    nearest_km: float | None


@dataclass(frozen=True)
class PlanResult:
    status: str  # OPTIMAL or TIME_LIMIT
    hubs: tuple[Candidate, ...]  # the opened hubs, by village id
    assignments: tuple[Assignment, ...]  # by village id; hubs' own villages included (0 km)
    unassigned: tuple[Unassigned, ...]  # by village id
    objective: int  # Σ weight × distance steps over the assignments (KM_STEP km each)
    bound: float  # the best proven lower bound on the objective
    gap: float  # (objective - bound) / objective, 0 when proven optimal; a fraction, not per cent
    seconds: float
    nodes: int  # branch-and-bound nodes HiGHS explored
    arcs: int  # village-hub pairs within the distance limit (the x variables)
    rows: int
    greedy_objective: int  # the greedy plan's objective (same units), the first incumbent
    greedy_unassigned: int  # villages the greedy plan left without room
    solver_status: str = ""  # HiGHS's own word for how the search ended
    # What the solver's objective counts for each village left without room; ``bound`` and ``gap`` are on that
    # objective (the distance objective plus this per village without room: the two agree when none is).
    room_penalty: float = 0.0

    @property
    def objective_km(self) -> float:
        return self.objective * KM_STEP

    @property
    def without_room(self) -> int:
        return sum(1 for u in self.unassigned if u.reason == NO_ROOM)

    @property
    def model_objective(self) -> float:
        return self.objective + self.room_penalty * self.without_room

    @property
    def gap_pct(self) -> float:
        return 100 * self.gap


class PlanError(Exception):
    """The planner cannot be run as asked. ``code`` is stable; ``figures`` carries the numbers a message needs.

    Codes: "no_villages" (no village has coordinates), "no_candidates" (no qualified hub), "candidate_twice" (two
    candidates in one village), "candidate_unknown" (a candidate's village is not among the villages),
    "bad_limits" (a limit out of range), "too_few_candidates" (figures: candidates, hubs_min), "no_room" (the hubs
    cannot hold the villages within reach even when full; figures: villages, hubs_max, max_size, hubs_needed,
    size_needed).
    """

    def __init__(self, code: str, **figures):
        self.code, self.figures = code, figures
        super().__init__(f"{code}: {figures}" if figures else code)


# ---------------------------------------------------------------------------------------------------------------
# Distances


def unit_vectors(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: their chord length orders pairs by great-circle distance."""
    lam, phi = np.radians(lng), np.radians(lat)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)


def road_km_from_chord(chord: np.ndarray) -> np.ndarray:
    """Road-distance proxy for unit-sphere chords: CIRCUITY × the haversine distance."""
    return CIRCUITY * 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.asarray(chord) / 2))


def road_km(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Road-distance proxy in km between two points (degrees)."""
    p, q = unit_vectors(np.array([lng1, lng2]), np.array([lat1, lat2]))
    return float(road_km_from_chord(np.linalg.norm(p - q)))


def steps(km: np.ndarray) -> np.ndarray:
    """Distances in objective units (KM_STEP)."""
    return np.rint(np.asarray(km) / KM_STEP).astype(np.int64)


# ---------------------------------------------------------------------------------------------------------------
# The instance: arcs within the distance limit


@dataclass
class _Instance:
    problem: PlanInput
    village_ids: np.ndarray  # (n,)
    weight: np.ndarray  # (n,) int
    hub_index: np.ndarray  # (m,) index of each candidate's village among the villages
    arc_v: np.ndarray  # (a,) village index of each arc
    arc_h: np.ndarray  # (a,) candidate index of each arc
    arc_km: np.ndarray  # (a,) road km
    arc_cost: np.ndarray  # (a,) weight × steps
    self_arc: np.ndarray  # (m,) the arc of each candidate to its own village
    reachable: np.ndarray  # (n,) bool: some candidate within the limit
    nearest_h: np.ndarray  # (n,) nearest candidate (any distance)
    nearest_km: np.ndarray  # (n,)


def _check(problem: PlanInput) -> None:
    if not problem.villages:
        raise PlanError("no_villages")
    if not problem.candidates:
        raise PlanError("no_candidates")
    if not (
        1 <= problem.hubs_min <= problem.hubs_max
        and problem.max_size >= 1
        and problem.max_km > 0
        and problem.time_limit > 0
    ):
        raise PlanError("bad_limits")
    ids = {v.id for v in problem.villages}
    hub_villages = [c.village_id for c in problem.candidates]
    if len(set(hub_villages)) != len(hub_villages):
        raise PlanError("candidate_twice")
    if not set(hub_villages) <= ids:
        raise PlanError("candidate_unknown")
    if problem.hubs_min > len(problem.candidates):
        raise PlanError("too_few_candidates", candidates=len(problem.candidates), hubs_min=problem.hubs_min)


def _instance(problem: PlanInput) -> _Instance:
    _check(problem)
    villages = sorted(problem.villages, key=lambda v: v.id)
    village_ids = np.array([v.id for v in villages], dtype=np.int64)
    position = {v.id: i for i, v in enumerate(villages)}
    weight = np.array([max(1, int(v.weight)) for v in villages], dtype=np.int64)
    points = unit_vectors(np.array([v.lng for v in villages]), np.array([v.lat for v in villages]))
    hub_index = np.array([position[c.village_id] for c in problem.candidates], dtype=np.int64)
    tree = cKDTree(points[hub_index])
    # The chord whose road distance is max_km; a hair more so that no pair at the limit is lost to rounding.
    angle = problem.max_km / CIRCUITY / EARTH_RADIUS_KM
    radius = 2 * math.sin(min(angle, math.pi) / 2) * (1 + 1e-12) + 1e-15
    pairs = tree.query_ball_point(points, r=radius, return_sorted=True)
    arc_v = np.repeat(np.arange(len(villages)), [len(p) for p in pairs])
    arc_h = np.fromiter((h for p in pairs for h in p), dtype=np.int64, count=len(arc_v))
    arc_km = road_km_from_chord(np.linalg.norm(points[arc_v] - points[hub_index[arc_h]], axis=1))
    keep = (arc_km <= problem.max_km) | (arc_v == hub_index[arc_h])
    arc_v, arc_h, arc_km = arc_v[keep], arc_h[keep], arc_km[keep]
    arc_km[arc_v == hub_index[arc_h]] = 0.0
    self_arc = np.full(len(hub_index), -1, dtype=np.int64)
    is_self = np.flatnonzero(arc_v == hub_index[arc_h])
    self_arc[arc_h[is_self]] = is_self
    reachable = np.zeros(len(villages), dtype=bool)
    reachable[arc_v] = True
    chord, nearest_h = tree.query(points, k=1)
    return _Instance(
        problem=problem,
        village_ids=village_ids,
        weight=weight,
        hub_index=hub_index,
        arc_v=arc_v,
        arc_h=arc_h,
        arc_km=arc_km,
        arc_cost=weight[arc_v] * steps(arc_km),
        self_arc=self_arc,
        reachable=reachable,
        nearest_h=np.asarray(nearest_h, dtype=np.int64),
        nearest_km=road_km_from_chord(chord),
    )


def _room(inst: _Instance) -> int:
    """The hubs that may be opened (hubs_max, at most the candidates); refuses limits that cannot hold the villages."""
    problem = inst.problem
    hubs_max = min(problem.hubs_max, len(problem.candidates))
    within = int(inst.reachable.sum())
    if within > hubs_max * problem.max_size:
        raise PlanError(
            "no_room",
            villages=within,
            hubs_max=hubs_max,
            max_size=problem.max_size,
            hubs_needed=math.ceil(within / problem.max_size),
            size_needed=math.ceil(within / hubs_max),
        )
    return hubs_max


# ---------------------------------------------------------------------------------------------------------------
# The greedy plan: the first incumbent and the benchmark's baseline


@dataclass(frozen=True)
class _Plan:
    opened: np.ndarray  # candidate indices
    hub_of: np.ndarray  # (n,) candidate index of each village's hub, -1 when none
    arc_of: np.ndarray  # (n,) the arc used, -1 when none


def _choose_greedily(inst: _Instance, hubs: int) -> list[int]:
    """Hubs added one at a time where they lower the total most; a village out of every opened hub's reach costs
    more than any distance, so coverage comes first."""
    miss = int(inst.weight.max() * (steps(inst.problem.max_km) + 1) * 2)
    current = np.where(inst.reachable, miss, 0).astype(np.int64)
    opened: list[int] = []
    is_open = np.zeros(len(inst.hub_index), dtype=bool)
    for _ in range(hubs):
        gain = np.bincount(
            inst.arc_h,
            weights=np.maximum(0, current[inst.arc_v] - inst.arc_cost),
            minlength=len(inst.hub_index),
        )
        gain[is_open] = -1
        best = int(np.argmax(gain))
        if gain[best] <= 0 and len(opened) >= inst.problem.hubs_min:
            break
        opened.append(best)
        is_open[best] = True
        mine = inst.arc_h == best
        np.minimum.at(current, inst.arc_v[mine], inst.arc_cost[mine])
    return opened


def _assign_nearest(inst: _Instance, opened: Sequence[int]) -> _Plan:
    """Each hub's own village to itself, then every other village to its nearest opened hub that has room, the
    villages with the fewest options (then the largest) first."""
    n = len(inst.village_ids)
    hub_of = np.full(n, -1, dtype=np.int64)
    arc_of = np.full(n, -1, dtype=np.int64)
    load = np.zeros(len(inst.hub_index), dtype=np.int64)
    is_open = np.zeros(len(inst.hub_index), dtype=bool)
    is_open[list(opened)] = True
    for h in opened:
        hub_of[inst.hub_index[h]] = h
        arc_of[inst.hub_index[h]] = inst.self_arc[h]
        load[h] = 1
    usable = np.flatnonzero(is_open[inst.arc_h] & (hub_of[inst.arc_v] < 0))
    usable = usable[np.lexsort((inst.arc_km[usable], inst.arc_v[usable]))]
    options = np.bincount(inst.arc_v[usable], minlength=n)
    order = sorted(
        set(inst.arc_v[usable].tolist()), key=lambda i: (options[i], -inst.weight[i], inst.village_ids[i])
    )
    start = np.searchsorted(inst.arc_v[usable], np.arange(n + 1))
    cap = inst.problem.max_size
    for i in order:
        for a in usable[start[i] : start[i + 1]]:
            h = inst.arc_h[a]
            if load[h] < cap:
                hub_of[i], arc_of[i] = h, a
                load[h] += 1
                break
    return _Plan(np.array(sorted(opened), dtype=np.int64), hub_of, arc_of)


def _objective(inst: _Instance, plan: _Plan) -> int:
    used = plan.arc_of[plan.arc_of >= 0]
    return int(inst.arc_cost[used].sum())


# ---------------------------------------------------------------------------------------------------------------
# The MIP

_banner_lock = threading.Lock()
_banner_shown = False


def _highs() -> highspy.Highs:
    """A silent HiGHS. Its first instance in a process prints a copyright banner on file descriptor 1, which would
    spoil a command's JSON output; that one construction runs with descriptor 1 pointed at /dev/null."""
    global _banner_shown
    with _banner_lock:
        if not _banner_shown:
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    solver = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_shown = True
        else:
            solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    return solver


def _lost(inst: _Instance, plan: _Plan) -> np.ndarray:
    """Villages within reach of a candidate hub that the plan leaves without room."""
    return inst.reachable & (plan.hub_of < 0)


def _penalty(inst: _Instance) -> float:
    """What a village left without room costs the solver: more than any difference in distance between two plans,
    so the fewest villages are left without room first, and distance decides among those plans only."""
    return float(int(inst.weight[inst.reachable].sum()) * (int(steps(inst.problem.max_km)) + 1) + 1)


def _model(inst: _Instance, hubs_max: int, with_slack: bool) -> tuple[highspy.HighsLp, np.ndarray]:
    """The MIP as one HighsLp: the arcs' columns, then (``with_slack``) one per village within reach."""
    problem = inst.problem
    n_arcs = len(inst.arc_v)
    within = np.flatnonzero(inst.reachable)
    slack_of = np.full(len(inst.village_ids), -1, dtype=np.int64)
    n_slack = len(within) if with_slack else 0
    if with_slack:
        slack_of[within] = n_arcs + np.arange(n_slack)
    n_cols = n_arcs + n_slack
    cost = np.concatenate([inst.arc_cost.astype(float), np.full(n_slack, _penalty(inst))])

    rows, cols, vals, lower, upper = [], [], [], [], []
    # Each village within reach joins exactly one hub (or, with slack, is left without room).
    rank = np.full(len(inst.village_ids), -1, dtype=np.int64)
    rank[within] = np.arange(len(within))
    rows += [rank[inst.arc_v], np.arange(n_slack)]
    cols += [np.arange(n_arcs), n_arcs + np.arange(n_slack)]
    vals += [np.ones(n_arcs), np.ones(n_slack)]
    lower.append(np.ones(len(within)))
    upper.append(np.ones(len(within)))
    r = len(within)
    # A village joins an opened hub only: x[i, j] - x[j, j] <= 0 for every arc but the hubs' own.
    others = np.flatnonzero(inst.self_arc[inst.arc_h] != np.arange(n_arcs))
    k = len(others)
    rows += [r + np.arange(k), r + np.arange(k)]
    cols += [others, inst.self_arc[inst.arc_h[others]]]
    vals += [np.ones(k), -np.ones(k)]
    lower.append(np.full(k, -np.inf))
    upper.append(np.zeros(k))
    r += k
    # At most max_size villages per alliance: Σ x[i, j] (i ≠ j) - (max_size - 1) x[j, j] <= 0.
    m = len(inst.hub_index)
    rows += [r + inst.arc_h[others], r + np.arange(m)]
    cols += [others, inst.self_arc]
    vals += [np.ones(k), np.full(m, -(problem.max_size - 1), dtype=float)]
    lower.append(np.full(m, -np.inf))
    upper.append(np.zeros(m))
    r += m
    # Between hubs_min and hubs_max hubs.
    rows.append(np.full(m, r))
    cols.append(inst.self_arc)
    vals.append(np.ones(m))
    lower.append(np.array([float(min(problem.hubs_min, hubs_max))]))
    upper.append(np.array([float(hubs_max)]))
    r += 1

    matrix = sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, n_cols)
    )
    matrix.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, r
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.ones(n_cols)
    lp.row_lower_ = np.concatenate(lower)
    lp.row_upper_ = np.concatenate(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, r
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols
    return lp, slack_of


@dataclass(frozen=True)
class _Solved:
    plan: _Plan
    bound: float  # a lower bound on the model objective (distance + penalty per village without room)
    nodes: int
    rows: int
    status: str


def _interrupt_at(deadline: float):
    def check(event) -> None:
        if time.perf_counter() >= deadline:
            event.interrupt()

    return check


def _mip(inst: _Instance, hubs_max: int, start: _Plan, deadline: float, use_start: bool = True) -> _Solved:
    """HiGHS on the model, from ``start``, until it proves the optimum or the deadline comes."""
    with_slack = bool(_lost(inst, start).any())
    lp, slack_of = _model(inst, hubs_max, with_slack)
    solver = _highs()
    solver.passModel(lp)
    solver.setOptionValue("time_limit", max(0.01, deadline - time.perf_counter()))
    solver.setOptionValue("mip_rel_gap", 0.0)
    solver.setOptionValue("random_seed", 1)
    solver.setOptionValue("threads", 1)
    # HiGHS checks its time limit between phases only; the interrupt callbacks keep the deadline inside them too.
    stop = _interrupt_at(deadline)
    solver.cbSimplexInterrupt.subscribe(stop)
    solver.cbMipInterrupt.subscribe(stop)
    initial = highspy.HighsSolution()
    values = np.zeros(lp.num_col_)
    values[start.arc_of[start.arc_of >= 0]] = 1.0
    if with_slack:
        values[slack_of[_lost(inst, start)]] = 1.0
    initial.col_value = values.tolist()
    if use_start:
        solver.setSolution(initial)
    solver.run()
    status = solver.getModelStatus()
    info = solver.getInfo()
    found = np.asarray(solver.getSolution().col_value)
    plan = start
    if info.primal_solution_status == highspy.kSolutionStatusFeasible and len(found) == lp.num_col_:
        chosen = np.flatnonzero(found[: len(inst.arc_v)] > 0.5)
        hub_of = np.full(len(inst.village_ids), -1, dtype=np.int64)
        arc_of = np.full(len(inst.village_ids), -1, dtype=np.int64)
        hub_of[inst.arc_v[chosen]] = inst.arc_h[chosen]
        arc_of[inst.arc_v[chosen]] = chosen
        plan = _Plan(np.flatnonzero(found[inst.self_arc] > 0.5), hub_of, arc_of)
        # HiGHS 1.16 may report the optimum of a model its presolve finishes and yet hand back the start it was
        # given as the solution (tests/test_alliances.py has such a model): then solve again, without the start.
        reported = float(info.objective_function_value)
        if (
            use_start
            and abs(_model_objective(inst, plan) - reported) > 0.5
            and time.perf_counter() < deadline
        ):
            return _mip(inst, hubs_max, start, deadline, use_start=False)
    bound = float(info.mip_dual_bound)
    return _Solved(
        plan=plan,
        bound=bound if math.isfinite(bound) else 0.0,
        nodes=int(info.mip_node_count),
        rows=lp.num_row_,
        status=solver.modelStatusToString(status),
    )


def _model_objective(inst: _Instance, plan: _Plan) -> float:
    return _objective(inst, plan) + _penalty(inst) * int(_lost(inst, plan).sum())


# ---------------------------------------------------------------------------------------------------------------
# The Lagrangian bound and the kernel: how a large area reaches a small proven gap in its time limit
#
# On a city (1,500 villages, 600 candidate hubs, 70,000 arcs) the MIP's root LP alone takes HiGHS about half a
# minute, and the greedy plan lies 10-15 % above the optimum. Two steps come first:
# - Relaxing "each village joins one hub" with a multiplier per village splits the model into one easy problem
#   per hub (take the hub's most profitable villages, up to the size limit) and a choice of the best hubs. Its
#   optimum is a lower bound on the plan's, and subgradient steps on the multipliers bring it to the LP bound in a
#   few seconds of numpy: a proven bound that needs no LP at all.
# - The hubs that this relaxation keeps choosing form a kernel; the MIP restricted to them (and the greedy hubs)
#   is small, and HiGHS solves it quickly to a plan close to the optimum.
# The full MIP then starts from that plan with the time that is left. The bound reported is the better of the
# relaxation's and HiGHS's; both are lower bounds of the full model, so the gap is proven either way.

KERNEL_ARCS = 20_000  # models with more arcs go through the kernel first
LAGRANGE_SHARE = 0.15  # of the time limit, at most, for the relaxation
LAGRANGE_ITERATIONS = 2000
KERNEL_SHARE = 0.45
KERNEL_FACTOR = 2  # the kernel holds this many hubs per hub to open


@dataclass(frozen=True)
class _Relaxation:
    bound: float
    chosen_counts: np.ndarray  # per candidate: how often the relaxation opened it


def _lagrangian(
    inst: _Instance, hubs_max: int, upper: float, deadline: float, with_slack: bool
) -> _Relaxation:
    problem = inst.problem
    m, n = len(inst.hub_index), len(inst.village_ids)
    within = inst.reachable
    is_self = inst.self_arc[inst.arc_h] == np.arange(len(inst.arc_v))
    hubs_min = min(problem.hubs_min, hubs_max)
    keep = problem.max_size - 1
    penalty = _penalty(inst)
    lam = np.zeros(n)
    nearest = np.full(n, np.inf)
    np.minimum.at(nearest, inst.arc_v[~is_self], inst.arc_cost[~is_self].astype(float))
    lam = np.where(within & np.isfinite(nearest), nearest, 0.0)
    best, step, stall = -np.inf, 2.0, 0
    counts = np.zeros(m, dtype=np.int64)
    for _iteration in range(LAGRANGE_ITERATIONS):
        r = inst.arc_cost - lam[inst.arc_v]
        profitable = np.flatnonzero(~is_self & (r < 0))
        order = profitable[np.lexsort((r[profitable], inst.arc_h[profitable]))]
        hubs_sorted = inst.arc_h[order]
        rank = np.arange(len(order)) - np.searchsorted(hubs_sorted, hubs_sorted)
        taken = order[rank < keep]
        value = np.bincount(inst.arc_h[taken], weights=r[taken], minlength=m) + r[inst.self_arc]
        by_value = np.argsort(value, kind="stable")
        k = hubs_min + int(np.sum(value[by_value[hubs_min:hubs_max]] < 0))
        chosen = by_value[:k]
        lost = within & (lam > penalty) if with_slack else np.zeros(n, dtype=bool)
        bound = float(lam[within].sum() + value[chosen].sum() + (penalty - lam[lost]).sum())
        counts[chosen] += 1
        if bound > best + 1e-9:
            best, stall = bound, 0
        else:
            stall += 1
            if stall >= 30:
                step, stall = step / 2, 0
        if upper - best < 1 or step < 1e-3 or time.perf_counter() >= deadline:
            break
        opened = np.zeros(m, dtype=bool)
        opened[chosen] = True
        cover = np.bincount(inst.arc_v[taken[opened[inst.arc_h[taken]]]], minlength=n)
        cover[inst.hub_index[chosen]] += 1
        g = np.where(within, 1 - cover - lost, 0)
        norm = float((g * g).sum())
        if norm == 0:
            break
        lam = lam + step * (upper - bound) / norm * g
    return _Relaxation(bound=best, chosen_counts=counts)


def _restrict(inst: _Instance, hubs: np.ndarray) -> tuple[_Instance, np.ndarray]:
    """The instance with only these candidate hubs, and the full index of each of its arcs."""
    position = np.full(len(inst.hub_index), -1, dtype=np.int64)
    position[hubs] = np.arange(len(hubs))
    arcs = np.flatnonzero(position[inst.arc_h] >= 0)
    reachable = np.zeros(len(inst.village_ids), dtype=bool)
    reachable[inst.arc_v[arcs]] = True
    sub = replace(
        inst,
        hub_index=inst.hub_index[hubs],
        arc_v=inst.arc_v[arcs],
        arc_h=position[inst.arc_h[arcs]],
        arc_km=inst.arc_km[arcs],
        arc_cost=inst.arc_cost[arcs],
        self_arc=np.searchsorted(arcs, inst.self_arc[hubs]),
        reachable=reachable,
    )
    return sub, arcs


def _kernel_plan(inst: _Instance, hubs_max: int, start: _Plan, counts: np.ndarray, deadline: float) -> _Plan:
    """The MIP over the relaxation's favourite hubs and the start's: a good plan for the full MIP to start from."""
    size = min(len(counts), KERNEL_FACTOR * hubs_max)
    favourites = np.argsort(-counts, kind="stable")[:size]
    favourites = favourites[counts[favourites] > 0]
    hubs = np.union1d(favourites, start.opened)
    if len(hubs) >= len(inst.hub_index):
        return start
    sub, arcs = _restrict(inst, hubs)
    position = np.full(len(inst.hub_index), -1, dtype=np.int64)
    position[hubs] = np.arange(len(hubs))
    arc_position = np.full(len(inst.arc_v), -1, dtype=np.int64)
    arc_position[arcs] = np.arange(len(arcs))
    sub_start = _Plan(
        position[start.opened],
        np.where(start.hub_of >= 0, position[np.maximum(start.hub_of, 0)], -1),
        np.where(start.arc_of >= 0, arc_position[np.maximum(start.arc_of, 0)], -1),
    )
    solved = _mip(sub, min(hubs_max, len(hubs)), sub_start, deadline)
    plan = _Plan(
        hubs[solved.plan.opened],
        np.where(solved.plan.hub_of >= 0, hubs[np.maximum(solved.plan.hub_of, 0)], -1),
        np.where(solved.plan.arc_of >= 0, arcs[np.maximum(solved.plan.arc_of, 0)], -1),
    )
    return plan if _model_objective(inst, plan) < _model_objective(inst, start) else start


def solve(problem: PlanInput) -> PlanResult:
    """The optimal plan (or the best one found within the time limit, with its proven gap)."""
    started = time.perf_counter()
    # HiGHS stops at its next check after the deadline, and the result is assembled after: a margin keeps the whole
    # call within the time limit.
    deadline = started + problem.time_limit - min(3.0, 0.05 * problem.time_limit)
    inst = _instance(problem)
    hubs_max = _room(inst)
    start = _assign_nearest(inst, _choose_greedily(inst, hubs_max))
    best = start
    relaxed = -np.inf
    if len(inst.arc_v) > KERNEL_ARCS:
        with_slack = bool(_lost(inst, start).any())
        relaxation = _lagrangian(
            inst,
            hubs_max,
            _model_objective(inst, start),
            min(deadline, started + LAGRANGE_SHARE * problem.time_limit),
            with_slack,
        )
        relaxed = relaxation.bound
        now = time.perf_counter()
        best = _kernel_plan(
            inst, hubs_max, start, relaxation.chosen_counts, now + KERNEL_SHARE * max(0.0, deadline - now)
        )
    solved = _mip(inst, hubs_max, best, deadline)
    if _model_objective(inst, solved.plan) <= _model_objective(inst, best):
        best = solved.plan
    total = _model_objective(inst, best)
    # The objective is an integer: a bound within one unit of it proves the optimum. The plan's own objective is
    # compared with the bound, never HiGHS's word alone.
    bound = min(total, math.ceil(max(solved.bound, relaxed) - 1e-6))
    proven = bound >= total
    gap = (total - bound) / total if total > 0 else 0.0
    result = _result(inst, best, status=OPTIMAL if proven else TIME_LIMIT)
    return replace(
        result,
        bound=float(bound),
        gap=gap,
        seconds=time.perf_counter() - started,
        nodes=solved.nodes,
        rows=solved.rows,
        greedy_objective=_objective(inst, start),
        greedy_unassigned=int(_lost(inst, start).sum()),
        solver_status=solved.status,
        room_penalty=_penalty(inst),
    )


def greedy(problem: PlanInput) -> PlanResult:
    """The greedy plan alone (the benchmark's baseline): hubs chosen one by one, then nearest hub with room."""
    started = time.perf_counter()
    inst = _instance(problem)
    hubs_max = _room(inst)
    plan = _assign_nearest(inst, _choose_greedily(inst, hubs_max))
    result = _result(inst, plan, status="heuristic")
    return replace(
        result,
        seconds=time.perf_counter() - started,
        greedy_unassigned=result.without_room,
    )


def evaluate(problem: PlanInput, hub_village_ids: Sequence[int]) -> PlanResult:
    """The plan that opens these hubs and sends every village to its nearest one with room (for comparisons)."""
    inst = _instance(problem)
    index = {int(inst.village_ids[v]): h for h, v in enumerate(inst.hub_index)}
    plan = _assign_nearest(inst, [index[v] for v in hub_village_ids])
    return _result(inst, plan, status="heuristic")


def _result(inst: _Instance, plan: _Plan, *, status: str) -> PlanResult:
    problem = inst.problem
    ids = inst.village_ids
    assignments = tuple(
        Assignment(
            int(ids[i]),
            int(ids[inst.hub_index[plan.hub_of[i]]]),
            round(float(inst.arc_km[plan.arc_of[i]]), 3),
        )
        for i in np.flatnonzero(plan.hub_of >= 0)
    )
    unassigned = tuple(
        Unassigned(
            int(ids[i]),
            NO_ROOM if inst.reachable[i] else OUT_OF_REACH,
            int(ids[inst.hub_index[inst.nearest_h[i]]]),
            round(float(inst.nearest_km[i]), 3),
        )
        for i in np.flatnonzero(plan.hub_of < 0)
    )
    hubs = tuple(sorted((problem.candidates[h] for h in plan.opened), key=lambda c: c.village_id))
    objective = _objective(inst, plan)
    return PlanResult(
        status=status,
        hubs=hubs,
        assignments=assignments,
        unassigned=unassigned,
        objective=objective,
        bound=float(objective),
        gap=0.0,
        seconds=0.0,
        nodes=0,
        arcs=len(inst.arc_v),
        rows=0,
        greedy_objective=objective,
        greedy_unassigned=0,
    )


def objective_of(problem: PlanInput, assignments: Sequence[tuple[int, int]]) -> int:
    """The objective of any assignment (village id, hub village id), in KM_STEP units, at the villages' weights."""
    where = {v.id: v for v in problem.villages}
    total = 0
    for village_id, hub_id in assignments:
        v, h = where[village_id], where[hub_id]
        km = 0.0 if village_id == hub_id else road_km(v.lng, v.lat, h.lng, h.lat)
        total += max(1, v.weight) * int(steps(km))
    return total
