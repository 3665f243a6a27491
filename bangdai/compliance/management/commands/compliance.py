"""``bangdai compliance region CODE | pairing ID | silent CODE --as USERNAME [--json]``: compliance as a user sees it."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from bangdai.compliance import selectors
from bangdai.compliance.forms import LIGHT_CHOICES, governed_region
from bangdai.compliance.rules import Rule
from bangdai.compliance.templatetags.compliance import light_label
from bangdai.core import cli
from bangdai.pairings.models import Pairing


def item_row(item) -> dict:
    pairing = item.pairing
    return {
        "pairing": pairing.pk,
        "apprentice": pairing.apprentice,
        "mentors": list(pairing.mentors),
        "region": pairing.region_code,
        "region_name": pairing.region_name,
        "programme": pairing.programme_id,
        "start_date": pairing.start_date,
        "light": item.light.value,
        "score": item.score,
        "quarter_scores": list(item.result.quarter_scores),
        "reasons": [check_row(c) for c in item.reasons],
        "checks": [check_row(c) for c in item.result.checks],
    }


def check_row(check) -> dict:
    return {
        "rule": check.rule.value,
        "status": check.status.value,
        "label": check.label,
        "expected": check.expected,
        "actual": check.actual,
    }


class Command(BaseCommand):
    help = "Compliance of a region's pairings (worst first), of one pairing, or a region's silent mentors."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        region = sub.add_parser("region", help="A region's running pairings with their lights and reasons.")
        region.add_argument("code")
        region.add_argument("--light", choices=[v for v, _label in LIGHT_CHOICES], default="all")
        region.add_argument("--rule", choices=[r.value for r in Rule])
        region.add_argument("--json", action="store_true")
        cli.add_as(region)
        pairing = sub.add_parser("pairing", help="One pairing's compliance with every check.")
        pairing.add_argument("pairing", type=int)
        pairing.add_argument("--json", action="store_true")
        cli.add_as(pairing)
        silent = sub.add_parser("silent", help="A region's mentors with no activity for --days days.")
        silent.add_argument("code")
        silent.add_argument("--days", type=int, default=selectors.SILENT_DAYS)
        silent.add_argument("--json", action="store_true")
        cli.add_as(silent)

    def handle(self, *args, **options):
        cli.activate_language()
        user = cli.acting_user(options["username"])
        getattr(self, options["action"])(user, options)

    def _region(self, user, code):
        try:
            return governed_region(user, code)
        except Http404:
            raise CommandError(f"Region {code} not found.") from None
        except PermissionDenied:
            raise CommandError(f"Permission denied: {user} does not govern region {code}.") from None

    def region(self, user, options):
        region = self._region(user, options["code"])
        pairings = selectors.in_region(Pairing.objects.visible_to(user), region)
        everything = selectors.compliance_of(pairings)
        light = "" if options["light"] == "all" else options["light"]
        items = selectors.filter_results(everything, light=light, rule=options["rule"] or "")
        summary = selectors.Summary.of(everything)
        if options["json"]:
            cli.dump(
                self.stdout,
                {
                    "region": region.code,
                    "summary": summary.as_dict(),
                    "pairings": [item_row(i) for i in items],
                },
            )
            return
        self.stdout.write(
            f"{region.name} ({region.code}): {summary.total} running pairings — "
            f"red {summary.red}, amber {summary.amber}, green {summary.green}"
        )
        for item in items:
            score = "–" if item.score is None else item.score
            self.stdout.write(
                f"[{light_label(item.light)}] {score:>3} #{item.pairing.pk} {item.mentors} → "
                f"{item.pairing.apprentice} ({item.pairing.region_name})"
            )
            for reason in item.reasons:
                self.stdout.write(f"      - {reason.text}")

    def pairing(self, user, options):
        pairing = cli.visible(Pairing.objects.all(), options["pairing"], user, "Pairing")
        item = selectors.pairing_compliance(pairing)
        if item is None:
            raise CommandError(
                f"Pairing {pairing.pk} is not running: compliance is judged from its start date."
            )
        if options["json"]:
            cli.dump(self.stdout, item_row(item))
            return
        score = "–" if item.score is None else item.score
        self.stdout.write(
            f"#{pairing.pk} {item.mentors} → {item.pairing.apprentice}: "
            f"{light_label(item.light)}, score {score}"
        )
        for check in item.result.checks:
            self.stdout.write(f"  [{check.status.value:>7}] {check.text}")

    def silent(self, user, options):
        region = self._region(user, options["code"])
        if options["days"] < 1:
            raise CommandError("--days must be 1 or more.")
        pairings = selectors.in_region(Pairing.objects.visible_to(user), region)
        mentors = selectors.silent_mentors(pairings, days=options["days"])
        rows = [
            {
                "mentor": m.mentor_id,
                "name": m.name,
                "region": m.region.code,
                "running": m.running,
                "all_silent": m.all_silent,
                "pairings": [
                    {
                        "pairing": p.pk,
                        "apprentice": p.apprentice.person.name,
                        "last_activity": p.last_activity,
                    }
                    for p in m.pairings
                ],
            }
            for m in mentors
        ]
        if options["json"]:
            cli.dump(self.stdout, rows)
            return
        self.stdout.write(f"{len(rows)} mentors with no activity for {options['days']} days in {region.name}")
        for row in rows:
            names = ", ".join(
                f"{p['apprentice']} (last {p['last_activity'] or 'never'})" for p in row["pairings"]
            )
            self.stdout.write(f"  {row['name']} ({len(row['pairings'])}/{row['running']} silent): {names}")
