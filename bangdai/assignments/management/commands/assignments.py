"""``bangdai assignments list|show|overdue|issue|submit|review|withdraw ... --as USERNAME``."""

import datetime as dt
from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bangdai.assignments import selectors, services
from bangdai.assignments.choices import AssignmentStatus, Flag
from bangdai.assignments.models import Assignment
from bangdai.core import cli
from bangdai.core.choices import ContentArea
from bangdai.pairings.models import Pairing


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text!r}") from None


def assignment_row(a: Assignment, today: dt.date, *, detail: bool = False) -> dict:
    row = {
        "id": a.pk,
        "pairing": a.pairing_id,
        "apprentice": a.pairing.apprentice.person.name,
        "title": a.title,
        "content_area": a.content_area,
        "due_on": a.due_on,
        "status": a.status,
        "flags": [str(f) for f in selectors.flags(a, today)],
        "submissions": a.submission_count,
        "score": a.score,
    }
    if detail:
        row.update(
            brief=a.brief,
            feedback=a.feedback,
            withdraw_reason=a.withdraw_reason,
            submissions=[
                {
                    "number": s.number,
                    "text": s.text,
                    "submitted_at": s.submitted_at,
                    "superseded_at": s.superseded_at,
                    "files": [f.name for f in s.files.all()],
                }
                for s in a.submissions.prefetch_related("files").order_by("number")
            ],
            events=[
                {"action": e.action, "actor": str(e.actor or ""), "comment": e.comment, "at": e.at}
                for e in a.events.select_related("actor")
            ],
        )
    return row


class Command(BaseCommand):
    help = "Assignments (布置作业): list, show, set, submit with files, review and score, withdraw."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Assignments the user can see.")
        listing.add_argument("--status", choices=AssignmentStatus.values)
        listing.add_argument("--flag", choices=Flag.values, help="Only overdue work or overdue reviews.")
        listing.add_argument("--pairing", type=int)
        listing.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="One assignment with its submissions and history.")
        show.add_argument("assignment", type=int)
        show.add_argument("--json", action="store_true")
        issue = sub.add_parser("issue", help="Set an assignment (as the pairing's mentor).")
        issue.add_argument("--pairing", type=int, required=True)
        issue.add_argument("--title", required=True)
        issue.add_argument("--brief", required=True)
        issue.add_argument("--area", required=True, choices=ContentArea.values)
        issue.add_argument("--due", required=True, type=_date)
        submit = sub.add_parser("submit", help="Submit an answer (as the apprentice).")
        submit.add_argument("assignment", type=int)
        submit.add_argument("--text", default="")
        submit.add_argument(
            "--file", dest="files", action="append", default=[], help="A photo or PDF (repeat)."
        )
        review = sub.add_parser("review", help="Review and score the latest submission (as the mentor).")
        review.add_argument("assignment", type=int)
        review.add_argument("--score", type=int, required=True)
        review.add_argument("--feedback", required=True)
        withdraw = sub.add_parser("withdraw", help="Withdraw an assignment not yet reviewed (as the mentor).")
        withdraw.add_argument("assignment", type=int)
        withdraw.add_argument("--reason", required=True)
        for parser_ in sub.choices.values():
            cli.add_as(parser_)

    def handle(self, *args, action, username, **options):
        cli.activate_language()
        user = cli.acting_user(username)
        getattr(self, f"do_{action}")(user, **options)

    def _assignments(self):
        return Assignment.objects.select_related("pairing__apprentice__person", "pairing__region")

    def _assignment(self, user, pk) -> Assignment:
        return cli.visible(self._assignments(), pk, user, "Assignment")

    def do_list(self, user, status, flag, pairing, **options):
        today = timezone.localdate()
        rows = self._assignments().visible_to(user).order_by("due_on", "pk")
        if status:
            rows = rows.filter(status=status)
        if pairing:
            rows = rows.filter(pairing_id=pairing)
        if flag == Flag.OVERDUE:
            rows = selectors.assignments_overdue(rows, today)
        elif flag == Flag.REVIEW_OVERDUE:
            rows = selectors.reviews_overdue(rows, today)
        data = [assignment_row(a, today) for a in rows]
        if options["json"]:
            cli.dump(self.stdout, data)
            return
        for r in data:
            marks = ",".join(r["flags"])
            self.stdout.write(
                f"{r['id']}\t{r['status']}\t{r['due_on']}\t{r['apprentice']}\t{r['title']}\t{marks}"
            )

    def do_show(self, user, assignment, **options):
        row = assignment_row(self._assignment(user, assignment), timezone.localdate(), detail=True)
        if options["json"]:
            cli.dump(self.stdout, [row])
            return
        self.stdout.write(f"assignment {row['id']} ({row['status']}) for {row['apprentice']}: {row['title']}")
        self.stdout.write(f"due {row['due_on']}; {row['brief']}")
        for s in row["submissions"]:
            replaced = " (replaced)" if s["superseded_at"] else ""
            self.stdout.write(
                f"  submission {s['number']}{replaced}: {s['text'][:60]} {', '.join(s['files'])}"
            )
        if row["score"] is not None:
            self.stdout.write(f"  score {row['score']}: {row['feedback']}")

    def _done(self, a: Assignment, what: str) -> None:
        self.stdout.write(f"assignment {a.pk} {what}: {a.status}")

    def do_issue(self, user, pairing, title, brief, area, due, **options):
        target = cli.visible(Pairing.objects.select_related("region"), pairing, user, "Pairing")
        with cli.writing():
            a = services.issue(
                actor=user, pairing=target, title=title, brief=brief, content_area=area, due_on=due
            )
        self._done(a, "issued")

    def do_submit(self, user, assignment, text, files, **options):
        target = self._assignment(user, assignment)
        paths = [Path(p) for p in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"No such file: {', '.join(missing)}")
        with ExitStack() as stack, cli.writing():
            handles = [stack.enter_context(p.open("rb")) for p in paths]
            submission = services.submit(actor=user, assignment=target, text=text, files=handles)
        self.stdout.write(
            f"assignment {target.pk} submission {submission.number}: {target.status} ({len(paths)} file(s))"
        )

    def do_review(self, user, assignment, score, feedback, **options):
        target = self._assignment(user, assignment)
        with cli.writing():
            target = services.review(actor=user, assignment=target, feedback=feedback, score=score)
        self._done(target, f"reviewed ({target.score})")

    def do_withdraw(self, user, assignment, reason, **options):
        target = self._assignment(user, assignment)
        with cli.writing():
            target = services.withdraw(actor=user, assignment=target, reason=reason)
        self._done(target, "withdrawn")
