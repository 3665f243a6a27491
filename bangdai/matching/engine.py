"""The matching engine: a whole programme matched at once, exactly, as an integral min-cost flow.

Pure Python with numpy, scipy and OR-Tools; nothing here imports Django. ``solve`` turns a
:class:`~bangdai.matching.problem.Problem` into a :class:`~bangdai.matching.problem.Result` or raises
:class:`~bangdai.matching.problem.MatchError`. docs/matching.md states the objective, the network, the
proof of optimality and every explanation; the criteria and rules live in ``scoring``.

The flow network: each apprentice node supplies one unit; it reaches the sink through one arc per candidate
mentor (cost: the pair's static deficit) and then one of the mentor's slot arcs (cost: the balance deficit of
that slot, rising with the slot), or directly through its unpaired arc (cost U, large enough that pairing one
more apprentice always pays). The network is solved on a candidate graph (each mentor's best few apprentices
and their K best mentors) and grown by pricing until no excluded pair has a negative reduced cost, which
proves the flow optimal on the full feasible graph; a last solve picks the same optimum whatever K was.
"""

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow
from scipy.spatial import cKDTree

from . import scoring
from .problem import MatchError, Pair, Problem, Result, Summary, Unpaired
from .scoring import SCALE, Encoded, check_pair, road_km, score_pair

__all__ = ["solve", "road_km", "score_pair", "check_pair", "feasible_pairs", "exclusions", "unpaired_cost"]

INF = 2**62  # "unreachable" in the integer distance labels; far above any real path cost
FINE = 10**6  # tie-break cost units per score point (the second, finer objective)
CHUNK = 4096  # apprentices per slice when enumerating or pricing pairs: bounds the temporary arrays
BLOCKS = ("distance", "tier", "conflict", "forbidden", "self", "full")  # Unpaired.blocked_by keys
SELF, CONFLICT, FORBIDDEN = 1, 2, 4  # bits of a sparse exclusion
PAIR_COST_BITS = (100 * SCALE + 1).bit_length()  # a static pair cost fits in this many bits
NOMINATIONS_PER_PLACE = 3  # each mentor's best 3 × (places left) apprentices start in the candidate graph
PRICED_PER_MENTOR = 50  # improving pairs per mentor added in one pricing round, at most


# ---------------------------------------------------------------------------------------------------------
# The feasible graph


@dataclass(frozen=True, eq=False)
class Exclusions:
    """Pairs a sparse rule excludes (self, conflict, forbidden): sorted keys a·n_m + m, with rule bits."""

    keys: np.ndarray
    bits: np.ndarray
    rows: np.ndarray  # bool per apprentice: has at least one excluded pair
    n_m: int

    def lookup(self, a: np.ndarray, m: np.ndarray) -> np.ndarray:
        """The rule bits of each pair (0: no sparse rule excludes it); only rows with exclusions search."""
        bits = np.zeros(len(a), dtype=np.int64)
        some = np.flatnonzero(self.rows[a])
        if some.size:
            keys = a[some] * self.n_m + m[some]
            at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            bits[some] = np.where(self.keys[at] == keys, self.bits[at], 0)
        return bits


