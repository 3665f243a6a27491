"""``bangdai demo --scale county|city|province``: load the deterministic demo dataset."""

import time

from django.core.management.base import BaseCommand

from bangdai.demo.generator import ACCOUNTS, DEMO_PASSWORD, SCALES, Generator, has_demo_data


class Command(BaseCommand):
    help = (
        "Load the demo dataset: villages under the real townships, cadres, one account per role, and "
        "programmes with their mentor pool, apprentices and pairings, and a year of mentoring in practice "
        "(ledger, plans, assignments, 复盘 reviews, teaching sites and open classes, alliances)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="province")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if demo data is already loaded."
        )

    def handle(self, *args, scale, if_empty, **options):
        if has_demo_data():
            if if_empty:
                self.stdout.write("Demo data already loaded.")
                return
            self.stderr.write("Demo data already loaded; use a fresh database (make demo-reset).")
            raise SystemExit(1)
        start = time.perf_counter()
        report = Generator(scale).run()
        elapsed = time.perf_counter() - start
        self.stdout.write(
            f"Demo ({scale}): {report.villages} villages and communities, {report.cadres} cadres, "
            f"{len(report.accounts)} accounts in {elapsed:.1f} s."
        )
        pool = report.pool
        if pool:
            states = ", ".join(
                f"{k.split('.', 1)[1]} {v}" for k, v in pool.items() if k.startswith("pairings.")
            )
            self.stdout.write(
                f"Programmes {pool['programmes']}, mentors {pool['mentors']} "
                f"({pool.get('mentors.active', 0)} appointed), apprentices {pool['apprentices']}, "
                f"pairings {pool['pairings']} ({states})."
            )
        practice = report.practice
        if practice:
            self.stdout.write(
                "Practice: " + ", ".join(f"{k} {v}" for k, v in practice.items() if "." not in k)
            )
            self.stdout.write("  by state: " + ", ".join(f"{k} {v}" for k, v in practice.items() if "." in k))
        self.stdout.write("Seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items()))
        self.stdout.write(f"Accounts (password {DEMO_PASSWORD}): " + ", ".join(a[0] for a in ACCOUNTS))
