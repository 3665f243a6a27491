"""``python -m bench all|demo|lists|pool|alliances|matching|compliance|practice [CASE ...]``: run one benchmark, or all of them in order.

Cases narrow a benchmark that has several (``python -m bench pool import-10k``); the other cases' records from
the last run stay in its results file.
"""

import argparse
import sys

BENCHMARKS = [
    "demo",
    "lists",
    "pool",
    "alliances",
    "matching",
    "compliance",
    "practice",
]  # in dependency order: lists, pool and compliance read the database demo builds; practice builds its own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=["all", *BENCHMARKS])
    parser.add_argument("cases", nargs="*", metavar="CASE", help="only these cases (pool)")
    args = parser.parse_args(argv)
    names = BENCHMARKS if args.name == "all" else [args.name]
    if args.cases and names != ["pool"]:
        parser.error("cases can be chosen for the pool benchmark only")
    failed = []
    for name in names:
        # Imported lazily: lists configures Django in this process, demo and pool must not.
        module = __import__(f"bench.{name}", fromlist=["run"])
        records = module.run(args.cases) if args.cases else module.run()
        failed += [f"{name}: {r['case']}" for r in records if r.get("passed") is False]
    if failed:
        print("\nMissed targets:\n  " + "\n  ".join(failed))
    # A missed target is a finding to report, not a crash: the results are written either way.
    return 0


if __name__ == "__main__":
    sys.exit(main())