def exclusions(problem: Problem, enc: Encoded) -> Exclusions:
    """Self-pairs, declared conflicts and forbidden pairs as index pairs (few: kept as a sorted key list)."""
    bits: Counter[int] = Counter()

    def mark(a_rows: np.ndarray, m_rows: np.ndarray, bit: int) -> None:
        for key in (a_rows[:, None] * enc.n_m + m_rows[None, :]).ravel().tolist():
            bits[key] |= bit

    a_people, m_people = _Lookup(enc.a_person), _Lookup(enc.m_person)
    for person in np.intersect1d(enc.a_person, enc.m_person).tolist():
        mark(a_people.rows(person), m_people.rows(person), SELF)
    for a_person, m_person in problem.conflicts:
        mark(a_people.rows(a_person), m_people.rows(m_person), CONFLICT)
    a_ids, m_ids = _Lookup(enc.a_id), _Lookup(enc.m_id)
    for a_id, m_id in problem.forbidden:
        mark(a_ids.rows(a_id), m_ids.rows(m_id), FORBIDDEN)
    keys = np.array(sorted(bits), dtype=np.int64)
    rows = np.zeros(enc.n_a, dtype=bool)
    rows[keys // max(1, enc.n_m)] = True
    return Exclusions(keys, np.array([bits[k] for k in keys.tolist()], dtype=np.int64), rows, enc.n_m)


class _Lookup:
    """The rows holding each value of an array (a person id, a record id), by binary search."""

    def __init__(self, values: np.ndarray):
        self.order = np.argsort(values, kind="stable")
        self.sorted = values[self.order]

    def rows(self, value: int) -> np.ndarray:
        lo = np.searchsorted(self.sorted, value, side="left")
        hi = np.searchsorted(self.sorted, value, side="right")
        return self.order[lo:hi]


@dataclass(frozen=True, eq=False)
class Feasible:
    """Every pair that passes the hard rules with a mentor that has a free place, as rows by apprentice.

    Row i is ``mentor[indptr[i]:indptr[i+1]]`` with the static costs beside it, sorted by (cost, mentor), so a
    row's first K entries are the apprentice's K best mentors. ``blocked`` counts, per apprentice and rule in
    BLOCKS order, the mentors that this rule alone excludes.
    """

    indptr: np.ndarray
    mentor: np.ndarray  # int32
    cost: np.ndarray  # int32 static pair costs
    blocked: np.ndarray  # (apprentices, len(BLOCKS))
    # Per apprentice, the feasible mentor it would score best with as that mentor's last new apprentice (-1 if
    # none): where one more place helps an apprentice that every feasible mentor has filled up against.
    best_when_full: np.ndarray

    def slices(self) -> Iterator[tuple[int, int, int, int, np.ndarray]]:
        """Rows in slices of CHUNK: (first row, end row, first position, end position, row by position)."""
        n = len(self.indptr) - 1
        for r0 in range(0, n, CHUNK):
            r1 = min(n, r0 + CHUNK)
            p0, p1 = int(self.indptr[r0]), int(self.indptr[r1])
            yield r0, r1, p0, p1, np.repeat(np.arange(r0, r1), np.diff(self.indptr[r0 : r1 + 1]))


def feasible_pairs(enc: Encoded, excluded: Exclusions) -> Feasible:
    """Enumerate the feasible pairs slice by slice: a k-d tree finds the mentors within reach, numpy the rest.

    The tree holds Earth-centred coordinates, where the chord radius of the distance limit is exact, so the
    query returns a superset of the pairs within the limit and the road distance decides. Only the slice's
    pairs are ever held unfiltered; the feasible ones are kept as two int32 arrays.
    """
    tree = cKDTree(enc.m_xyz.T)
    radius = scoring.chord_radius(enc.max_distance_km)
    mentor_bits = max(1, (enc.n_m - 1).bit_length())
    free = enc.m_free > 0
    last_slot = scoring.slot_costs(enc, np.arange(enc.n_m), np.maximum(enc.m_free, 1))
    best_when_full = np.full(enc.n_a, -1, dtype=np.int64)
    mentors, costs, counts = [], [], []
    tier_only = np.zeros(enc.n_a, dtype=np.int64)
    full_only = np.zeros(enc.n_a, dtype=np.int64)
    for start in range(0, enc.n_a, CHUNK):
        stop = min(enc.n_a, start + CHUNK)
        found = cKDTree(enc.a_xyz[:, start:stop].T).sparse_distance_matrix(
            tree, radius, output_type="ndarray"
        )
        # The tree returns the chord it compared: the very value scoring.road_from_xyz computes for the pair.
        a, m, km = found["i"] + start, found["j"], scoring.road_from_chord(found["v"])
        keep = (km <= enc.max_distance_km) & (excluded.lookup(a, m) == 0)
        a, m, km = a[keep], m[keep], km[keep]
        tier, has_place = scoring.tier_allowed(enc, a, m), free[m]
        tier_only[start:stop] += np.bincount(a[~tier & has_place] - start, minlength=stop - start)
        full_only[start:stop] += np.bincount(a[tier & ~has_place] - start, minlength=stop - start)
        ok = tier & has_place
        a, m, km = a[ok], m[ok], km[ok]
        # One sort of a packed key (row, cost, mentor) orders each row; the fields are read back from it.
        key = np.sort(
            ((a - start) << (PAIR_COST_BITS + mentor_bits))
            | (scoring.static_costs(enc, a, m, km) << mentor_bits)
            | m
        )
        m = key & ((1 << mentor_bits) - 1)
        cost = (key >> mentor_bits) & ((1 << PAIR_COST_BITS) - 1)
        count = np.bincount(a - start, minlength=stop - start)
        if key.size:
            rows = np.flatnonzero(count)
            firsts = (np.cumsum(count) - count)[rows]
            best = np.minimum.reduceat(((cost + last_slot[m]) << mentor_bits) | m, firsts)
            best_when_full[start + rows] = best & ((1 << mentor_bits) - 1)
        mentors.append(m.astype(np.int32))
        costs.append(cost.astype(np.int32))
        counts.append(count)
    count = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    blocked = np.zeros((enc.n_a, len(BLOCKS)), dtype=np.int64)
    blocked[:, BLOCKS.index("tier")] = tier_only
    blocked[:, BLOCKS.index("full")] = full_only
    _blocked_by_distance_and_sparse(enc, excluded, count, blocked)
    return Feasible(
        indptr=np.concatenate([[0], np.cumsum(count)]).astype(np.int64),
        mentor=np.concatenate(mentors) if mentors else np.zeros(0, dtype=np.int32),
        cost=np.concatenate(costs) if costs else np.zeros(0, dtype=np.int32),
        blocked=blocked,
        best_when_full=best_when_full,
    )


def _blocked_by_distance_and_sparse(
    enc: Encoded, excluded: Exclusions, feasible: np.ndarray, out: np.ndarray
) -> None:
    """Fill in the mentors excluded by distance alone and by one sparse rule alone.

    Distance alone: every mentor with a free place and an allowed tier, less those within reach that pass
    (the feasible ones) and less those a sparse rule also excludes, near or far.
    """
    free = enc.m_free > 0
    allowed_free = enc.sig_tiers[:, enc.m_tier[free]].sum(axis=1)
    out[:, BLOCKS.index("distance")] = allowed_free[enc.a_sig] - feasible
    if not excluded.keys.size:
        return
    a, m = excluded.keys // enc.n_m, excluded.keys % enc.n_m
    near = scoring.distances(enc, a, m) <= enc.max_distance_km
    tier, has_place = scoring.tier_allowed(enc, a, m), free[m]
    np.subtract.at(out[:, BLOCKS.index("distance")], a[tier & has_place], 1)
    failed = [~near, ~tier, (excluded.bits & CONFLICT) > 0, (excluded.bits & FORBIDDEN) > 0]
    failed += [(excluded.bits & SELF) > 0, ~has_place]
    alone = np.sum(failed, axis=0) == 1
    for column, fails in enumerate(failed):
        np.add.at(out[:, column], a[alone & fails], 1)


# ---------------------------------------------------------------------------------------------------------
# The flow


def unpaired_cost(places: int, apprentices: int) -> int:
    """U, the cost of leaving an apprentice unpaired: more than any set of pairs can cost.

    A matching with one pair fewer costs at least U more in unpaired arcs and saves at most the pair and slot
    costs of the larger matching (at most min(places, apprentices) pairs of at most 100·SCALE + 1 each), so
    with this U the optimum always pairs as many apprentices as the rules and places allow. A U merely above
    one pair's cost would not: it would leave an apprentice unpaired to spare another a worse mentor.
    """
    return min(places, apprentices) * (100 * SCALE + 1) + 1


@dataclass(frozen=True, eq=False)
class _Network:
    """The flow network: apprentice nodes 0..n_a-1, mentor nodes n_a..n_a+n_m-1, then the sink."""

    enc: Encoded
    feasible: Feasible
    flow_rows: np.ndarray  # apprentices the flow places (everyone not pinned)
    left: np.ndarray  # places left per mentor after the pins
    slot_m: np.ndarray  # one slot arc per place left: its mentor, slot number and cost
    slot_k: np.ndarray
    slot_c: np.ndarray
    u: int
    open: np.ndarray  # per feasible pair: its apprentice is a flow row and its mentor has a place left

    @property
    def sink(self) -> int:
        return self.enc.n_a + self.enc.n_m

    def supplies(self, rows: np.ndarray) -> np.ndarray:
        """One unit from each of these apprentices, all of it to the sink."""
        supply = np.zeros(self.sink + 1, dtype=np.int64)
        supply[: self.enc.n_a] = rows
        supply[self.sink] = -int(rows.sum())
        return supply

    def arcs_of(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apprentice row, mentor row and static cost of the feasible pairs at ``pos``."""
        f = self.feasible
        rows = np.searchsorted(f.indptr, pos, side="right") - 1
        return rows, f.mentor[pos].astype(np.int64), f.cost[pos].astype(np.int64)


def _network(enc: Encoded, feasible: Feasible, pin_a: np.ndarray, pin_m: np.ndarray) -> _Network:
    """Slot arcs after the pins (pins take each mentor's first slots); the other apprentices are flow rows."""
    pinned = np.bincount(pin_m, minlength=enc.n_m)
    left = enc.m_free - pinned
    slot_m = np.repeat(np.arange(enc.n_m), left)
    first_of_mentor = np.repeat(np.cumsum(left) - left, left)
    slot_k = np.arange(len(slot_m)) - first_of_mentor + 1 + pinned[slot_m]
    flow_rows = np.ones(enc.n_a, dtype=bool)
    flow_rows[pin_a] = False
    open_ = np.zeros(len(feasible.mentor), dtype=bool)
    for _r0, _r1, p0, p1, rows in feasible.slices():
        open_[p0:p1] = (left[feasible.mentor[p0:p1]] > 0) & flow_rows[rows]
    return _Network(
        enc=enc,
        feasible=feasible,
        flow_rows=flow_rows,
        left=left,
        slot_m=slot_m,
        slot_k=slot_k,
        slot_c=scoring.slot_costs(enc, slot_m, slot_k),
        u=unpaired_cost(int(left.sum()), int(flow_rows.sum())),
        open=open_,
    )


def _nominations(net: _Network) -> np.ndarray:
    """Positions of each mentor's best NOMINATIONS_PER_PLACE × (places left) flow apprentices (ties: lower
    row).

    One pass over the feasible pairs with a running shortlist per mentor: a pair enters only if it beats the
    mentor's current last nominee, so after the first slices little is sorted.
    """
    f, enc = net.feasible, net.enc
    quota = NOMINATIONS_PER_PLACE * net.left
    row_bits, cost_bits = max(1, enc.n_a.bit_length()), PAIR_COST_BITS
    threshold = np.full(enc.n_m, INF, dtype=np.int64)  # cost of the last nominee once a shortlist is full
    keys, kept = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    for _r0, _r1, p0, p1, rows in f.slices():
        m, c = f.mentor[p0:p1].astype(np.int64), f.cost[p0:p1].astype(np.int64)
        enter = np.flatnonzero(net.open[p0:p1] & (c < threshold[m]))
        keys = np.concatenate(
            [keys, (m[enter] << (cost_bits + row_bits)) | (c[enter] << row_bits) | rows[enter]]
        )
        kept = np.concatenate([kept, p0 + enter])
        order = np.argsort(keys, kind="stable")
        keys, kept = keys[order], kept[order]
        mentor = keys >> (cost_bits + row_bits)
        rank = np.arange(len(keys)) - np.searchsorted(mentor, mentor)
        within = rank < quota[mentor]
        keys, kept = keys[within], kept[within]
        last = within & (rank == quota[mentor] - 1)
        threshold[mentor[last]] = (keys[last[within]] >> row_bits) & ((1 << cost_bits) - 1)
    return np.sort(kept)


def _best_of_rows(net: _Network, rows_wanted: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """Positions of the K best open pairs of the wanted rows, and the size of the full feasible graph."""
    f = net.feasible
    chosen, total = [], 0
    for _r0, _r1, p0, p1, rows in f.slices():
        ok = net.open[p0:p1]
        rank = np.cumsum(ok)
        # open entries in the slice before each position's row
        before = np.concatenate([[0], rank])[f.indptr[rows] - p0]
        chosen.append(p0 + np.flatnonzero(ok & rows_wanted[rows] & (rank - before <= k)))
        total += int(ok.sum())
    return np.concatenate(chosen), total


def _distances(
    net: _Network, pos: np.ndarray, used: np.ndarray, slot_used: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Shortest distances to the sink in the residual network of an optimal flow, for every node.

    OR-Tools does not expose its node potentials, so they are recomputed: at an optimum the residual network
    has no negative cycle, and label correction (Bellman–Ford, each pass vectorised) settles. Residual arcs
    into the sink are a mentor's unused slots and a paired apprentice's unpaired arc; a used pair arc can be
    undone (mentor → apprentice at minus its cost). Pair arcs are sorted by apprentice, so one
    ``minimum.reduceat`` relaxes every apprentice at once. Apprentices outside the graph keep INF here.
    """
    enc = net.enc
    arc_a, arc_m, arc_c = net.arcs_of(pos)
    d_slot = np.full(enc.n_m, INF, dtype=np.int64)
    np.minimum.at(d_slot, net.slot_m[~slot_used], net.slot_c[~slot_used])
    oa, om, oc = arc_a[~used], arc_m[~used], arc_c[~used]
    heads = (
        np.flatnonzero(np.concatenate([[True], oa[1:] != oa[:-1]]))
        if oa.size
        else np.zeros(0, dtype=np.int64)
    )
    ua, um, uc = arc_a[used], arc_m[used], arc_c[used]
    base_a = np.full(enc.n_a, INF, dtype=np.int64)
    base_a[ua] = net.u
    d_m = d_slot
    for _ in range(enc.n_a + enc.n_m + 2):
        d_a = base_a.copy()
        if heads.size:
            np.minimum.at(d_a, oa[heads], np.minimum.reduceat(oc + d_m[om], heads))
        new_m = d_slot.copy()
        np.minimum.at(new_m, um, d_a[ua] - uc)
        if np.array_equal(new_m, d_m):
            return d_a, d_m
        d_m = new_m
    raise RuntimeError("distance labels did not settle: the flow is not optimal")


@dataclass(frozen=True, eq=False)
class _Prices:
    """One pricing pass over every feasible pair outside the graph."""

    negative: np.ndarray  # positions with a negative reduced cost
    reduced: np.ndarray  # their reduced costs
    zero: np.ndarray  # positions with a zero reduced cost
    d_a: np.ndarray  # every apprentice's potential, those outside the graph included


def _price(
    net: _Network, in_graph: np.ndarray, active: np.ndarray, d_a: np.ndarray, d_m: np.ndarray
) -> _Prices:
    """Reduced costs c + d(m) − d(a) of every feasible pair outside the graph.

    An apprentice outside the graph is unpaired with only its unpaired arc; its distance to the sink is the
    best of c + d(m) over all its pairs, and it is at an optimum only if that is at least U. So its potential
    is max(U, that best): any pair beating U prices negative and brings the apprentice in.
    """
    f = net.feasible
    d_a = d_a.copy()
    negative, reduced, zero = [], [], []
    for r0, r1, p0, p1, rows in f.slices():
        # A mentor without a place left has no path to the sink: d(m) = INF keeps it out of every minimum.
        value = f.cost[p0:p1] + d_m[f.mentor[p0:p1]]
        lengths = np.diff(f.indptr[r0 : r1 + 1])
        outside = np.flatnonzero(~active[r0:r1] & net.flow_rows[r0:r1] & (lengths > 0))
        if outside.size:
            best = np.minimum.reduceat(value, f.indptr[r0:r1][lengths > 0] - p0)
            best_of_row = np.full(r1 - r0, INF, dtype=np.int64)
            best_of_row[lengths > 0] = best
            d_a[r0 + outside] = np.maximum(net.u, best_of_row[outside])
        rc = value - d_a[rows]
        at_most_zero = np.flatnonzero(net.open[p0:p1] & ~in_graph[p0:p1] & (rc <= 0))
        below = at_most_zero[rc[at_most_zero] < 0]
        negative.append(p0 + below)
        reduced.append(rc[below])
        zero.append(p0 + at_most_zero[rc[at_most_zero] == 0])
    return _Prices(np.concatenate(negative), np.concatenate(reduced), np.concatenate(zero), d_a)


def _strongest(net: _Network, prices: _Prices) -> np.ndarray:
    """Of the negative pairs, the PRICED_PER_MENTOR most negative of each mentor (sorted positions).

    A mentor with an empty place prices every unpaired apprentice around it negative; taking them all would
    swell the graph with pairs of which it needs a few. The most negative pair overall is always taken, so
    each round grows the graph and the loop ends.
    """
    m = net.feasible.mentor[prices.negative].astype(np.int64)
    # One sort of (mentor, reduced cost) packed in an int64; reduced costs below -2^40 tie, which is harmless.
    offset = 1 << 40
    order = np.argsort((m << 41) | (np.maximum(prices.reduced, -offset) + offset))
    ranked = m[order]
    rank = np.arange(len(order)) - np.searchsorted(ranked, ranked)
    return np.sort(prices.negative[order[rank < PRICED_PER_MENTOR]])


def _arcs(smcf: SimpleMinCostFlow, tails: np.ndarray, heads: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Load unit-capacity arcs in one vectorised call; their arc indices."""
    return smcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        np.ones(len(tails), dtype=np.int64),
        np.asarray(costs, dtype=np.int64),
    )


@dataclass(frozen=True, eq=False)
class _Optimum:
    assignment: np.ndarray  # mentor row of each apprentice, -1 when unpaired (pins not included)
    cost: int  # the flow's optimal cost, U per unpaired apprentice included
    candidate_arcs: int
    feasible_arcs: int
    added_arcs: int
    pricing_rounds: int


def _optimum(net: _Network, k: int) -> _Optimum:
    """Solve on the candidate graph; price every feasible pair outside it; add the improving ones and solve
    again until none is left, which proves the flow optimal on the full feasible graph. Then pick the
    canonical optimum among the optimal flows (:func:`_canonical`).

    The candidate graph: each mentor's best few apprentices (so every place can be filled from the start) and
    those apprentices' K best mentors. Apprentices no mentor nominated stay outside until pricing brings them
    in. After the first solve, the candidate pairs with a positive reduced cost leave the graph: they carry
    no flow, the potentials say they are not worth it, and pricing brings back any that becomes so. It
    happens once, and pairs added by pricing never leave, so the graph grows from then on and the loop ends.
    """
    enc = net.enc
    nominated = _nominations(net)
    active = np.zeros(enc.n_a, dtype=bool)
    active[net.arcs_of(nominated)[0]] = True
    best, feasible_arcs = _best_of_rows(net, active, k)
    pos = np.union1d(best, nominated)
    candidate_arcs = len(pos)
    in_graph = np.zeros(len(net.feasible.mentor), dtype=bool)
    in_graph[pos] = True
    rounds = added = 0
    while True:
        used, slot_used, cost = _solve(net, pos, active)
        d_a, d_m = _distances(net, pos, used, slot_used)
        prices = _price(net, in_graph, active, d_a, d_m)
        if not prices.negative.size:
            break
        rounds += 1
        if rounds == 1:
            a, m, c = net.arcs_of(pos)
            worth = c + d_m[m] - d_a[a] <= 0
            in_graph[pos[~worth]] = False
            pos = pos[worth]
            active[:] = False
            active[a[worth]] = True
        new = _strongest(net, prices)
        in_graph[new] = True
        active[net.arcs_of(new)[0]] = True
        pos = np.union1d(pos, new)
        added += len(new)
    return _Optimum(
        assignment=_canonical(net, pos, prices, d_m, cost),
        cost=cost,
        candidate_arcs=candidate_arcs,
        feasible_arcs=feasible_arcs,
        added_arcs=added,
        pricing_rounds=rounds,
    )


def _solve(net: _Network, pos: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One solve of the graph: which pair arcs and slot arcs carry flow, and the cost with U per unpaired.

    ``solve_max_flow_with_min_cost`` maximises the number of pairs, then minimises their cost: the optimum
    with unpaired arcs of cost U, without loading them or their cost range (it solves twice as fast).
    """
    enc = net.enc
    smcf = SimpleMinCostFlow()
    slot_arcs = _arcs(smcf, enc.n_a + net.slot_m, np.full(len(net.slot_m), net.sink), net.slot_c)
    a, m, c = net.arcs_of(pos)
    pair_arcs = _arcs(smcf, a, enc.n_a + m, c)
    smcf.set_nodes_supplies(np.arange(net.sink + 1, dtype=np.int32), net.supplies(active))
    if smcf.solve_max_flow_with_min_cost() != smcf.OPTIMAL:
        raise RuntimeError("the min-cost flow did not solve")
    unpaired = int(net.flow_rows.sum()) - smcf.maximum_flow()
    return (
        smcf.flows(pair_arcs.astype(np.int32)) > 0,
        smcf.flows(slot_arcs.astype(np.int32)) > 0,
        smcf.optimal_cost() + net.u * unpaired,
    )


def _canonical(net: _Network, pos: np.ndarray, prices: _Prices, d_m: np.ndarray, optimum: int) -> np.ndarray:
    """Among all optimal flows, the one with the best unrounded scores: the same answer for every K.

    The distances are the largest optimal node potentials, and the set of optimal potentials does not depend
    on which optimal flow was found; so the pairs they make tight (reduced cost 0) or force (negative) are the
    same whatever the candidate graph was. The optimal flows are exactly the flows that use every forced arc,
    any tight arcs and nothing else. A second solve on those arcs, loaded in a fixed order, picks the best by
    the fine cost (FINE units per score point, unrounded), so the result depends on the problem alone.
    """
    enc, d_a = net.enc, prices.d_a
    a, m, c = net.arcs_of(np.union1d(pos, prices.zero))
    reduced = c + d_m[m] - d_a[a]
    unpaired = np.flatnonzero(net.flow_rows)
    forced_out = np.zeros(enc.n_a, dtype=bool)
    forced_out[unpaired] = net.u < d_a[unpaired]
    keep = (reduced <= 0) & ~forced_out[a]  # a pair of an apprentice forced out could never carry flow
    a, m, c, reduced = a[keep], m[keep], c[keep], reduced[keep]
    arcs = [
        _ArcSet(a, enc.n_a + m, c, reduced, FINE * _static_deficit(enc, a, m)),
        _ArcSet(
            enc.n_a + net.slot_m,
            np.full(len(net.slot_m), net.sink),
            net.slot_c,
            net.slot_c - d_m[net.slot_m],
            FINE * scoring.slot_deficit(enc, net.slot_m, net.slot_k),
        ),
        _ArcSet(
            unpaired,
            np.full(len(unpaired), net.sink),
            np.full(len(unpaired), net.u),
            net.u - d_a[unpaired],
            np.zeros(len(unpaired)),
        ),
    ]
    supply = net.supplies(net.flow_rows)
    smcf = SimpleMinCostFlow()
    ids = []
    for kind in arcs:
        forced, tight = kind.reduced < 0, kind.reduced == 0
        np.subtract.at(supply, kind.tails[forced], 1)
        np.add.at(supply, kind.heads[forced], 1)
        ids.append(_arcs(smcf, kind.tails[tight], kind.heads[tight], np.rint(kind.fine[tight])))
    smcf.set_nodes_supplies(np.arange(net.sink + 1, dtype=np.int32), supply)
    if smcf.solve() != smcf.OPTIMAL:
        raise RuntimeError("the optimal flows admit no flow: the potentials are wrong")
    taken = []
    for kind, kind_ids in zip(arcs, ids, strict=True):
        take = kind.reduced < 0
        take[kind.reduced == 0] = smcf.flows(kind_ids.astype(np.int32)) > 0
        taken.append(take)
    total = sum(int(kind.cost[take].sum()) for kind, take in zip(arcs, taken, strict=True))
    if total != optimum:
        raise RuntimeError(f"the canonical flow costs {total}, the optimum is {optimum}")
    assignment = np.full(enc.n_a, -1, dtype=np.int64)
    assignment[a[taken[0]]] = m[taken[0]]
    return assignment


@dataclass(frozen=True, eq=False)
class _ArcSet:
    """Arcs of one kind in the canonical solve, with the primary cost, reduced cost and fine cost of each."""

    tails: np.ndarray
    heads: np.ndarray
    cost: np.ndarray
    reduced: np.ndarray
    fine: np.ndarray


def _static_deficit(enc: Encoded, a: np.ndarray, m: np.ndarray) -> np.ndarray:
    return scoring.static_deficit(enc, scoring.criteria(enc, a, m, scoring.distances(enc, a, m)))


# ---------------------------------------------------------------------------------------------------------
# Solving and explaining


def solve(problem: Problem) -> Result:
    """Match the whole problem at once: the exact optimum of docs/matching.md, with the reasons behind it.

    Raises :class:`MatchError` (and returns nothing partial) when the problem cannot be solved as posed.
    """
    start = time.perf_counter()
    if not problem.apprentices:
        raise MatchError("no_apprentices")
    enc = scoring.encode(problem)
    pin_a, pin_m = _pins(problem, enc)
    if not (enc.m_free > 0).any():
        raise MatchError("no_places")
    excluded = exclusions(problem, enc)
    feasible = feasible_pairs(enc, excluded)
    net = _network(enc, feasible, pin_a, pin_m)
    optimum = _optimum(net, problem.candidates_per_apprentice)
    assignment = optimum.assignment
    assignment[pin_a] = pin_m
    pinned = np.zeros(enc.n_a, dtype=bool)
    pinned[pin_a] = True
    pairs, pair_costs = _pairs(enc, feasible, assignment, pinned)
    unpaired = _unpaired(enc, feasible, excluded, assignment)
    # The flow's optimum plus the pins: every pair's static and slot cost, and U per unpaired apprentice.
    objective = pair_costs + net.u * len(unpaired)
    return Result(
        pairs=pairs,
        unpaired=unpaired,
        summary=_summary(enc, pairs, unpaired, assignment, optimum, objective, time.perf_counter() - start),
    )


def _index(items) -> dict[int, int]:
    """Row of each id in an id-sorted tuple of apprentices or mentors."""
    return {x.id: i for i, x in enumerate(items)}


def _pins(problem: Problem, enc: Encoded) -> tuple[np.ndarray, np.ndarray]:
    """Check the pinned pairs, in id order so the first error named is always the same; their rows."""
    a_index, m_index = _index(enc.apprentices), _index(enc.mentors)
    pins = sorted(set(map(tuple, problem.pinned)))
    for a_id, m_id in pins:
        if a_id not in a_index or m_id not in m_index:
            raise MatchError("pin_unknown", (a_id, m_id))
    mentors_of: dict[int, list[int]] = defaultdict(list)
    for a_id, m_id in pins:
        mentors_of[a_id].append(m_id)
    for a_id, m_ids in mentors_of.items():
        if len(m_ids) > 1:
            raise MatchError("pin_twice", (a_id, *m_ids))
    for a_id, m_id in pins:
        if (a_id, m_id) in problem.forbidden:
            raise MatchError("pin_forbidden", (a_id, m_id))
        rule = check_pair(problem, enc.apprentices[a_index[a_id]], enc.mentors[m_index[m_id]])
        if rule:
            raise MatchError("pin_breaks_rule", (a_id, m_id), rule=rule)
    apprentices_of: dict[int, list[int]] = defaultdict(list)
    for a_id, m_id in pins:
        apprentices_of[m_id].append(a_id)
    for m_id, a_ids in sorted(apprentices_of.items()):
        if len(a_ids) > enc.mentors[m_index[m_id]].free:
            raise MatchError("pin_over_capacity", (m_id, *a_ids))
    rows = np.array([(a_index[a], m_index[m]) for a, m in pins], dtype=np.int64).reshape(-1, 2)
    return rows[:, 0], rows[:, 1]


def _slots(assignment: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The slot of each paired apprentice: its rank by id among its mentor's new apprentices, from 1."""
    mentors = assignment[rows]
    order = np.lexsort((rows, mentors))
    ranked = mentors[order]
    slot = np.empty(len(rows), dtype=np.int64)
    slot[order] = np.arange(len(rows)) - np.searchsorted(ranked, ranked) + 1
    return slot


def _marginal_slot_costs(enc: Encoded, assignment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per mentor, the cost and number of the slot one more apprentice would take (next, or last if full)."""
    new = np.bincount(assignment[assignment >= 0], minlength=enc.n_m)
    slot = np.where(new < enc.m_free, new + 1, np.maximum(enc.m_free, 1))
    return scoring.slot_costs(enc, np.arange(enc.n_m), slot), slot


def _best_other(
    f: Feasible, rows: np.ndarray, exclude: np.ndarray, extra: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the feasible mentor other than ``exclude[i]`` with the lowest cost + extra[mentor] (ties:
    lowest id), and that total; -1 where there is none."""
    best_m = np.full(len(rows), -1, dtype=np.int64)
    best_total = np.full(len(rows), -1, dtype=np.int64)
    bits = max(1, len(extra).bit_length())
    lengths = f.indptr[rows + 1] - f.indptr[rows]
    some = np.flatnonzero(lengths > 0)
    for s in range(0, len(some), CHUNK):
        at = some[s : s + CHUNK]
        r, n = rows[at], lengths[at]
        starts = np.cumsum(n) - n
        pos = np.arange(int(n.sum())) + np.repeat(f.indptr[r] - starts, n)
        m = f.mentor[pos].astype(np.int64)
        key = ((f.cost[pos] + extra[m]) << bits) | m
        key[m == np.repeat(exclude[at], n)] = INF
        best = np.minimum.reduceat(key, starts)
        found = best < INF
        best_m[at] = np.where(found, best & ((1 << bits) - 1), -1)
        best_total[at] = np.where(found, best >> bits, -1)
    return best_m, best_total


def _pairs(
    enc: Encoded, f: Feasible, assignment: np.ndarray, pinned: np.ndarray
) -> tuple[tuple[Pair, ...], int]:
    """Every pair with its score, breakdown, runner-up and why; and the pairs' total integer cost."""
    rows = np.flatnonzero(assignment >= 0)
    m = assignment[rows]
    slot = _slots(assignment, rows)
    km = scoring.distances(enc, rows, m)
    values = scoring.criteria(enc, rows, m, km)
    bal = scoring.balance(enc, m, slot)
    score = scoring.scores(enc, values, bal)
    total = scoring.static_costs(enc, rows, m, km) + scoring.slot_costs(enc, m, slot)
    pins = pinned[rows]
    marginal, marginal_slot = _marginal_slot_costs(enc, assignment)
    runner, runner_total = _best_other(f, rows, m, marginal)
    has_runner = runner >= 0
    r_rows, r_m = rows[has_runner], runner[has_runner]
    r_values = scoring.criteria(enc, r_rows, r_m, scoring.distances(enc, r_rows, r_m))
    r_bal = scoring.balance(enc, r_m, marginal_slot[r_m])
    r_score = np.full(len(rows), np.nan)
    r_score[has_runner] = scoring.scores(enc, r_values, r_bal)
    r_breakdown: list[dict | None] = [None] * len(rows)
    for i, breakdown in zip(
        np.flatnonzero(has_runner).tolist(), scoring.breakdowns(r_values, r_bal), strict=True
    ):
        r_breakdown[i] = breakdown
    # The runner-up "scores higher" when taking it as its next (or, full, its last) slot would cost less.
    why = np.select(
        [pins, ~has_runner, runner_total < total], ["pinned", "only_option", "runner_up_full"], "higher_score"
    )
    pairs = tuple(
        Pair(
            apprentice_id=enc.apprentices[a].id,
            mentor_id=enc.mentors[j].id,
            score=round(s, 3),
            breakdown=breakdown,
            distance_km=round(d, 3),
            pinned=p,
            runner_up_id=enc.mentors[r].id if r >= 0 else None,
            runner_up_score=round(rs, 3) if r >= 0 else None,
            runner_up_breakdown=rb,
            why=w,
        )
        for a, j, s, breakdown, d, p, r, rs, rb, w in zip(
            rows.tolist(),
            m.tolist(),
            score.tolist(),
            scoring.breakdowns(values, bal),
            km.tolist(),
            pins.tolist(),
            runner.tolist(),
            r_score.tolist(),
            r_breakdown,
            why.tolist(),
            strict=True,
        )
    )
    return pairs, int(total.sum())


def _unpaired(
    enc: Encoded, f: Feasible, excluded: Exclusions, assignment: np.ndarray
) -> tuple[Unpaired, ...]:
    """Why each unpaired apprentice is unpaired, what blocks it, and the one change that would help."""
    rows = np.flatnonzero(assignment < 0)
    feasible = (f.indptr[rows + 1] - f.indptr[rows]).astype(np.int64)
    nearest = _nearest_allowed(enc, excluded, rows[feasible == 0])
    suggestions: list[dict] = []
    # With as many pairs as possible, every feasible mentor of an unpaired apprentice is full.
    for a, count, mentor in zip(
        rows.tolist(), feasible.tolist(), f.best_when_full[rows].tolist(), strict=True
    ):
        if count:
            suggestions.append({"kind": "add_place", "mentor_id": enc.mentors[mentor].id})
        elif a in nearest:
            km, j = nearest[a]
            suggestions.append({"kind": "raise_distance", "km": km, "mentor_id": enc.mentors[j].id})
        else:
            suggestions.append({})
    return tuple(
        Unpaired(
            apprentice_id=enc.apprentices[a].id,
            reason="capacity_exhausted" if count else "no_mentor_in_rules",
            blocked_by=dict(zip(BLOCKS, blocked, strict=True)),
            feasible_mentors=count,
            suggestion=suggestion,
        )
        for a, count, blocked, suggestion in zip(
            rows.tolist(), feasible.tolist(), f.blocked[rows].tolist(), suggestions, strict=True
        )
    )


def _nearest_allowed(enc: Encoded, excluded: Exclusions, rows: np.ndarray) -> dict[int, tuple[float, int]]:
    """For apprentices with no feasible mentor: the nearest mentor with a free place that only the distance
    limit keeps out (allowed tier, no sparse rule), as (road km rounded up to 0.1, mentor row).

    A k-d tree of Earth-centred coordinates orders mentors exactly by road distance; a few neighbours are
    asked for first, all of them when sparse rules rule out those few.
    """
    found: dict[int, tuple[float, int]] = {}
    free = enc.m_free > 0
    for sig in np.unique(enc.a_sig[rows]).tolist():
        allowed = np.flatnonzero(free & enc.sig_tiers[sig, enc.m_tier])
        group = rows[enc.a_sig[rows] == sig]
        if not allowed.size:
            continue
        tree = cKDTree(enc.m_xyz[:, allowed].T)
        for k in sorted({min(8, allowed.size), allowed.size}):
            _d, near = tree.query(enc.a_xyz[:, group].T, k=[*range(1, k + 1)])
            m = allowed[near]
            a = np.repeat(group, k).reshape(len(group), k)
            ok = (excluded.lookup(a.ravel(), m.ravel()) == 0).reshape(a.shape)
            first = np.argmax(ok, axis=1)
            hit = ok[np.arange(len(group)), first]
            a_hit, m_hit = group[hit], m[hit, first[hit]]
            km = scoring.distances(enc, a_hit, m_hit)
            for i, j, d in zip(a_hit.tolist(), m_hit.tolist(), km.tolist(), strict=True):
                found[i] = (_tenth_above(d), j)
            group = group[~hit]
            if not group.size:
                break
    return found


def _tenth_above(km: float) -> float:
    """km rounded up to 0.1: a limit that admits the distance (rounding never lands below it)."""
    up = math.ceil(km * 10) / 10
    return up if up >= km else round(up + 0.1, 1)


def _summary(
    enc: Encoded,
    pairs: tuple[Pair, ...],
    unpaired: tuple[Unpaired, ...],
    assignment: np.ndarray,
    optimum: _Optimum,
    objective: int,
    seconds: float,
) -> Summary:
    scores = [p.score for p in pairs]
    km = [p.distance_km for p in pairs]
    new = np.bincount(assignment[assignment >= 0], minlength=enc.n_m)
    return Summary(
        apprentices=enc.n_a,
        mentors=enc.n_m,
        paired=len(pairs),
        unpaired=len(unpaired),
        mean_score=round(sum(scores) / len(scores), 3) if scores else 0.0,
        min_score=min(scores, default=0.0),
        mean_distance_km=round(sum(km) / len(km), 3) if km else 0.0,
        max_distance_km=max(km, default=0.0),
        load=dict(sorted(Counter(new.tolist()).items())),
        objective=objective,
        candidate_arcs=optimum.candidate_arcs,
        feasible_arcs=optimum.feasible_arcs,
        added_arcs=optimum.added_arcs,
        pricing_rounds=optimum.pricing_rounds,
        seconds=round(seconds, 4),
    )
