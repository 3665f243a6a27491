"""The alliance planner on a real county and a real city, against the greedy and k-medoids heuristics.

The villages are the demo's: the same names under the same real townships (data/zhejiang/village_names.csv),
scattered exactly as ``bangdai.demo.generator.Generator.village_rows`` scatters them (one seeded RNG per township,
the township's centre within 0.16° of its county's centroid from data/zhejiang/divisions.csv, each village within
0.035° of its township's centre), so the county case is the very geometry ``bangdai demo`` builds for 安吉县.
Only villages (村) take part, as in the planner; communities (社区) do not. Each village's weight (its cadres) and
whether it is the home of an appointed village mentor (a candidate hub; the demo appoints one for about every
second village, so about 40 %) are drawn with a fixed seed.

Each case runs in its own subprocess (``python -m bench.alliances CASE``), which builds the instance (not timed)
and then times, in the same process and on the same instance:
- ``bangdai.alliances.planner.solve``: the exact MIP with HiGHS (one thread) under the case's time limit: status,
  objective, proven bound and gap, nodes;
- the greedy baseline ``planner.greedy``: hubs added one at a time where they shorten the total most, then each
  village to its nearest hub with room;
- a k-medoids heuristic (alternate: villages to their nearest opened hub with room, then each alliance's hub moved
  to the candidate in it that serves its members best; from the greedy hubs, until nothing changes).

``greedy_ratio`` and ``kmedoids_ratio`` = heuristic objective / MIP objective (1.00 = as good as the optimum);
``seconds`` is the MIP's wall time and ``baseline_seconds`` the greedy's, so ``ratio`` is what exactness costs.
"""

import csv
import json
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

from .common import ROOT, check, markdown_table, print_table, record, run_measured, update_doc, write_results

NAME = "alliances"
DIVISIONS = ROOT / "data" / "zhejiang" / "divisions.csv"
VILLAGE_NAMES = ROOT / "data" / "zhejiang" / "village_names.csv"
DEMO_SEED = 2004  # bangdai.demo.generator.SEED: the same villages at the same places
SEED = 5  # weights and candidate hubs
CANDIDATE_SHARE = 0.4


@dataclass(frozen=True)
class Case:
    name: str
    region: str  # a county or a city
    hubs: int  # alliances to open (p)
    max_km: float
    max_size: int
    time_limit: float
    target_seconds: float
    target_gap_pct: float


CASES = [
    # 安吉县: 170 villages; about one alliance per 15 villages.
    Case(
        "alliance-county",
        "330523",
        hubs=12,
        max_km=15,
        max_size=20,
        time_limit=60,
        target_seconds=10,
        target_gap_pct=0.0,
    ),
    # 衢州市: 1,488 villages; 68 regional alliances, the number the source article reports for Quzhou.
    Case(
        "alliance-city",
        "330800",
        hubs=68,
        max_km=15,
        max_size=30,
        time_limit=60,
        target_seconds=60,
        target_gap_pct=1.0,
    ),
]


