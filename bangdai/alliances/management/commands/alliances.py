"""``bangdai alliances list|show|create|activate|dissolve|plan|plans|adopt ... --as USERNAME [--json]``."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from bangdai.alliances import selectors, services
from bangdai.alliances.choices import AllianceStatus, PlanStatus, Qualification, Weighting
from bangdai.alliances.models import Alliance, PlanRun
from bangdai.core import cli
from bangdai.mentors.models import Mentor
from bangdai.regions.models import Region


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


def _region(code: str, user) -> Region:
    """A current region the user may see, by code; anything else is "not found"."""
    found = Region.objects.visible_to(user).current().filter(code=code.strip()).first()
    if found is None:
        raise CommandError(f"Region {code} not found.")
    return found


def alliance_row(a: Alliance, members=None) -> dict:
    return {
        "id": a.pk,
        "name": a.name,
        "theme": a.theme,
        "status": a.status,
        "region": a.region.code,
        "hub": a.hub.code,
        "hub_name": a.hub.name,
        "lead_mentor": a.lead_mentor.person.name,
        "spans_counties": a.spans_counties,
        "founded_on": a.founded_on,
        "villages": members if members is not None else a.member_count,
    }


def plan_row(run: PlanRun) -> dict:
    return {
        "id": run.pk,
        "region": run.region.code,
        "status": run.status,
        "params": run.params,
        "solver": run.summary.get("solver"),
        "proposal": run.summary.get("proposal"),
        "error": services.error_message(run) if run.status == PlanStatus.FAILED else "",
    }


class Command(BaseCommand):
    help = "List, form, start and dissolve alliances; plan a county's or city's alliances and adopt a plan."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Alliances the user can see.")
        listing.add_argument("--region", help="Only those with their hub in this region's subtree.")
        listing.add_argument("--status", choices=AllianceStatus.values)
        listing.add_argument("--json", action="store_true")
        cli.add_as(listing)
        show = sub.add_parser("show", help="One alliance with its villages and how each is doing.")
        show.add_argument("alliance", type=int)
        show.add_argument("--json", action="store_true")
        cli.add_as(show)
        create = sub.add_parser("create", help="Form an alliance around a hub village.")
        create.add_argument("--name", required=True)
        create.add_argument("--region", required=True, help="The organising region's code.")
        create.add_argument("--hub", required=True, help="The hub village's code.")
        create.add_argument(
            "--mentor", type=int, help="The lead mentor's id (default: the hub's appointed mentor)."
        )
        create.add_argument(
            "--member", dest="members", action="append", default=[], help="A village code (repeat)."
        )
        create.add_argument("--theme", default="")
        create.add_argument("--goals", default="")
        create.add_argument("--founded", type=_date)
        create.add_argument("--json", action="store_true")
        cli.add_as(create)
        activate = sub.add_parser("activate", help="Start a forming alliance (its goals must be written).")
        activate.add_argument("alliance", type=int)
        cli.add_as(activate)
        dissolve = sub.add_parser("dissolve", help="Dissolve an alliance.")
        dissolve.add_argument("alliance", type=int)
        dissolve.add_argument("--reason", required=True)
        cli.add_as(dissolve)
        plan = sub.add_parser("plan", help="Plan a city's or county's alliances now and keep the proposal.")
        plan.add_argument("--region", required=True, help="The city or county code.")
        plan.add_argument(
            "--hubs", type=int, help="Exactly this many alliances (default: one per 15 villages)."
        )
        plan.add_argument("--hubs-min", type=int)
        plan.add_argument("--hubs-max", type=int)
        plan.add_argument("--max-km", type=float)
        plan.add_argument("--max-size", type=int)
        plan.add_argument("--time-limit", type=int)
        plan.add_argument("--qualification", choices=Qualification.values)
        plan.add_argument("--weighting", choices=Weighting.values)
        plan.add_argument("--json", action="store_true")
        cli.add_as(plan)
        plans = sub.add_parser("plans", help="Alliance plans the user can see.")
        plans.add_argument("--json", action="store_true")
        cli.add_as(plans)
        adopt = sub.add_parser("adopt", help="Adopt a plan: every proposed alliance is formed, or none.")
        adopt.add_argument("plan", type=int)
        adopt.add_argument("--founded", type=_date)
        adopt.add_argument("--json", action="store_true")
        cli.add_as(adopt)

    def handle(self, *args, action, username, **options):
        cli.activate_language()
        user = cli.acting_user(username)
        getattr(self, f"do_{action}")(user, **options)

    def _alliance(self, user, pk) -> Alliance:
        return cli.visible(
            Alliance.objects.select_related("region", "hub", "lead_mentor__person"), pk, user, "Alliance"
        )

    def do_list(self, user, region, status, **options):
        alliances = (
            Alliance.objects.visible_to(user)
            .select_related("region", "hub", "lead_mentor__person")
            .annotate(member_count=Count("members", filter=Q(members__current=True)))
            .order_by("pk")
        )
        if region:
            low, high = _region(region, user).subtree_range
            alliances = alliances.filter(hub__path__gte=low, hub__path__lt=high)
        if status:
            alliances = alliances.filter(status=status)
        rows = [alliance_row(a) for a in alliances]
        if options["json"]:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']}\t{r['status']}\t{r['name']}\t{r['hub_name']}\t{r['lead_mentor']}\t{r['villages']}"
            )

    def do_show(self, user, alliance, **options):
        target = self._alliance(user, alliance)
        has_ledger, following = selectors.member_activity(target, user)
        villages = [
            {
                "village": f.member.village.code,
                "name": f.member.village.name,
                "hub": f.member.is_hub,
                "joint_activities": f.joint,
                "last_joint": f.last_joint,
                "ledger_activities": f.ledger if has_ledger else None,
                "last_ledger": f.last_ledger,
            }
            for f in following
        ]
        row = {**alliance_row(target, villages), "goals": target.goals, "targets": target.targets}
        if options["json"]:
            cli.dump(self.stdout, [row])
            return
        self.stdout.write(f"{target.pk}\t{target.status}\t{target.name}\t{target.lead_mentor.person.name}")
        for v in villages:
            mark = "*" if v["hub"] else " "
            ledger = "" if v["ledger_activities"] is None else f"\t{v['ledger_activities']}"
            self.stdout.write(f"{mark} {v['village']}\t{v['name']}\t{v['joint_activities']}{ledger}")

    def do_create(self, user, name, region, hub, mentor, members, theme, goals, founded, **options):
        organising = _region(region, user)
        hub_village = _region(hub, user)
        villages = [_region(code, user) for code in members]
        if mentor is not None:
            lead = cli.visible(Mentor.objects.select_related("person", "region"), mentor, user, "Mentor")
        else:
            lead = selectors.lead_by_village([hub_village.pk]).get(hub_village.pk)
            if lead is None:
                raise CommandError(
                    "No appointed mentor leading no alliance lives in the hub village; give --mentor."
                )
        with cli.writing():
            created = services.form_alliance(
                actor=user,
                name=name,
                region=organising,
                hub=hub_village,
                lead_mentor=lead,
                members=villages,
                theme=theme,
                goals=goals,
                founded_on=founded,
            )
        if options["json"]:
            cli.dump(self.stdout, [alliance_row(created, [v.code for v in [hub_village, *villages]])])
            return
        self.stdout.write(f"alliance {created.pk} formed: {created.name} ({created.status})")

    def do_activate(self, user, alliance, **options):
        target = self._alliance(user, alliance)
        with cli.writing():
            target = services.activate(user, target)
        self.stdout.write(f"alliance {target.pk}: {target.status}")

    def do_dissolve(self, user, alliance, reason, **options):
        target = self._alliance(user, alliance)
        with cli.writing():
            target = services.dissolve(user, target, reason)
        self.stdout.write(f"alliance {target.pk}: {target.status}")

    def do_plan(self, user, region, hubs, hubs_min, hubs_max, **options):
        area = _region(region, user)
        params = {
            "hubs_min": hubs if hubs is not None else hubs_min,
            "hubs_max": hubs if hubs is not None else hubs_max,
            "max_km": options["max_km"],
            "max_size": options["max_size"],
            "time_limit": options["time_limit"],
            "qualification": options["qualification"],
            "weighting": options["weighting"],
        }
        # Not in one transaction: the solver may run for minutes, and SQLite would hold its write lock all along.
        try:
            run = services.start(actor=user, area=area, params=params, background=False)
        except PermissionDenied as error:
            raise CommandError(f"Permission denied: {cli.error_text(error)}") from None
        except ValidationError as error:
            raise CommandError(f"Refused: {cli.error_text(error)}") from None
        run = PlanRun.objects.select_related("region").get(pk=run.pk)
        if options["json"]:
            cli.dump(self.stdout, [plan_row(run)])
            return
        if run.status == PlanStatus.FAILED:
            raise CommandError(f"plan {run.pk} failed: {services.error_message(run)}")
        solver, proposal = run.summary["solver"], run.summary["proposal"]
        self.stdout.write(
            f"plan {run.pk}: {solver['status']}, {proposal['hubs']} alliances, {proposal['placed']} villages placed, "
            f"objective {solver['objective_km']} km, bound {solver['bound_km']} km, gap {solver['gap_pct']} %, "
            f"{solver['seconds']} s"
        )

    def do_plans(self, user, **options):
        runs = PlanRun.objects.visible_to(user).select_related("region").order_by("pk")
        rows = [plan_row(r) for r in runs]
        if options["json"]:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            gap = (r["solver"] or {}).get("gap_pct", "")
            self.stdout.write(f"{r['id']}\t{r['status']}\t{r['region']}\t{gap}")

    def do_adopt(self, user, plan, founded, **options):
        run = cli.visible(PlanRun.objects.select_related("region"), plan, user, "Plan")
        with cli.writing():
            alliances = services.adopt(actor=user, run=run, founded_on=founded)
        if options["json"]:
            formed = (
                Alliance.objects.filter(pk__in=[a.pk for a in alliances])
                .select_related("region", "hub", "lead_mentor__person")
                .annotate(member_count=Count("members", filter=Q(members__current=True)))
            )
            cli.dump(self.stdout, [alliance_row(a) for a in formed.order_by("pk")])
            return
        self.stdout.write(f"plan {run.pk} adopted: {len(alliances)} alliances formed")
