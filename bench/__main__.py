"""``python -m bench all|demo|lists|pool``: run one benchmark, or all of them in order."""

import argparse
import sys

BENCHMARKS = ["demo", "lists", "pool"]  # in dependency order: lists and pool read the database demo builds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=["all", *BENCHMARKS])
    args = parser.parse_args(argv)
    names = BENCHMARKS if args.name == "all" else [args.name]
    failed = []
    for name in names:
        # Imported lazily: lists configures Django in this process, demo and pool must not.
        module = __import__(f"bench.{name}", fromlist=["run"])
        records = module.run()
        failed += [f"{name}: {r['case']}" for r in records if r.get("passed") is False]
    if failed:
        print("\nMissed targets:\n  " + "\n  ".join(failed))
    # A missed target is a finding to report, not a crash: the results are written either way.
    return 0


if __name__ == "__main__":
    sys.exit(main())