def demo_villages(region: str) -> list[dict]:
    """The demo's villages under ``region``: code, name, township, lng, lat (bangdai.demo.generator's geometry)."""
    with open(DIVISIONS, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    counties = {
        r["code"]: r for r in rows if r["level"] == "county" and region in (r["code"], r["parent_code"])
    }
    townships = sorted((r for r in rows if r["parent_code"] in counties), key=lambda r: r["code"])
    names_by_township: dict[tuple[str, str], list[str]] = defaultdict(list)
    pool_by_county: dict[str, list[str]] = defaultdict(list)
    with open(VILLAGE_NAMES, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names_by_township[(row["county_code"], row["township_name"])].append(row["name"])
            pool_by_county[row["county_code"]].append(row["name"])

    def stem(name: str) -> str:
        return name.removesuffix("街道").removesuffix("镇").removesuffix("乡")

    stems = {(county, stem(township)): names for (county, township), names in names_by_township.items()}

    def jitter(rng, lng, lat, radius):
        lng, lat = lng or 120.15, lat or 30.27
        return lng + rng.uniform(-radius, radius), lat + rng.uniform(-radius, radius) * 0.85

    villages = []
    for township in townships:
        county = counties[township["parent_code"]]
        rng = random.Random(f"{DEMO_SEED}-{township['code']}")
        names = names_by_township.get((county["code"], township["name"])) or stems.get(
            (county["code"], stem(township["name"]))
        )
        if not names:
            pool = pool_by_county.get(county["code"]) or pool_by_county["330523"]
            names = sorted(set(rng.sample(pool, k=min(len(pool), rng.randint(8, 24)))))
        t_lng, t_lat = jitter(rng, float(county["lng"]), float(county["lat"]), 0.16)
        communities = [n for n in names if n.endswith(("社区", "居委会"))]
        plain = [n for n in names if n not in communities]
        for offset, group in ((1, communities), (200, plain)):
            for i, name in enumerate(dict.fromkeys(group)):
                if offset + i > (199 if offset == 1 else 399):
                    break
                lng, lat = jitter(rng, t_lng, t_lat, 0.035)
                if offset == 200:
                    rng.choice(["210", "220", "220", "220"])  # the demo draws the urban-rural class here
                    villages.append(
                        {"code": f"{township['code']}{offset + i:03d}", "name": name, "lng": lng, "lat": lat}
                    )
    return villages


def instance(case: Case):
    from bangdai.alliances.planner import Candidate, PlanInput, Village

    rng = random.Random(f"{SEED}-{case.region}")
    rows = demo_villages(case.region)
    villages = tuple(
        Village(id=i + 1, lng=r["lng"], lat=r["lat"], weight=rng.randint(2, 8)) for i, r in enumerate(rows)
    )
    candidates = tuple(
        Candidate(village_id=v.id, mentor_id=1000 + v.id) for v in villages if rng.random() < CANDIDATE_SHARE
    )
    return PlanInput(
        villages=villages,
        candidates=candidates,
        hubs_min=case.hubs,
        hubs_max=case.hubs,
        max_km=case.max_km,
        max_size=case.max_size,
        time_limit=case.time_limit,
    )


COLUMNS = [
    ("case", "case"),
    ("villages", "villages"),
    ("candidates", "candidates"),
    ("hubs", "hubs"),
    ("arcs", "arcs"),
    ("seconds", "seconds"),
    ("target s", "target_seconds"),
    ("status", "status"),
    ("gap %", "gap_pct"),
    ("target gap %", "target_gap_pct"),
    ("objective km", "objective_km"),
    ("bound km", "bound_km"),
    ("greedy s", "baseline_seconds"),
    ("greedy ratio", "greedy_ratio"),
    ("k-medoids s", "kmedoids_seconds"),
    ("k-medoids ratio", "kmedoids_ratio"),
    ("peak MB", "peak_mb"),
    ("pass", "passed"),
]


def kmedoids(problem, hub_ids, max_rounds: int = 30):
    """Alternate: villages to their nearest opened hub with room, then each alliance's hub to the candidate among its
    villages that serves them best (all within the distance limit), until nothing changes."""
    import numpy as np

    from bangdai.alliances import planner

    by_id = {v.id: v for v in problem.villages}
    candidates = {c.village_id for c in problem.candidates}
    ids = np.array(sorted(by_id))
    points = planner.unit_vectors(
        np.array([by_id[i].lng for i in ids]), np.array([by_id[i].lat for i in ids])
    )
    index = {int(v): k for k, v in enumerate(ids)}
    hubs = sorted(hub_ids)
    best = planner.evaluate(problem, hubs)
    for _round in range(max_rounds):
        members: dict[int, list[int]] = {h: [] for h in hubs}
        for a in best.assignments:
            members[a.hub_village_id].append(a.village_id)
        moved = []
        for hub, group in members.items():
            rows = [index[v] for v in group]
            weights = np.array([max(1, by_id[v].weight) for v in group])
            options = [v for v in group if v in candidates and v not in moved]
            choice, choice_cost = hub, None
            for option in options:
                km = planner.road_km_from_chord(np.linalg.norm(points[rows] - points[index[option]], axis=1))
                if (km > problem.max_km).any():
                    continue
                cost = float((weights * planner.steps(km)).sum())
                if choice_cost is None or cost < choice_cost:
                    choice, choice_cost = option, cost
            moved.append(choice)
        if sorted(moved) == hubs:
            break
        trial = planner.evaluate(problem, moved)
        if (trial.without_room, trial.objective) >= (best.without_room, best.objective):
            break
        hubs, best = sorted(moved), trial
    return best


def _measure(case: Case) -> dict:
    """One case in this process: the instance (not timed), then the MIP, the greedy plan and k-medoids, timed."""
    import resource

    from bangdai.alliances import planner

    problem = instance(case)
    started = time.perf_counter()
    exact = planner.solve(problem)
    exact_seconds = time.perf_counter() - started
    started = time.perf_counter()
    greedy = planner.greedy(problem)
    greedy_seconds = time.perf_counter() - started
    started = time.perf_counter()
    medoids = kmedoids(problem, [c.village_id for c in greedy.hubs])
    kmedoids_seconds = time.perf_counter() - started + greedy_seconds  # k-medoids starts from the greedy hubs
    usage = resource.getrusage(resource.RUSAGE_SELF)

    def ratio(other) -> float | None:
        if other.without_room != exact.without_room or not exact.objective:
            return None  # a plan that places fewer villages is not comparable by distance
        return round(other.objective / exact.objective, 4)

    return {
        "seconds": exact_seconds,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "villages": len(problem.villages),
        "candidates": len(problem.candidates),
        "hubs": len(exact.hubs),
        "arcs": exact.arcs,
        "status": exact.status,
        "solver_status": exact.solver_status,
        "gap_pct": round(exact.gap_pct, 4),
        "objective_km": round(exact.objective_km, 1),
        "bound_km": round(exact.bound * planner.KM_STEP, 1),
        "nodes": exact.nodes,
        "without_room": exact.without_room,
        "greedy_seconds": round(greedy_seconds, 4),
        "greedy_objective_km": round(greedy.objective_km, 1),
        "greedy_ratio": ratio(greedy),
        "kmedoids_seconds": round(kmedoids_seconds, 4),
        "kmedoids_objective_km": round(medoids.objective_km, 1),
        "kmedoids_ratio": ratio(medoids),
    }


def run(names: list[str] | None = None) -> list[dict]:
    """Every case in its own subprocess; results in bench/results/alliances.json and docs/benchmarks.md."""
    known = [c.name for c in CASES]
    unknown = sorted(set(names or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown alliances case(s) {', '.join(unknown)}; the cases are {', '.join(known)}")
    records = []
    for case in CASES:
        if names and case.name not in names:
            continue
        print(f"alliances: {case.name}: solving (at most {case.time_limit:.0f} s) ...", flush=True)
        measured = check(
            run_measured([sys.executable, "-m", "bench.alliances", case.name], dict(os.environ)),
            case.name,
        )
        figures = json.loads(measured.stdout.strip().splitlines()[-1])
        seconds = figures.pop("seconds")
        greedy_seconds = figures.pop("greedy_seconds")
        records.append(
            record(
                case.name,
                seconds,
                measured.peak_mb,
                greedy_seconds,
                region=case.region,
                max_km=case.max_km,
                max_size=case.max_size,
                time_limit=case.time_limit,
                target_seconds=case.target_seconds,
                target_gap_pct=case.target_gap_pct,
                passed=seconds <= case.target_seconds and figures["gap_pct"] <= case.target_gap_pct,
                **figures,
            )
        )
    print_table(
        "Alliance planner (HiGHS, one thread) against the greedy and k-medoids heuristics", COLUMNS, records
    )
    written = write_results(NAME, records, order=known)
    table = markdown_table(COLUMNS, written)
    if len(written) > len(records):
        ran = ", ".join(r["case"] for r in records)
        table += f"\n\nThis run measured {ran}; the other rows are from an earlier run."
    update_doc(NAME, table)
    return records


if __name__ == "__main__":
    name = sys.argv[1]
    print(json.dumps(_measure(next(c for c in CASES if c.name == name)), ensure_ascii=False))
