"""``bangdai match --programme ID [--region CODE] [--dry-run] [--json] --as USER``: match a programme optimally.

Without ``--dry-run`` the run is kept for review on the pages and the API (``--accept RUN`` accepts one);
with it nothing is written. Weights and the distance limit default to the programme's rules.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from bangdai.core.cli import acting_user, activate_language, add_as, visible, writing
from bangdai.matching import services
from bangdai.matching.choices import Criterion, RunStatus
from bangdai.matching.models import MatchRun
from bangdai.matching.problem import MatchError
from bangdai.programmes.models import Programme
from bangdai.regions.models import Region


def _weight(text: str) -> tuple[str, int]:
    name, _sep, value = text.partition("=")
    if name not in Criterion.values or not value.isdigit():
        raise CommandError(f"--weight takes CRITERION=N with CRITERION one of {', '.join(Criterion.values)}.")
    return name, int(value)


class Command(BaseCommand):
    help = "Match a programme's unpaired apprentices with its mentors, optimally; review before accepting."

    def add_arguments(self, parser):
        parser.add_argument("--programme", type=int, help="Programme id.")
        parser.add_argument("--region", help="Only this county or township of the programme (region code).")
        parser.add_argument(
            "--weight", action="append", default=[], metavar="CRITERION=N", help="Change a weight."
        )
        parser.add_argument("--max-distance", type=int, metavar="KM", help="The distance limit in km.")
        parser.add_argument("--dry-run", action="store_true", help="Solve and print; keep nothing.")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the result as JSON.")
        parser.add_argument("--accept", type=int, metavar="RUN", help="Accept this run instead of matching.")
        add_as(parser)

    def handle(
        self, *args, programme, region, weight, max_distance, dry_run, as_json, accept, username, **options
    ):
        activate_language()
        user = acting_user(username)
        self.as_json = as_json
        if accept:
            run = visible(MatchRun.objects.select_related("programme", "region"), accept, user, "Run")
            with writing():
                services.accept(actor=user, run=run, background=False)
            self.stdout.write(f"Run {run.pk} accepted: {run.pairs.count()} pairings proposed.")
            return
        if programme is None:
            raise CommandError("--programme is required (or --accept RUN).")
        target = visible(Programme.objects.select_related("region"), programme, user, "Programme")
        area = target.region
        if region:
            area = Region.objects.current().filter(code=region).first()
            if area is None:
                raise CommandError(f"Region {region} not found.")
        params = {}
        if weight:
            params["weights"] = {**target.policy.match_weights(), **dict(map(_weight, weight))}
        if max_distance:
            params["max_distance_km"] = max_distance
        with writing():
            if dry_run:
                try:
                    result, records = services.preview(actor=user, programme=target, area=area, params=params)
                except MatchError as error:
                    raise CommandError(services.error_text(error.code, error.records, error.rule)) from None
                self._print_result(
                    result.summary.__dict__, self._pairs(result, records), self._unpaired(result, records)
                )
                return
            run = services.start(actor=user, programme=target, area=area, params=params, background=False)
        if run.status == RunStatus.FAILED:
            raise CommandError(services.error_message(run))
        pairs = [
            {
                "apprentice": p.apprentice.person.name,
                "mentor": p.mentor.person.name,
                "score": p.score,
                "distance_km": p.distance_km,
                "why": p.why,
            }
            for p in run.pairs.select_related("apprentice__person", "mentor__person")
        ]
        unpaired = [
            {"apprentice": u.apprentice.person.name, "reason": u.reason, "suggestion": u.suggestion}
            for u in run.unpaired.select_related("apprentice__person")
        ]
        self._print_result({"run": run.pk, **run.summary}, pairs, unpaired)

    def _pairs(self, result, records):
        a, m = records["apprentices"], records["mentors"]
        return [
            {
                "apprentice": a[p.apprentice_id].person.name,
                "mentor": m[p.mentor_id].person.name,
                "score": round(p.score, 2),
                "distance_km": round(p.distance_km, 1),
                "why": p.why,
            }
            for p in result.pairs
        ]

    def _unpaired(self, result, records):
        a = records["apprentices"]
        return [
            {"apprentice": a[u.apprentice_id].person.name, "reason": u.reason, "suggestion": u.suggestion}
            for u in result.unpaired
        ]

    def _print_result(self, summary: dict, pairs: list[dict], unpaired: list[dict]) -> None:
        if self.as_json:
            self.stdout.write(
                json.dumps(
                    {"summary": summary, "pairs": pairs, "unpaired": unpaired},
                    ensure_ascii=False,
                    indent=2,
                    default=str,
                )
            )
            return
        for p in pairs:
            self.stdout.write(
                f"{p['apprentice']}\t→ {p['mentor']}\t{p['score']:.1f}\t{p['distance_km']:.1f} km\t{p['why']}"
            )
        for u in unpaired:
            self.stdout.write(f"{u['apprentice']}\tunpaired\t{u['reason']}\t{u['suggestion'] or ''}")
        self.stdout.write(
            f"{summary['paired']} paired, {summary['unpaired']} unpaired; mean score {summary['mean_score']:.1f}, "
            f"lowest {summary['min_score']:.1f}"
            + (f"; run {summary['run']} kept for review" if "run" in summary else "")
        )
