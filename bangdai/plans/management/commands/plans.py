"""``bangdai plans list|show|overdue|create|edit|submit|approve|return|revise|goal ... --as USERNAME``."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bangdai.core import cli
from bangdai.core.choices import ContentArea
from bangdai.pairings.models import Pairing
from bangdai.plans import selectors, services
from bangdai.plans.choices import PlanStatus
from bangdai.plans.models import MentoringPlan

GOAL_HELP = (
    "A goal as AREA|DESCRIPTION|TARGET|YYYY-MM-DD (repeat the option for more goals); prefix an existing goal's "
    f"id as ID|AREA|... to keep it and whether it is met. AREA is one of: {', '.join(ContentArea.values)}."
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


def _goal(text: str) -> services.GoalData:
    parts = [p.strip() for p in text.split("|")]
    goal_id = None
    if len(parts) == 5 and parts[0].isdigit():
        goal_id, parts = int(parts[0]), parts[1:]
    if len(parts) != 4:
        raise CommandError(f"A goal is AREA|DESCRIPTION|TARGET|YYYY-MM-DD, not {text!r}.")
    area, description, target, due = parts
    return services.GoalData(area, description, target, _date(due), goal_id)


def plan_row(plan: MentoringPlan, *, detail: bool = False) -> dict:
    pairing = plan.pairing
    row = {
        "id": plan.pk,
        "pairing": pairing.pk,
        "apprentice": pairing.apprentice.person.name,
        "mentors": [m.mentor.person.name for m in pairing.members.all()],
        "status": plan.status,
        "revision": plan.revision,
        "approved_revision": plan.approved_revision,
        "due_on": selectors.plan_due_on(pairing),
        "first_submitted_at": plan.first_submitted_at,
        "approved_at": plan.approved_at,
    }
    if detail:
        goals = list(selectors.goals_of(plan))
        row.update(
            summary=plan.summary,
            goals=[
                {
                    "id": g.pk,
                    "content_area": g.content_area,
                    "description": g.description,
                    "measurable_target": g.measurable_target,
                    "due_on": g.due_on,
                    "achieved_on": g.achieved_on,
                }
                for g in goals
            ],
            revisions=[
                {
                    "number": r.number,
                    "submitted_by": str(r.submitted_by or ""),
                    "submitted_at": r.submitted_at,
                    "comment": r.comment,
                    "decision": r.decision,
                    "decided_by": str(r.decided_by or ""),
                    "decision_comment": r.decision_comment,
                }
                for r in plan.revisions.select_related("submitted_by", "decided_by")
            ],
            events=[
                {"action": e.action, "actor": str(e.actor or ""), "comment": e.comment, "at": e.at}
                for e in plan.events.select_related("actor")
            ],
        )
    return row


class Command(BaseCommand):
    help = "Mentoring plans (帮带计划): list, show, draft, submit, approve or return, revise, goals met."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Plans the user can see.")
        listing.add_argument("--status", choices=PlanStatus.values)
        listing.add_argument("--pairing", type=int)
        listing.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="One plan with its goals, revisions and history.")
        show.add_argument("plan", type=int)
        show.add_argument("--json", action="store_true")
        overdue = sub.add_parser("overdue", help="Running pairings whose plan is overdue.")
        overdue.add_argument("--date", type=_date, help="Judge on this day (default today).")
        overdue.add_argument("--json", action="store_true")
        create = sub.add_parser("create", help="Draft the plan of a pairing (as its mentor).")
        create.add_argument("--pairing", type=int, required=True)
        create.add_argument("--summary", default="")
        create.add_argument("--goal", dest="goals", action="append", default=[], help=GOAL_HELP)
        create.add_argument("--submit", action="store_true", help="Submit it for approval at once.")
        edit = sub.add_parser("edit", help="Change a draft or returned plan (the goals given replace them).")
        edit.add_argument("plan", type=int)
        edit.add_argument("--summary")
        edit.add_argument("--goal", dest="goals", action="append", default=[], help=GOAL_HELP)
        revise = sub.add_parser("revise", help="Revise an approved plan (submitted again at once).")
        revise.add_argument("plan", type=int)
        revise.add_argument("--summary")
        revise.add_argument("--goal", dest="goals", action="append", default=[], help=GOAL_HELP)
        revise.add_argument("--comment", required=True, help="What changes and why.")
        for name, text in (
            ("submit", "Submit for approval (the mentor)."),
            ("approve", "Approve the submitted revision."),
            ("return", "Return the submitted revision with comments (needs --comment)."),
        ):
            step = sub.add_parser(name, help=text)
            step.add_argument("plan", type=int)
            step.add_argument("--comment", default="")
        goal = sub.add_parser("goal", help="Mark a goal as met (or --reopen it).")
        goal.add_argument("plan", type=int)
        goal.add_argument("--goal", dest="goal_id", type=int, required=True)
        goal.add_argument("--reopen", action="store_true")
        goal.add_argument("--on", type=_date)
        goal.add_argument("--note", default="")
        for parser_ in sub.choices.values():
            cli.add_as(parser_)

    def handle(self, *args, action, username, **options):
        cli.activate_language()
        user = cli.acting_user(username)
        handler = {"return": self.do_step, "submit": self.do_step, "approve": self.do_step}.get(action)
        (handler or getattr(self, f"do_{action}"))(user, action=action, **options)

    # ------------------------------------------------------------------------------------------ reads

    def _plans(self):
        return MentoringPlan.objects.select_related(
            "pairing__apprentice__person", "pairing__region", "pairing__programme"
        ).prefetch_related("pairing__members__mentor__person")

    def _plan(self, user, pk) -> MentoringPlan:
        return cli.visible(self._plans(), pk, user, "Plan")

    def do_list(self, user, status, pairing, **options):
        plans = self._plans().visible_to(user).order_by("pk")
        if status:
            plans = plans.filter(status=status)
        if pairing:
            plans = plans.filter(pairing_id=pairing)
        rows = [plan_row(p) for p in plans]
        if options["json"]:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']}\t{r['status']}\tr{r['revision']}\t{r['apprentice']}\t{'、'.join(r['mentors'])}"
            )

    def do_show(self, user, plan, **options):
        row = plan_row(self._plan(user, plan), detail=True)
        if options["json"]:
            cli.dump(self.stdout, [row])
            return
        self.stdout.write(
            f"plan {row['id']} ({row['status']}, revision {row['revision']}) of {row['apprentice']}"
        )
        self.stdout.write(f"due {row['due_on']}; {row['summary']}")
        for g in row["goals"]:
            met = f" met {g['achieved_on']}" if g["achieved_on"] else ""
            self.stdout.write(
                f"  goal {g['id']} [{g['content_area']}] {g['description']} — {g['measurable_target']} by {g['due_on']}{met}"
            )
        for r in row["revisions"]:
            self.stdout.write(
                f"  revision {r['number']} {r['submitted_at']:%Y-%m-%d} {r['decision'] or 'pending'} {r['decision_comment']}"
            )

    def do_overdue(self, user, date, **options):
        today = date or timezone.localdate()
        pairings = (
            selectors.plans_overdue(Pairing.objects.visible_to(user), today)
            .select_related("apprentice__person", "region", "programme")
            .order_by("start_date", "pk")
        )
        rows = [
            {
                "pairing": p.pk,
                "apprentice": p.apprentice.person.name,
                "region": p.region.code,
                "start_date": p.start_date,
                "due_on": selectors.plan_due_on(p),
            }
            for p in pairings
        ]
        if options["json"]:
            cli.dump(self.stdout, rows)
            return
        for r in rows:
            self.stdout.write(f"{r['pairing']}\t{r['apprentice']}\t{r['region']}\tdue {r['due_on']}")

    # ------------------------------------------------------------------------------------------ writes

    def _done(self, plan, what: str) -> None:
        self.stdout.write(f"plan {plan.pk} {what}: {plan.status} (revision {plan.revision})")

    def do_create(self, user, pairing, summary, goals, submit, **options):
        target = cli.visible(Pairing.objects.select_related("region", "apprentice"), pairing, user, "Pairing")
        goal_list = [_goal(g) for g in goals]
        with cli.writing():
            plan = services.create(actor=user, pairing=target, summary=summary, goals=goal_list)
            if submit:
                plan = services.submit(actor=user, plan=plan)
        self._done(plan, "submitted" if submit else "drafted")

    def _goals_or_current(self, plan, goals) -> list[services.GoalData]:
        if goals:
            return [_goal(g) for g in goals]
        return [
            services.GoalData(g.content_area, g.description, g.measurable_target, g.due_on, g.pk)
            for g in selectors.goals_of(plan)
        ]

    def do_edit(self, user, plan, summary, goals, **options):
        target = self._plan(user, plan)
        goal_list = self._goals_or_current(target, goals)
        with cli.writing():
            target = services.save_draft(
                actor=user,
                plan=target,
                summary=target.summary if summary is None else summary,
                goals=goal_list,
            )
        self._done(target, "saved")

    def do_revise(self, user, plan, summary, goals, comment, **options):
        target = self._plan(user, plan)
        goal_list = self._goals_or_current(target, goals)
        with cli.writing():
            target = services.revise(
                actor=user,
                plan=target,
                summary=target.summary if summary is None else summary,
                goals=goal_list,
                comment=comment,
            )
        self._done(target, "revised")

    def do_step(self, user, action, plan, comment, **options):
        target = self._plan(user, plan)
        with cli.writing():
            if action == "submit":
                target = services.submit(actor=user, plan=target, comment=comment)
            elif action == "approve":
                target = services.approve(actor=user, plan=target, comment=comment)
            else:
                target = services.return_plan(actor=user, plan=target, comment=comment)
        self._done(target, {"submit": "submitted", "approve": "approved", "return": "returned"}[action])

    def do_goal(self, user, plan, goal_id, reopen, on, note, **options):
        target = self._plan(user, plan)
        goal = target.goals.filter(pk=goal_id).first()
        if goal is None:
            raise CommandError(f"Plan {target.pk} has no goal {goal_id}.")
        goal.plan = target
        with cli.writing():
            goal = services.set_goal_met(actor=user, goal=goal, met=not reopen, on=on, note=note)
        state = f"met on {goal.achieved_on}" if goal.achieved_on else "open"
        self.stdout.write(f"goal {goal.pk} of plan {target.pk}: {state}")
